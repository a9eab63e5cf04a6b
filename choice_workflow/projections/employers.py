"""The employers read model: each employer as its latest event records it (every
event of an employer's stream carries its whole record)."""

from __future__ import annotations

from choice_workflow.domain.employer import Employer, employer_from_data
from choice_workflow.errors import IllegalHistory
from choice_workflow.events import Event, EventType

EMPLOYER_EVENTS = frozenset(
    {EventType.EMPLOYER_REGISTERED, EventType.EMPLOYER_UPDATED, EventType.CONTACT_CHANGED}
)


def evolve(employer: Employer | None, event: Event) -> Employer:
    """The employer after one event of its stream."""
    if event.type not in EMPLOYER_EVENTS:
        raise IllegalHistory(reason=f"event type {event.type!r} is not an employer event")
    return employer_from_data(event.payload["employer"])
