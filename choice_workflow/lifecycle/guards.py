"""The guards of the transition table: pure predicates that return refusals.

Each takes ``(grant, command, context, rules, now)`` and yields a
:class:`~choice_workflow.errors.Problem` for every reason the command may not go ahead,
with the Act's cites, a reason and a hint. No I/O, no clock reads, no side effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pendulum

from choice_workflow.domain import application as _application
from choice_workflow.domain import eligibility as _eligibility
from choice_workflow.domain.actors import Role
from choice_workflow.domain.cycle import disbursement_schedule, instalment_due, period_start
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.money import dollar_text
from choice_workflow.errors import Problem, Severity
from choice_workflow.lifecycle.context import Context
from choice_workflow.rules import AwardCounts, Rules
from choice_workflow.time.calendar import (
    cycle_two_earliest,
    first_award_instant,
)
from choice_workflow.time.instants import ensure_instant, zone

NOTICE_CHANNELS = ("address_of_record", "email")
"""15(i): the two ways a notice of approval can be confirmed."""


def _role(context: Context) -> Role | None:
    return None if context.actor is None else context.actor.role


def _actor_id(context: Context) -> str | None:
    return None if context.actor is None else context.actor.id


def local(instant: pendulum.DateTime, rules: Rules) -> str:
    """An instant on the Rules' wall clock, with microseconds only where there are some."""
    pattern = "YYYY-MM-DD HH:mm:ss.SSSSSS zz" if instant.microsecond else "YYYY-MM-DD HH:mm:ss zz"
    return instant.in_timezone(zone(rules.timezone)).format(pattern)


def applications_open(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(f): a cycle takes applications until its application window closes."""
    cycle = getattr(command, "cycle", None)
    if not isinstance(cycle, int) or isinstance(cycle, bool) or not 1 <= cycle <= rules.cycles:
        yield Problem(
            ("15(f)",),
            f"there is no grant cycle {cycle!r}",
            f"Apply to a cycle from 1 to {rules.cycles}.",
            "cycle",
        )
        return
    close = context.applications_close
    if close is not None and now > close:
        yield Problem(
            ("15(f)",),
            f"cycle {cycle} stopped taking applications at {local(ensure_instant(close), rules)}",
            "Apply to the next cycle.",
            "cycle",
        )


def award_date_reached(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(a): no grant is awarded before July 1, 2030 (America/Chicago)."""
    first = first_award_instant(rules)
    if now < first:
        yield Problem(
            ("15(a)",),
            f"grants are awarded on and after {local(first, rules)}; it is {local(now, rules)}",
            "Approve on or after the first award date.",
        )


def cycle_timing(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(f): two cycles; cycle-2 awards not before cycle 1's opening plus 2 years."""
    if grant is None:
        return
    if not 1 <= grant.cycle <= rules.cycles:
        yield Problem(
            ("15(f)",),
            f"the Act provides {rules.cycles} grant cycles; this grant is in cycle {grant.cycle}",
            "Assign the application to cycle 1 or 2.",
        )
        return
    if grant.cycle == 2:
        opening = context.cycle_one_opening or first_award_instant(rules)
        earliest = cycle_two_earliest(opening, rules)
        if now < earliest:
            yield Problem(
                ("15(f)",),
                f"cycle-2 grants are awarded not before {local(earliest, rules)} "
                f"(cycle 1's opening plus {rules.second_cycle_after_years} years)",
                "Wait for the end of the second year of the first cycle.",
            )
    # An opening on the first award date is award_date_reached's refusal already.
    own = context.cycle_opening
    if own is not None and own > first_award_instant(rules) and now < own:
        yield Problem(
            ("15(f)",),
            f"cycle {grant.cycle} opens at {local(ensure_instant(own), rules)}",
            "Approve once the cycle has opened.",
        )


def system_approves_referrals_only(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(j): the system approves only the next applicant, and only under the Rules'
    automatic reading; every other approval is the Director's."""
    if _role(context) is not Role.SYSTEM:
        return
    if not rules.auto_approve_next or grant is None or grant.referred_from is None:
        yield Problem(
            ("15(j)", "15(a)"),
            "only the Director approves, except a referred next applicant under the automatic reading",
            "Ask the Director to approve.",
        )


def separation_of_duties(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """Separation of duties (NIST SP 800-53 AC-5): whoever reviewed the application
    does not approve it (Rules.reviewer_cannot_approve)."""
    if (
        rules.reviewer_cannot_approve
        and grant is not None
        and grant.reviewed_by == _actor_id(context)
    ):
        yield Problem(
            ("15(a)",),
            f"{_actor_id(context)} reviewed this application and may not also approve it",
            "Another Director approves (separation of duties).",
            "actor",
        )


def dual_authorization(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """Dual authorization (NIST SP 800-53 AC-3(2)): an approval above
    Rules.dual_authorization_above needs another Director's endorsement of that amount."""
    limit = rules.dual_authorization_above
    amount = getattr(command, "amount", None)
    if limit is None or grant is None or not isinstance(amount, Decimal) or amount <= limit:
        return
    if grant.endorsed_amount != amount or grant.endorsed_by in (None, _actor_id(context)):
        yield Problem(
            ("15(a)", "15(h)"),
            f"{dollar_text(amount)} is above {dollar_text(limit)}: a second Director must endorse this amount first",
            "Another Director runs endorse(grant, amount), then this approval.",
            "amount",
        )


def disbursement_due(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(f): instalments are paid in order, each from the start of its part of the
    3-year period, in the amounts of the schedule."""
    if grant is None or grant.amount is None:
        return
    schedule = disbursement_schedule(grant.amount, rules)
    k = grant.instalments + 1
    if k > len(schedule):
        yield Problem(("15(f)",), "every instalment has been paid", "Nothing more is due.")
        return
    start = period_start(grant, rules)
    if start is None:
        yield Problem(("15(f)",), "the grant period has not started", "Pay after the acceptance.")
        return
    due = instalment_due(start, k, rules)
    if now < due:
        yield Problem(
            ("15(f)",),
            f"instalment {k} is due from {local(due, rules)}",
            "Pay each instalment from the start of its quarter.",
        )


def amount_within_bounds(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(h): at least $10,000 and at most $50,000 for the 3-year period."""
    amount: Decimal = command.amount
    if not rules.min_award <= amount <= rules.max_award:
        yield Problem(
            ("15(h)",),
            f"{dollar_text(amount)} is outside {dollar_text(rules.min_award)} - {dollar_text(rules.max_award)}",
            "Approve an amount within the bounds of 15(h).",
            "amount",
        )


def funds_available(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(a): "subject to appropriation": no approval beyond the funds left."""
    if context.funds_available is None:
        cycle = "its cycle" if grant is None else f"cycle {grant.cycle}"
        yield Problem(
            ("15(a)", "15(f)"),
            f"{cycle} has not been opened with an appropriation",
            "The Director opens the cycle and sets its appropriation first (open_cycle).",
        )
        return
    amount: Decimal = command.amount
    if amount > context.funds_available:
        offered = context.funds_offered
        held = (
            f" (besides {dollar_text(offered)} offered to referred applications, 15(j))"
            if offered
            else ""
        )
        yield Problem(
            ("15(a)", "15(j)") if offered else ("15(a)",),
            f"{dollar_text(amount)} exceeds the {dollar_text(context.funds_available)} the cycle has left"
            + held,
            "Approve a smaller amount or wait for released funds.",
            "amount",
        )


def one_grant_per_employer(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(g), 10(3): one grant per employer, across both cycles, per the Rules reading."""
    for prior in context.prior_grants:
        if grant is not None and prior.grant_id == grant.id:
            continue
        counts = prior.approved if rules.award_counts is AwardCounts.APPROVED else prior.accepted
        if counts:
            what = "approved" if rules.award_counts is AwardCounts.APPROVED else "accepted"
            yield Problem(
                ("15(g)", "10(3)"),
                f"the employer already received grant {prior.grant_id} ({what})",
                "An employer may only be awarded one grant; deny this application.",
            )


def employer_eligible(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """10: the employer is eligible at the instant of approval ("currently", 10(2))."""
    if context.employer is None:
        yield Problem(
            ('10 "Eligible employer"',),
            "the employer is not registered",
            "Register the employer with its certificate before approval.",
        )
        return
    # 10(3) is judged by one_grant_per_employer from the same snapshot.
    result = _eligibility.check_eligibility(context.employer, at=now, rules=rules, prior_grants=())
    yield from (p for p in result.problems if p.severity is Severity.ERROR)


def application_complete(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(b): the application holds every item, consistently."""
    if context.application is None:
        yield Problem(("15(b)",), "no application is on record", "Apply first.")
        return
    if context.application_checked:
        return  # judged complete, as of its submission, with these very inputs
    # The application is judged as of its submission: its "previous 5 fiscal years"
    # (15(b)(5), (6)) and its dates do not go stale while it waits for a decision.
    submitted = now if grant is None else grant.applied_at
    problems = _application.validate_application(
        context.application,
        employer=context.employer,
        at=submitted,
        rules=rules,
        required_other=context.required_other,
    )
    yield from (p for p in problems if p.severity is Severity.ERROR)
