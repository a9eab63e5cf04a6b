"""A grant as plain data, and the fold of its events (``Grant.from_events``).

The fold is the one replay uses: the destination of each event comes from the one
transition table. Instants are kept as integer microseconds since the Unix epoch (UTC),
which costs a third of a pendulum DateTime per field, and are shown as pendulum
instants through properties.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import pendulum

from choice_workflow.errors import ChoiceWorkflowError
from choice_workflow.events import Event, EventType, parse_instant
from choice_workflow.lifecycle.states import State
from choice_workflow.time.instants import utc_instant

_EPOCH_STD = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_us(instant: dt.datetime) -> int:
    """An aware instant as integer microseconds since the Unix epoch."""
    # stdlib subtraction: pendulum's returns an Interval, which is slower and does not
    # floor-divide by a timedelta.
    td = dt.datetime.__sub__(instant, _EPOCH_STD)
    return (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds


def from_us(us: int) -> pendulum.DateTime:
    """Integer microseconds since the Unix epoch as a pendulum instant in UTC."""
    return utc_instant(_EPOCH_STD + dt.timedelta(microseconds=us))


def _opt(us: int | None) -> pendulum.DateTime | None:
    return None if us is None else from_us(us)


class IllegalHistory(ChoiceWorkflowError):
    """A sequence of events the transition table does not allow (a corrupt log)."""


@attrs.frozen
class Grant:
    """The state of one grant, as the fold of its events."""

    id: str
    employer_id: str
    state: State
    version: int
    cycle: int
    amount_requested: Decimal
    applied_us: int
    amount: Decimal | None = None
    reviewed_by: str | None = None
    approved_us: int | None = None
    approved_by: str | None = None
    notice_channel: str | None = None
    notice_us: int | None = None
    accept_by_us: int | None = None
    accepted_us: int | None = None
    transition_start_us: int | None = None
    ended_us: int | None = None
    disbursed: Decimal = Decimal("0.00")
    """15(a), 15(f): what has been paid out of the grant."""
    instalments: int = 0
    """How many instalments of the disbursement schedule have been paid."""
    referred_from: str | None = None
    """15(j): the grant whose return put this application before the Director."""
    endorsed_by: str | None = None
    """Dual authorization: the Director who endorsed the amount to approve."""
    endorsed_amount: Decimal | None = None
    final_wages_version: int | None = None
    """The version of the grantee's latest final wage report (close-out needs one)."""
    unspent: Decimal = Decimal("0.00")
    """What the grantee returned unspent at close-out (back to the cycle)."""
    cause: str | None = None
    """The cause of a termination (:class:`~choice_workflow.lifecycle.corrections.Cause`)."""
    receivable: Decimal = Decimal("0.00")
    """What a terminated grantee was ordered to repay."""
    repaid: Decimal = Decimal("0.00")
    """What it has repaid (returned to the cycle)."""
    on_hold: bool = False
    """2 CFR 200.334: a litigation or audit hold suspends the retention period."""
    retain_until_us: int | None = None
    """2 CFR 200.334: the records are kept at least until then (set at close-out)."""

    @property
    def applied_at(self) -> pendulum.DateTime:
        """When the application was recorded."""
        return from_us(self.applied_us)

    @property
    def approved_at(self) -> pendulum.DateTime | None:
        """When the Director approved the grant (15(a))."""
        return _opt(self.approved_us)

    @property
    def notice_confirmed_at(self) -> pendulum.DateTime | None:
        """When the notice of approval was confirmed (15(i))."""
        return _opt(self.notice_us)

    @property
    def accept_by(self) -> pendulum.DateTime | None:
        """The last instant of the 15(j) acceptance window, once it runs."""
        return _opt(self.accept_by_us)

    @property
    def accepted_at(self) -> pendulum.DateTime | None:
        """When the grantee accepted (15(j))."""
        return _opt(self.accepted_us)

    @property
    def transition_started_at(self) -> pendulum.DateTime | None:
        """When the grantee's transition to the minimum wage started (15(i))."""
        return _opt(self.transition_start_us)

    @property
    def ended_at(self) -> pendulum.DateTime | None:
        """When the grant reached a final state."""
        return _opt(self.ended_us)

    @property
    def retain_until(self) -> pendulum.DateTime | None:
        """2 CFR 200.334: the end of the retention period (None before close-out)."""
        return _opt(self.retain_until_us)

    @property
    def outstanding(self) -> Decimal:
        """What a terminated grantee still owes (receivable less repayments)."""
        return self.receivable - self.repaid

    @property
    def is_final(self) -> bool:
        """True once no command can change the grant."""
        return self.state.is_final

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Grant:
        """The grant as the fold of its events, oldest first."""
        grant: Grant | None = None
        for event in events:
            grant = evolve(grant, event)
        if grant is None:
            raise IllegalHistory("no events: a grant starts with an Applied event")
        return grant


_FIELDS = tuple(a.name for a in attrs.fields(Grant))


def _ins(event: Event, key: str) -> int | None:
    text = event.payload.get(key)
    return None if text is None else to_us(parse_instant(str(text)))


def _amount(e: Event | Mapping[str, Any], key: str, of: Event | None = None) -> Decimal:
    event = e if isinstance(e, Event) else of
    payload = e.payload if isinstance(e, Event) else e
    value = Decimal(str(payload[key]))
    if not value.is_finite():
        where = "" if event is None else f"{event.type} of {event.stream_id} "
        raise IllegalHistory(f"{where}records a non-finite {key}: {value}")
    return value


def _applied(_: Grant | None, e: Event) -> Grant:
    return Grant(
        id=e.stream_id,
        employer_id=str(e.payload["employer_id"]),
        state=State.APPLIED,
        version=e.version,
        cycle=int(e.payload.get("cycle", 1)),
        amount_requested=_amount(e, "amount_requested"),
        applied_us=to_us(e.occurred_at),
    )


def _reviewed(g: Grant, e: Event) -> dict[str, object]:
    return {"reviewed_by": e.actor_id}


def _approved(g: Grant, e: Event) -> dict[str, object]:
    return {
        "amount": _amount(e, "amount"),
        "approved_us": to_us(e.occurred_at),
        "approved_by": e.actor_id,
        "accept_by_us": _ins(e, "accept_by"),
    }


def _notice(g: Grant, e: Event) -> dict[str, object]:
    accept_by = _ins(e, "accept_by")
    return {
        "notice_channel": str(e.payload["channel"]),
        "notice_us": _ins(e, "confirmed_at"),
        "accept_by_us": g.accept_by_us if accept_by is None else accept_by,
    }


def _accepted(g: Grant, e: Event) -> dict[str, object]:
    return {"accepted_us": to_us(e.occurred_at)}


def _transition(g: Grant, e: Event) -> dict[str, object]:
    return {"transition_start_us": _ins(e, "started_at")}


def _disbursed(g: Grant, e: Event) -> dict[str, object]:
    return {
        "disbursed": g.disbursed + _amount(e, "amount"),
        "instalments": g.instalments + 1,
    }


def _amended(g: Grant, e: Event) -> dict[str, object]:
    changes = e.payload["changes"]
    if "amount_requested" in changes:
        return {"amount_requested": _amount(changes, "amount_requested", e)}
    return {}


def _wages(g: Grant, e: Event) -> dict[str, object]:
    if e.payload.get("final") is True:
        return {"final_wages_version": e.version}
    return {}


def _corrected(g: Grant, e: Event) -> dict[str, object]:
    # A correction may mark a wage report as the final one (never unmark one: the
    # guard refuses it); the latest final report counts.
    p = e.payload
    if not isinstance(p.get("replacement"), Mapping) or not isinstance(p.get("corrects"), int):
        raise IllegalHistory(f"{e.type} of {e.stream_id} has no readable replacement")
    if (
        p.get("corrects_type") != EventType.WAGES_RECORDED
        or p["replacement"].get("final") is not True
    ):
        return {}
    return {"final_wages_version": max(int(p["corrects"]), g.final_wages_version or 0)}


def _terminated(g: Grant, e: Event) -> dict[str, object]:
    repay = e.payload.get("repay")
    return {
        "cause": e.payload.get("cause"),
        "receivable": Decimal("0.00") if repay is None else _amount(e, "repay"),
        "retain_until_us": _ins(e, "retain_until"),
    }


def _repaid(g: Grant, e: Event) -> dict[str, object]:
    return {"repaid": g.repaid + _amount(e, "amount")}


def _closed(g: Grant, e: Event) -> dict[str, object]:
    return {"retain_until_us": _ins(e, "retain_until"), "unspent": _amount(e, "unspent")}


def _hold(on: bool) -> Callable[[Grant, Event], dict[str, object]]:
    return lambda g, e: {"on_hold": on}


def _endorsed(g: Grant, e: Event) -> dict[str, object]:
    return {"endorsed_by": e.actor_id, "endorsed_amount": _amount(e, "amount")}


def _referred(g: Grant, e: Event) -> dict[str, object]:
    return {"referred_from": str(e.payload["from_grant"])}


_FIELD_UPDATES: dict[str, Callable[[Grant, Event], dict[str, object]]] = {
    EventType.REVIEWED: _reviewed,
    EventType.APPROVED: _approved,
    EventType.NOTICE_CONFIRMED: _notice,
    EventType.ACCEPTED: _accepted,
    EventType.TRANSITION_BEGUN: _transition,
    EventType.DISBURSED: _disbursed,
    EventType.REFERRED: _referred,
    EventType.ENDORSED: _endorsed,
    EventType.AMENDED: _amended,
    EventType.WAGES_RECORDED: _wages,
    EventType.CORRECTED: _corrected,
    EventType.TERMINATED: _terminated,
    EventType.REPAYMENT_RECEIVED: _repaid,
    EventType.CLOSED_OUT: _closed,
    EventType.HOLD_PLACED: _hold(True),
    EventType.HOLD_RELEASED: _hold(False),
}


def evolve(grant: Grant | None, event: Event) -> Grant:
    """Apply one event to a grant (``None`` before its first event).

    Raises :class:`IllegalHistory` when the transition table does not allow the event
    from the grant's state, or the stream's versions do not follow on.
    """
    from choice_workflow.lifecycle.table import GRANT_LIFECYCLE

    spec = GRANT_LIFECYCLE.by_event_type.get(event.type)
    if spec is None:
        raise IllegalHistory(f"event type {event.type!r} is not a grant event")
    if grant is None:
        if spec.sources:
            raise IllegalHistory(f"grant {event.stream_id} starts with {event.type}, not Applied")
        if event.version != 1:
            raise IllegalHistory(
                f"grant {event.stream_id} starts at version {event.version}, not 1"
            )
        return _applied(None, event)
    if event.version != grant.version + 1:
        raise IllegalHistory(f"grant {grant.id}: version {event.version} follows {grant.version}")
    if grant.state not in spec.sources:
        raise IllegalHistory(
            f"grant {grant.id}: {event.type} is not allowed from {grant.state.value}"
        )
    update = _FIELD_UPDATES.get(event.type)
    changes = {} if update is None else update(grant, event)
    dest = spec.dest if spec.dest is not None else grant.state
    if spec.dest is not None and dest.is_final:
        # Only the step into a final state ends the grant: a correction, a repayment
        # or a hold recorded later keeps its end.
        changes["ended_us"] = to_us(event.occurred_at)
    changes["state"] = dest
    changes["version"] = event.version
    # Positional, in field order: a third of the cost of attrs.evolve for ~30 fields.
    values: list[Any] = [changes[n] if n in changes else getattr(grant, n) for n in _FIELDS]
    return Grant(*values)
