"""The eventsourcing peer (https://pypi.org/project/eventsourcing/): an Application
with an Aggregate, persisted by its SQLite module (``PERSISTENCE_MODULE=
eventsourcing.sqlite``, ``SQLITE_DBNAME`` a file; WAL, and SQLite's default
``synchronous=FULL``, the store's own setting).

- Writes (4b): each command loads the aggregate from its events (the repository) and
  saves the one new event it triggers, in one transaction.
- Replay (6a, 6c): the events of the library's log are saved as events of one
  aggregate per stream, each carrying the record's fields (so each stored event is about
  as large as the library's); replay reads the application's notification log in
  pages (``recorder.select_notifications``), turns each notification into its domain
  event (``mapper.to_domain_event``) and folds it into its aggregate (``mutate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class EsGrant(Aggregate):
    """A grant that is applied for and then reviewed, one event per command."""

    @event("Applied")
    def __init__(self, employer_id: str) -> None:
        self.employer_id = employer_id
        self.state = "applied"
        self.reviews = 0

    @event("Reviewed")
    def review(self, notes: str) -> None:
        if self.state != "applied":
            raise ValueError("only an applied grant is reviewed")
        self.reviews += 1
        self.notes = notes


class EsGrants(Application[UUID]):
    """Commands on EsGrant aggregates."""

    def apply(self, employer_id: str) -> UUID:
        grant = EsGrant(employer_id)
        self.save(grant)
        return grant.id

    def review(self, grant_id: UUID, notes: str) -> None:
        grant: EsGrant = self.repository.get(grant_id)
        grant.review(notes)
        self.save(grant)


class EsStream(Aggregate):
    """One stream of the library's log: each event carries the record's fields."""

    @event("Started")
    def __init__(self, kind: str, body: dict[str, Any]) -> None:
        self.kind = kind
        self.events = 1

    @event("Recorded")
    def record(self, kind: str, body: dict[str, Any]) -> None:
        self.kind = kind
        self.events += 1


class EsLog(Application[UUID]):
    """An application holding a copy of the library's log."""


def env(path: Path) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}


def grants_app(path: Path) -> EsGrants:
    return EsGrants(env=env(path))


def build_log(path: Path, records: list[tuple[str, str, dict[str, Any]]]) -> int:
    """Save ``records`` (stream id, type, record fields) as EsStream events; saved in
    batches (building is not timed). Return the number of events saved."""
    app = EsLog(env=env(path))
    streams: dict[str, EsStream] = {}
    touched: dict[str, EsStream] = {}
    n = 0
    for stream_id, kind, body in records:
        found = streams.get(stream_id)
        if found is None:
            found = streams[stream_id] = EsStream(kind, body)
        else:
            found.record(kind, body)
        touched[stream_id] = found
        n += 1
        if len(touched) >= 200:
            app.save(*touched.values())
            touched.clear()
    if touched:
        app.save(*touched.values())
    app.close()
    return n


def replay(path: Path, page: int = 1000) -> int:
    """Rebuild every aggregate from the notification log; return the events read."""
    app = EsLog(env=env(path))
    aggregates: dict[UUID, Any] = {}
    to_event = app.mapper.to_domain_event
    start = 1
    n = 0
    while True:
        notifications = app.recorder.select_notifications(start=start, limit=page)
        if not notifications:
            break
        for notification in notifications:
            e = to_event(notification)
            aggregates[e.originator_id] = e.mutate(aggregates.get(e.originator_id))
        n += len(notifications)
        start = notifications[-1].id + 1
    app.close()
    return n
