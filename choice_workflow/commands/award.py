"""The commands of an award: the notice (sent and confirmed), the acceptance or its
refusal and forfeit, the transition, technical assistance and the instalments
(15(i), 15(j), 15(f), Section 90)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pendulum

from choice_workflow.commands._grant import grant_command
from choice_workflow.commands.spec import Env, View
from choice_workflow.domain.actors import Actor
from choice_workflow.domain.cycle import disbursement_schedule
from choice_workflow.domain.grant import Grant
from choice_workflow.events import Event, format_instant, money_text, parse_instant
from choice_workflow.lifecycle.context import Context
from choice_workflow.lifecycle.guards import NOTICE_CHANNELS
from choice_workflow.notices import build_notice
from choice_workflow.rules import Rules, WindowStart
from choice_workflow.time.calendar import acceptance_deadline


@attrs.frozen
class ConfirmNotice:
    """15(i), 15(j): the notice of approval was confirmed by ``channel`` at ``confirmed_at``."""

    name: ClassVar[str] = "confirm_notice"
    grant_id: str
    channel: str
    confirmed_at: pendulum.DateTime


@attrs.frozen
class SendNotice:
    """15(i): the Department sends the notice of award by ``channel``."""

    name: ClassVar[str] = "send_notice"
    grant_id: str
    channel: str


@attrs.frozen
class Accept:
    """15(j): the grantee accepts within its window."""

    name: ClassVar[str] = "accept"
    grant_id: str


@attrs.frozen
class Decline:
    """15(j): the grantee declines; the grant returns for the next applicant."""

    name: ClassVar[str] = "decline"
    grant_id: str
    reason: str = ""


@attrs.frozen
class Forfeit:
    """15(j): the sweep forfeits an approval whose 48 hours have passed."""

    name: ClassVar[str] = "forfeit"
    grant_id: str


@attrs.frozen
class BeginTransition:
    """15(i): the grantee's transition to the minimum wage started at ``started_at``."""

    name: ClassVar[str] = "begin_transition"
    grant_id: str
    started_at: pendulum.DateTime


@attrs.frozen
class RecordTechnicalAssistance:
    """Section 90 (MWL 5(b)): the Department's technical assistance to a grantee."""

    name: ClassVar[str] = "record_technical_assistance"
    grant_id: str
    description: str


@attrs.frozen
class Disburse:
    """15(a), 15(f): the Department pays the grant's next instalment of its schedule."""

    name: ClassVar[str] = "disburse"
    grant_id: str


def _employer_context(
    command: Any, grant: Grant | None, view: View, env: Env, actor: Actor
) -> Context:
    return Context(
        actor=actor, employer=None if grant is None else view.employer(grant.employer_id)
    )


def _contact(context: Context, channel: object) -> str | None:
    if channel not in NOTICE_CHANNELS or context.employer is None:
        return None
    found = getattr(context.employer, str(channel), None)
    return None if found is None else str(found)


def _deadline(grant: Grant | None) -> str | None:
    return None if grant is None or grant.accept_by is None else format_instant(grant.accept_by)


def _confirm_payload(
    command: ConfirmNotice, grant: Grant | None, context: Context, rules: Rules, now: Any
) -> dict[str, Any]:
    accept_by: str | None
    if grant is not None and grant.accepted_us is not None:
        accept_by = None  # accepted already: no window left to run (15(j))
    elif rules.acceptance_window_starts is WindowStart.NOTICE:
        accept_by = format_instant(acceptance_deadline(command.confirmed_at, rules))
    else:
        accept_by = _deadline(grant)
    return {
        "channel": command.channel,
        "confirmed_at": format_instant(command.confirmed_at),
        "accept_by": accept_by,
        "to": _contact(context, command.channel),
    }


def _send_payload(
    command: SendNotice, grant: Grant | None, context: Context, rules: Rules, now: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {"channel": command.channel, "to": _contact(context, command.channel)}
    if grant is not None and context.employer is not None and grant.amount is not None:
        notice = build_notice(grant, context.employer, rules)
        payload.update(sha256=notice.digest(), template=notice.template)
    return payload


def _disburse_payload(
    command: Disburse, grant: Grant | None, context: Context, rules: Rules, now: Any
) -> dict[str, Any]:
    amount, k = Decimal("0.00"), 1
    if grant is not None and grant.amount is not None:
        schedule = disbursement_schedule(grant.amount, rules)
        k = grant.instalments + 1
        amount = schedule[k - 1] if k <= len(schedule) else Decimal("0.00")
    return {"amount": money_text(amount), "instalment": k}


def _accept_by(
    command: Any, grant: Grant | None, context: Context, rules: Rules, now: Any
) -> dict[str, Any]:
    return {"accept_by": _deadline(grant)}


def _instant(event: Event, key: str) -> pendulum.DateTime:
    return parse_instant(str(event.payload[key]))


_WENT_TO = "the notice went to {recorded!r}; the {p[channel]} in force was {decided!r}"

CONFIRM_NOTICE = grant_command(
    "confirm_notice", ConfirmNotice, _confirm_payload,
    lambda e, v: ConfirmNotice(e.stream_id, e.payload["channel"], _instant(e, "confirmed_at")),
    load=_employer_context, occurred=lambda c: c.confirmed_at,
    payload_cites={"accept_by": ("15(j)",), "to": ("15(i)",)}, legacy_optional=frozenset({"to"}),
    payload_reasons={
        "to": _WENT_TO,
        "accept_by": "accept_by {recorded} is not 48 hours after the confirmed notice ({decided})",
    },
)  # fmt: skip
SEND_NOTICE = grant_command(
    "send_notice", SendNotice, _send_payload,
    lambda e, v: SendNotice(e.stream_id, e.payload["channel"]), load=_employer_context,
    payload_cites={"to": ("15(i)",), "sha256": ("15(i)",), "template": ("15(i)",)},
    payload_reasons={
        "to": _WENT_TO,
        "sha256": "the recorded digest is not that of the notice as it stood",
    },
)  # fmt: skip
ACCEPT = grant_command(
    "accept", Accept, _accept_by, lambda e, v: Accept(e.stream_id),
    payload_cites={"accept_by": ("15(j)",)}, restated=frozenset({"accept_by"}),
)  # fmt: skip
DECLINE = grant_command(
    "decline", Decline, lambda c, g, x, r, n: {"reason": str(c.reason)},
    lambda e, v: Decline(e.stream_id, e.payload["reason"]),
)  # fmt: skip
FORFEIT = grant_command(
    "forfeit", Forfeit, _accept_by, lambda e, v: Forfeit(e.stream_id),
    payload_cites={"accept_by": ("15(j)",)}, restated=frozenset({"accept_by"}),
)  # fmt: skip
BEGIN_TRANSITION = grant_command(
    "begin_transition", BeginTransition,
    lambda c, g, x, r, n: {"started_at": format_instant(c.started_at)},
    lambda e, v: BeginTransition(e.stream_id, _instant(e, "started_at")),
    occurred=lambda c: c.started_at,
)  # fmt: skip
RECORD_TECHNICAL_ASSISTANCE = grant_command(
    "record_technical_assistance", RecordTechnicalAssistance,
    lambda c, g, x, r, n: {"description": str(c.description)},
    lambda e, v: RecordTechnicalAssistance(e.stream_id, e.payload["description"]),
)  # fmt: skip
DISBURSE = grant_command(
    "disburse", Disburse, _disburse_payload, lambda e, v: Disburse(e.stream_id),
    payload_cites={"amount": ("15(f)", "15(a)"), "instalment": ("15(f)",)},
)  # fmt: skip

SPECS = (
    CONFIRM_NOTICE, SEND_NOTICE, ACCEPT, DECLINE, FORFEIT, BEGIN_TRANSITION,
    RECORD_TECHNICAL_ASSISTANCE, DISBURSE,
)  # fmt: skip
