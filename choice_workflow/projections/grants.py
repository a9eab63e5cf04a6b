"""The grants read model: the fold of a grant's events.

The fold is the one the live path, replay, verify, import and the reports use: the
destination of each event comes from the one transition table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.errors import IllegalHistory
from choice_workflow.events import Event, EventType, parse_instant
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE
from choice_workflow.time.instants import to_us


def fold(events: Iterable[Event]) -> Grant:
    """The grant as the fold of its events, oldest first."""
    grant: Grant | None = None
    for event in events:
        grant = evolve(grant, event)
    if grant is None:
        raise IllegalHistory(reason="no events: a grant starts with an Applied event")
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
        raise IllegalHistory(reason=f"{where}records a non-finite {key}: {value}")
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
        raise IllegalHistory(reason=f"{e.type} of {e.stream_id} has no readable replacement")
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
    spec = GRANT_LIFECYCLE.by_event_type.get(event.type)
    if spec is None:
        raise IllegalHistory(reason=f"event type {event.type!r} is not a grant event")
    if grant is None:
        if spec.sources:
            raise IllegalHistory(
                reason=f"grant {event.stream_id} starts with {event.type}, not Applied"
            )
        if event.version != 1:
            raise IllegalHistory(
                reason=f"grant {event.stream_id} starts at version {event.version}, not 1"
            )
        return _applied(None, event)
    if event.version != grant.version + 1:
        raise IllegalHistory(
            reason=f"grant {grant.id}: version {event.version} follows {grant.version}"
        )
    if grant.state not in spec.sources:
        raise IllegalHistory(
            reason=f"grant {grant.id}: {event.type} is not allowed from {grant.state.value}"
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
