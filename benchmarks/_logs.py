"""Logs for the store benchmarks, made by the library itself.

A log is produced by a Program over a MemoryStore (a simulation, or the commands of a
benchmark), which canonicalises and hash-chains every event as it commits. Writing it to
a SQLite file by ``import_log`` re-verifies every event and takes about a millisecond
each: a million events would take a quarter of an hour. So the benchmarks bulk-load
instead: the store creates its schema (its own migrations), the stored events (the
library's bytes, hashes and columns, unchanged) are inserted with SQLAlchemy's
``executemany`` into the store's own ``events`` and ``commands`` tables, and the
projections (grants, cycles, awards, employers, applications) are written through the
store's transaction, as ``import_log`` writes them. ``verify`` of the result finds
nothing (checked where the benchmarks use one).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from pathlib import Path
from typing import Any

from choice_workflow.audit import export_log
from choice_workflow.store.memory import MemoryStore
from choice_workflow.store.sql import SqlStore

BATCH = 20_000


def to_us(instant: dt.datetime) -> int:
    """Microseconds since the Unix epoch (the store's instant columns)."""
    u = instant.astimezone(dt.UTC)
    return calendar.timegm(u.timetuple()) * 1_000_000 + u.microsecond


def write_sqlite(memory: MemoryStore, path: Path) -> int:
    """Bulk-load the log and projections of ``memory`` into a new SQLite store at
    ``path``; return the number of events."""
    store = SqlStore(f"sqlite:///{path}")
    events = store.tables.events
    commands = store.tables.commands
    first: dict[str, int] = {}
    n = 0
    assert store.engine is not None
    with store.engine.begin() as conn:
        batch: list[dict[str, Any]] = []
        for s in memory.stored_events():
            e = s.event
            batch.append(
                {
                    "position": s.position, "stream_id": e.stream_id, "version": e.version,
                    "type": e.type, "schema_version": e.schema_version,
                    "occurred_us": to_us(e.occurred_at), "recorded_us": to_us(e.recorded_at),
                    "actor_id": e.actor_id, "actor_role": e.actor_role,
                    "command_id": e.command_id, "record": s.record,
                    "prev_hash": s.prev_hash, "hash": s.hash,
                }
            )  # fmt: skip
            first.setdefault(e.command_id, s.position)
            n += 1
            if len(batch) >= BATCH:
                conn.execute(events.insert(), batch)
                batch = []
        if batch:
            conn.execute(events.insert(), batch)
        rows = [{"command_id": c, "first_position": p} for c, p in first.items()]
        for k in range(0, len(rows), BATCH):
            conn.execute(commands.insert(), rows[k : k + BATCH])
    with store.transaction() as tx:
        for employer in memory.employers.values():
            tx.put_employer(employer)
        for grant_id, application in memory.applications.items():
            tx.put_application(grant_id, application)
        for cycle in memory.cycles.values():
            tx.put_cycle(cycle)
        for employer_id, grant_id in memory.awards.items():
            tx.record_award(employer_id, grant_id)
        for grant in memory.grants.values():
            tx.put_grant(grant, new=True)
    store.dispose()
    return n


def write_jsonl(memory: MemoryStore, path: Path) -> int:
    """The library's own export of ``memory``'s log to ``path``."""
    with open(path, "wb") as out:
        return export_log(memory.stored_events(), out)


def parsed_records(memory: MemoryStore) -> list[tuple[str, str, dict[str, Any]]]:
    """(stream id, type, parsed record) of every event, in log order (for the peers)."""
    return [(s.event.stream_id, s.event.type, json.loads(s.record)) for s in memory.stored_events()]
