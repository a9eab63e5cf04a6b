"""The commands after an award: termination and repayments, close-out, and the holds
on record retention (15(b)(11)(C), 15(c), 15(l), 15(a), 15(f), 2 CFR 200.334)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pendulum

from choice_workflow.commands._grant import grant_command
from choice_workflow.commands.records import _stream_context
from choice_workflow.domain.grant import Grant
from choice_workflow.events import Event, format_instant, money_text
from choice_workflow.lifecycle.context import Context
from choice_workflow.rules import Rules
from choice_workflow.time.instants import zone


@attrs.frozen
class Terminate:
    """The Director terminates a grant for its cause, citing its evidence."""

    name: ClassVar[str] = "terminate"
    grant_id: str
    reason: str
    cause: str = "other"
    repay: Decimal | None = None
    evidence: tuple[int, ...] = ()


@attrs.frozen
class RecordRepayment:
    """15(a): a repayment of a terminated grant's receivable (received at
    ``received_at``; None: when it is recorded)."""

    name: ClassVar[str] = "record_repayment"
    grant_id: str
    amount: Decimal
    received_at: pendulum.DateTime | None = None


@attrs.frozen
class CloseOut:
    """15(f), 20(a): close-out at the end of the grant period; ``unspent`` returns."""

    name: ClassVar[str] = "close_out"
    grant_id: str
    unspent: Decimal = Decimal("0.00")


@attrs.frozen
class PlaceHold:
    """2 CFR 200.334: a litigation or audit hold on the grant's records."""

    name: ClassVar[str] = "place_hold"
    grant_id: str
    reason: str


@attrs.frozen
class ReleaseHold:
    """2 CFR 200.334: the hold ends."""

    name: ClassVar[str] = "release_hold"
    grant_id: str
    reason: str


def retain_until(ended: pendulum.DateTime, rules: Rules) -> str:
    """2 CFR 200.334: the end of the retention period of a grant ended at ``ended``."""
    local = ended.in_timezone(zone(rules.timezone))
    return format_instant(local.add(years=rules.retention_years))


def _terminate_payload(
    command: Terminate, grant: Grant | None, context: Context, rules: Rules, now: pendulum.DateTime
) -> dict[str, Any]:
    return {
        "reason": str(command.reason),
        "cause": str(command.cause),
        "evidence": list(command.evidence),
        "repay": None if command.repay is None else money_text(command.repay),
        "retain_until": retain_until(now, rules),
    }


def _recover_terminate(event: Event, view: Any) -> Terminate:
    p = event.payload
    repay = p.get("repay")
    return Terminate(
        event.stream_id, p["reason"], p.get("cause", "other"),
        None if repay is None else Decimal(str(repay)), tuple(p.get("evidence", ())),
    )  # fmt: skip


def _close_payload(
    command: CloseOut, grant: Grant | None, context: Context, rules: Rules, now: pendulum.DateTime
) -> dict[str, Any]:
    return {
        "unspent": money_text(command.unspent),
        "retain_until": retain_until(now, rules),
        "retention_years": rules.retention_years,
    }


def _same_repayment(command: RecordRepayment, event: Event, view: Any) -> bool:
    """A repayment's retry: the same amount, received when the first run says (a
    repayment recorded without its instant was received when it was recorded)."""
    return (
        isinstance(command, RecordRepayment)
        and command.amount == Decimal(str(event.payload["amount"]))
        and command.received_at in (None, event.occurred_at)
    )


_RETENTION = {"retain_until": ("2 CFR 200.334",), "retention_years": ("2 CFR 200.334",)}
_RETAIN = {
    "retain_until": "retain_until {recorded} is not the grant's end plus the retention "
    "years of the Rules ({decided})"
}

TERMINATE = grant_command(
    "terminate", Terminate, _terminate_payload, _recover_terminate, load=_stream_context,
    payload_cites=_RETENTION, payload_reasons=_RETAIN,
)  # fmt: skip
RECORD_REPAYMENT = grant_command(
    "record_repayment", RecordRepayment, lambda c, g, x, r, n: {"amount": money_text(c.amount)},
    lambda e, v: RecordRepayment(e.stream_id, Decimal(str(e.payload["amount"])), e.occurred_at),
    occurred=lambda c: c.received_at, same=_same_repayment,
)  # fmt: skip
CLOSE_OUT = grant_command(
    "close_out", CloseOut, _close_payload,
    lambda e, v: CloseOut(e.stream_id, Decimal(str(e.payload.get("unspent", "0.00")))),
    payload_cites=_RETENTION, payload_reasons=_RETAIN,
)  # fmt: skip
PLACE_HOLD = grant_command(
    "place_hold", PlaceHold, lambda c, g, x, r, n: {"reason": str(c.reason)},
    lambda e, v: PlaceHold(e.stream_id, e.payload["reason"]),
)  # fmt: skip
RELEASE_HOLD = grant_command(
    "release_hold", ReleaseHold, lambda c, g, x, r, n: {"reason": str(c.reason)},
    lambda e, v: ReleaseHold(e.stream_id, e.payload["reason"]),
)  # fmt: skip

SPECS = (TERMINATE, RECORD_REPAYMENT, CLOSE_OUT, PLACE_HOLD, RELEASE_HOLD)
