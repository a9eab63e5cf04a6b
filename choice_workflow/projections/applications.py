"""The applications read model: each grant's application as applied, with its
amendments applied (15(b)); an amendment records only the fields it changed."""

from __future__ import annotations

from collections.abc import Mapping

from choice_workflow.domain.application import (
    Application,
    amended_application,
    application_from_data,
)
from choice_workflow.errors import IllegalHistory
from choice_workflow.events import Event, EventType


def evolve(application: Application | None, event: Event) -> Application:
    """The application after an ``Applied`` or ``ApplicationAmended`` event."""
    if event.type == EventType.APPLIED:
        return application_from_data(event.payload["application"])
    if event.type == EventType.AMENDED:
        changes = event.payload.get("changes")
        if application is None or not isinstance(changes, Mapping):
            raise IllegalHistory(reason=f"the amendment of {event.stream_id} cannot be read")
        return amended_application(application, changes)
    raise IllegalHistory(reason=f"event type {event.type!r} does not change an application")


APPLICATION_EVENTS = frozenset({EventType.APPLIED, EventType.AMENDED})
