"""The cycles read model: each cycle's opening, appropriation and waitlist (its own
stream) and its funds ledger (the events of its grants) (15(a), 15(f), 15(j))."""

from __future__ import annotations

from decimal import Decimal

import attrs

from choice_workflow.domain.cycle import Cycle, apply_delta, ledger_delta, waitlist_from_data
from choice_workflow.domain.grant import Grant
from choice_workflow.errors import IllegalHistory
from choice_workflow.events import Event, EventType, parse_instant
from choice_workflow.time.instants import to_us

CYCLE_EVENTS = frozenset(
    {EventType.CYCLE_OPENED, EventType.APPROPRIATION_SET, EventType.AWARDS_SELECTED}
)


def evolve(cycle: Cycle | None, event: Event) -> Cycle:
    """A cycle after one event of its own stream (``cycle:N``)."""
    p = event.payload
    number = int(p["cycle"])
    if event.type == EventType.CYCLE_OPENED:
        close = p.get("applications_close")
        return Cycle(
            number,
            to_us(parse_instant(str(p["opens_at"]))),
            None if close is None else to_us(parse_instant(str(close))),
            Decimal(str(p["appropriation"])),
        )
    if cycle is None:
        raise IllegalHistory(reason=f"{event.type} of cycle {number} before it was opened")
    if event.type == EventType.APPROPRIATION_SET:
        return attrs.evolve(cycle, appropriation=Decimal(str(p["appropriation"])))
    if event.type == EventType.AWARDS_SELECTED:
        return attrs.evolve(cycle, waitlist=waitlist_from_data(p["waitlist"]), referred=())
    raise IllegalHistory(reason=f"event type {event.type!r} is not a cycle event")


def ledger(
    cycle: Cycle, event: Event, reserved: Decimal, disbursed: Decimal, after: Grant
) -> Cycle:
    """A cycle after one event of one of its grants: what the grant now holds and has
    been paid (15(a): the event's ``reserved`` and ``disbursed`` changes,
    :func:`~choice_workflow.domain.cycle.ledger_delta`), and the waitlisted grants
    already referred (15(j))."""
    if event.type == EventType.REFERRED:
        offer = (after.id, Decimal(str(event.payload["offered"])))
        cycle = attrs.evolve(
            cycle, referred=(*cycle.referred, after.id), offers=(*cycle.offers, offer)
        )
    return apply_delta(cycle, reserved, disbursed)


def moves_funds(before: Grant | None, after: Grant) -> bool:
    """True when a grant event changes what its cycle holds or has paid."""
    reserved, disbursed = ledger_delta(before, after)
    return bool(reserved or disbursed)
