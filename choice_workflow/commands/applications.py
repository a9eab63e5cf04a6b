"""The commands of an application, up to its award: apply, review, amend, deny,
withdraw, endorse, approve, and the referral of the next applicant (15(b), (a), (h), (j))."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pendulum

from choice_workflow.commands._grant import grant_command
from choice_workflow.commands.spec import Env, View
from choice_workflow.domain.actors import Actor
from choice_workflow.domain.application import (
    Application,
    amended_application,
    application_changes,
    application_from_data,
    application_to_data,
)
from choice_workflow.domain.cycle import Cycle
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.money import dollar_text
from choice_workflow.domain.state import State
from choice_workflow.errors import UnknownEmployer
from choice_workflow.events import Event, format_instant, money_text
from choice_workflow.lifecycle.context import Context, approval_context
from choice_workflow.rules import NextApplicant, Rules, WindowStart
from choice_workflow.time.calendar import acceptance_deadline
from choice_workflow.time.instants import from_us


@attrs.frozen
class Apply:
    """15(b): an employer applies with its whole application, to cycle ``cycle``."""

    name: ClassVar[str] = "apply"
    grant_id: str
    application: Application
    cycle: int = 1

    @property
    def employer_id(self) -> str:
        """The employer the application is of."""
        return str(getattr(self.application, "employer_id", ""))


@attrs.frozen
class Review:
    """The Department records its review of an application (the state stays)."""

    name: ClassVar[str] = "review"
    grant_id: str
    notes: str = ""


@attrs.frozen
class Amend:
    """15(b): the employer amends its application while it is applied."""

    name: ClassVar[str] = "amend"
    grant_id: str
    application: Application
    reason: str


@attrs.frozen
class Deny:
    """An application is denied, with its reason."""

    name: ClassVar[str] = "deny"
    grant_id: str
    reason: str


@attrs.frozen
class Withdraw:
    """The employer withdraws its application or approved grant."""

    name: ClassVar[str] = "withdraw"
    grant_id: str
    reason: str = ""


@attrs.frozen
class Approve:
    """15(a), 15(h): the Director (or, for a referral, the system) approves an amount."""

    name: ClassVar[str] = "approve"
    grant_id: str
    amount: Decimal


@attrs.frozen
class Endorse:
    """Dual authorization: a first Director endorses the amount to approve."""

    name: ClassVar[str] = "endorse"
    grant_id: str
    amount: Decimal


@attrs.frozen
class Refer:
    """15(j): returned funds put the next applicant before the Director."""

    name: ClassVar[str] = "refer"
    grant_id: str
    from_grant: str
    reason: str
    offered: Decimal
    available: Decimal


def _reason(
    command: Any, grant: Grant | None, context: Context, rules: Rules, now: Any
) -> dict[str, Any]:
    return {"reason": str(command.reason)}


def _apply_context(
    command: Apply, grant: Grant | None, view: View, env: Env, actor: Actor
) -> Context:
    employer = view.employer(command.employer_id)
    if employer is None:
        raise UnknownEmployer(employer_id=command.employer_id)
    cycle = command.cycle
    # The cycle is held before the application takes its place in the log: the queue
    # it joins (15(j)) is read in the log's order by the returns that refer from it.
    found = (
        view.cycle(cycle, lock=True)
        if isinstance(cycle, int) and not isinstance(cycle, bool)
        else None
    )
    close = (
        None
        if found is None or found.applications_close_us is None
        else found.applications_close_us
    )
    return Context(
        actor=actor,
        employer=employer,
        application=command.application,
        required_other=env.rules.required_other,
        applications_close=None if close is None else from_us(close),
    )


def _apply_payload(
    command: Apply, grant: Grant | None, context: Context, rules: Rules, now: Any
) -> dict[str, Any]:
    return {
        "employer_id": command.employer_id,
        "cycle": command.cycle,
        "amount_requested": money_text(Decimal(command.application.amount_requested)),
        "application": application_to_data(command.application),
    }


def _amend_context(
    command: Amend, grant: Grant | None, view: View, env: Env, actor: Actor
) -> Context:
    assert grant is not None  # noqa: S101 - an unknown grant is refused before
    view.cycle(grant.cycle, lock=True)  # the queue's order changes with it (15(j))
    return Context(
        actor=actor,
        employer=view.employer(grant.employer_id),
        application=command.application,
        previous_application=view.application(grant.id),
        required_other=env.rules.required_other,
    )


def _amend_payload(
    command: Amend, grant: Grant | None, context: Context, rules: Rules, now: Any
) -> dict[str, Any]:
    changes = application_changes(context.previous_application, command.application)
    return {"reason": str(command.reason), "changes": changes}


def _recover_amend(event: Event, view: View) -> Amend:
    amended = amended_application(view.application(event.stream_id), event.payload["changes"])
    return Amend(event.stream_id, amended, event.payload["reason"])


def _same_amend(command: Amend, event: Event, view: View) -> bool:
    """An amendment's retry: the same reason, and the application it asks for is the
    one the first run left (nothing more, nothing less)."""
    return (
        isinstance(command, Amend)
        and command.reason == event.payload.get("reason")
        and command.application == view.application(event.stream_id)
    )


def _approval_context(
    command: Any, grant: Grant | None, view: View, env: Env, actor: Actor
) -> Context:
    assert grant is not None  # noqa: S101 - an unknown grant is refused before
    view.lock_employer(grant.employer_id)
    cycle = view.cycle(grant.cycle, lock=True)
    employer = view.employer(grant.employer_id)
    application = view.application(grant.id)
    judged = env.judged(grant.id)
    return approval_context(
        grant,
        actor=actor,
        employer=employer,
        application=application,
        employers_grants=view.grants_of_employer(grant.employer_id),
        cycle=cycle,
        cycle_one=view.cycle(1) if grant.cycle != 1 else cycle,
        rules=env.rules,
        application_checked=judged is not None
        and judged == (grant.applied_us, application, employer),
        offered=Decimal("0.00") if cycle is None else offered_to_others(view, cycle, grant, env),
    )


def offered_to_others(view: View, cycle: Cycle, grant: Grant, env: Env) -> Decimal:
    """15(j), the queue reading: what the cycle's referred applications other than
    ``grant``, still applied, are offered (held for them until they are decided)."""
    if env.rules.next_applicant is not NextApplicant.QUEUE or not cycle.offers:
        return Decimal("0.00")
    total = Decimal("0.00")
    for grant_id in dict.fromkeys(g for g, _ in cycle.offers):
        other = view.grant(grant_id) if grant_id != grant.id else None
        if other is not None and other.state is State.APPLIED and other.referred_from:
            total += cycle.offer_to(grant_id)
    return total


def _approve_payload(
    command: Approve, grant: Grant | None, context: Context, rules: Rules, now: pendulum.DateTime
) -> dict[str, Any]:
    accept_by = None
    if rules.acceptance_window_starts is WindowStart.APPROVAL:
        accept_by = format_instant(acceptance_deadline(now, rules))
    payload: dict[str, Any] = {"amount": money_text(command.amount), "accept_by": accept_by}
    warnings = approval_warnings(grant, command.amount)
    if warnings:
        payload["warnings"] = warnings
    return payload


def approval_warnings(grant: Grant | None, amount: Decimal) -> list[str]:
    """15(d), 15(h): what an approval does that is allowed but to be seen: an amount
    above the request (unrequested dollars are dollars other applicants did not get)."""
    if grant is None or grant.amount_requested is None or amount <= grant.amount_requested:
        return []
    return [
        f"approved {dollar_text(amount)}, {dollar_text(amount - grant.amount_requested)} above the "
        f"{dollar_text(grant.amount_requested)} requested: dollars other applicants did not get"
    ]


def _amount(event: Event) -> Decimal:
    return Decimal(str(event.payload["amount"]))


APPLY = grant_command(
    "apply", Apply, _apply_payload,
    lambda e, v: Apply(
        e.stream_id, application_from_data(e.payload["application"], keep=True), e.payload["cycle"]
    ),
    load=_apply_context,
)  # fmt: skip
REVIEW = grant_command(
    "review", Review, lambda c, g, x, r, n: {"notes": str(c.notes)},
    lambda e, v: Review(e.stream_id, e.payload["notes"]),
)  # fmt: skip
AMEND = grant_command(
    "amend", Amend, _amend_payload, _recover_amend, load=_amend_context, same=_same_amend
)
DENY = grant_command("deny", Deny, _reason, lambda e, v: Deny(e.stream_id, e.payload["reason"]))
WITHDRAW = grant_command(
    "withdraw", Withdraw, _reason, lambda e, v: Withdraw(e.stream_id, e.payload["reason"])
)
APPROVE = grant_command(
    "approve", Approve, _approve_payload, lambda e, v: Approve(e.stream_id, _amount(e)),
    load=_approval_context, payload_cites={"accept_by": ("15(j)",), "warnings": ("15(h)", "15(d)")},
    legacy_optional=frozenset({"warnings"}),
)  # fmt: skip
ENDORSE = grant_command(
    "endorse", Endorse, lambda c, g, x, r, n: {"amount": money_text(c.amount)},
    lambda e, v: Endorse(e.stream_id, _amount(e)),
)  # fmt: skip
SPECS = (APPLY, REVIEW, AMEND, DENY, WITHDRAW, APPROVE, ENDORSE)
