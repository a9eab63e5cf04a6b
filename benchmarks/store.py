"""Comparisons 4, 5 and 6a-6c: the SQLite store.

4: durable writes on a SQLite file, one command per transaction at synchronous=FULL
   (WAL): the Program's ``review`` command, round robin over 50 applied grants (new ones
   each repetition, made before timing), against
   (4a) raw sqlite3 single-row transactions (``BEGIN IMMEDIATE``; INSERT of a row as
   large as the library's; COMMIT) at the same settings, and (4b) eventsourcing's
   SQLite application saving one event per command. Wall time: the fsync is the cost.
5: bulk import of a JSON Lines log (the library's export of a simulated program) into
   a new SQLite store with ``import_log`` (which verifies the whole file first, then
   writes it in one transaction and rebuilds the projections), against raw sqlite3
   ``executemany`` of the same rows (the same columns, parsed from the same file before
   timing) in one transaction at the same settings.
6: replay with hash check from SQLite (``verify(store, guards=False)``: every record
   read strictly, every hash recomputed, every column compared, every grant folded,
   projections compared) against (6a) eventsourcing's notification-log replay of the
   same events and (6b) a raw scan + ``json.loads`` of the same rows; and (6c) full
   verify (guards re-run at each event's instant, projections compared) against
   eventsourcing's replay.

CPU time for 5 and 6 (the work is in this process), wall time for 4.
Run: ``python benchmarks/store.py [--quick] [--only 4,5,6]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pendulum

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from benchmarks import _es
from benchmarks._common import (
    HERE,
    cpu_timed,
    interleaved,
    median,
    metric,
    report,
    statements_per_call,
    timed,
    with_goal,
)
from benchmarks._logs import parsed_records, to_us, write_jsonl, write_sqlite
from choice_workflow import Actor, ManualClock, Program, Role
from choice_workflow.audit import import_log, verify
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.simulate import simulate
from choice_workflow.store.memory import MemoryStore
from choice_workflow.store.sql import SqlStore

DEPARTMENT = Actor("dol", Role.DEPARTMENT)
START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
GRANTS = 50

RAW_TABLE = (
    "CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, "
    "version INTEGER NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL, "
    "occurred_us INTEGER NOT NULL, recorded_us INTEGER NOT NULL, actor_id TEXT NOT NULL, "
    "actor_role TEXT NOT NULL, command_id TEXT NOT NULL, record BLOB NOT NULL, "
    "prev_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (stream_id, version))"
)
RAW_INSERT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def raw_connection(path: Path) -> sqlite3.Connection:
    """A sqlite3 connection with the store's settings: WAL, synchronous=FULL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(RAW_TABLE)
    return conn


# -- 4: durable writes ---------------------------------------------------------------------


def apply_grants(program: Program, batch: int) -> list[str]:
    """Register GRANTS employers and apply for a grant each; return the grant ids."""
    clock = program.clock
    grant_ids = []
    for k in range(GRANTS):
        employer_id = f"E{batch:03d}-{k:04d}"
        program.register_employer(sample_employer(employer_id, at=clock.now()), DEPARTMENT)
        program.apply(
            sample_application(employer_id, at=clock.now()),
            Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id),
            grant_id=f"G{batch:03d}-{k:04d}",
        )
        grant_ids.append(f"G{batch:03d}-{k:04d}")
    return grant_ids


def durable_program(path: Path) -> tuple[Program, SqlStore, list[str]]:
    """A Program on a SQLite file with GRANTS applied grants."""
    store = SqlStore(f"sqlite:///{path}")
    program = Program(store, clock=ManualClock(START))
    return program, store, apply_grants(program, 0)


Commands = Callable[[int], None]
"""Runs n commands."""


def run_writes(quick: bool = False) -> list[dict[str, Any]]:
    """Comparisons 4a and 4b. Each repetition works on GRANTS grants of its own, made
    before timing: every grant (and aggregate) gets the same number of commands in every
    repetition, so that no side slows down as its streams grow from one to the next."""
    writes, reps = (60, 3) if quick else (500, 7)
    with tempfile.TemporaryDirectory(prefix="cw-bench-writes-") as d:
        tmp = Path(d)
        program, store, first_ids = durable_program(tmp / "ours.sqlite")
        program.review(first_ids[0], DEPARTMENT, notes="checked")
        assert store.engine is not None
        with store.engine.connect() as conn:
            sample = conn.exec_driver_sql(
                "SELECT stream_id, version, type, schema_version, occurred_us, recorded_us, "
                "actor_id, actor_role, command_id, record, prev_hash, hash FROM events "
                "WHERE type = 'Reviewed' LIMIT 1"
            ).one()
        raw = raw_connection(tmp / "raw.sqlite")
        raw_position = [0]
        es = _es.grants_app(tmp / "es.sqlite")
        batch = [0]

        def ours() -> Commands:
            batch[0] += 1
            ids = apply_grants(program, batch[0])

            def go(n: int) -> None:
                for k in range(n):
                    program.review(ids[k % GRANTS], DEPARTMENT, notes="checked")

            return go

        def raw_rows() -> Commands:
            def go(n: int) -> None:
                for _ in range(n):
                    raw_position[0] += 1
                    p = raw_position[0]
                    raw.execute("BEGIN IMMEDIATE")
                    raw.execute(RAW_INSERT, (p, f"G{p:07d}", 1, *sample[2:]))
                    raw.execute("COMMIT")

            return go

        def eventsourcing() -> Commands:
            batch[0] += 1
            ids = [es.apply(f"E{batch[0]:03d}-{k:04d}") for k in range(GRANTS)]

            def go(n: int) -> None:
                for k in range(n):
                    es.review(ids[k % GRANTS], "checked")

            return go

        def rate(prepare: Callable[[], Commands]) -> Callable[[], float]:
            def measure() -> float:
                go = prepare()
                return writes / timed(lambda: go(writes))

            return measure

        runs = interleaved(
            {"ours": rate(ours), "raw": rate(raw_rows), "eventsourcing": rate(eventsourcing)},
            reps,
        )
        assert store.engine is not None
        counted = ours()
        per_command = statements_per_call(store.engine, lambda: counted(1), 20)
        frames = {
            "ours": wal_frames(tmp / "ours.sqlite", ours()),
            "raw": wal_frames(tmp / "raw.sqlite", raw_rows()),
            "eventsourcing": wal_frames(tmp / "es.sqlite", eventsourcing()),
        }
        synchronous = raw.execute("PRAGMA synchronous").fetchone()[0]
        es_synchronous = (
            sqlite3.connect(tmp / "es.sqlite").execute("PRAGMA synchronous").fetchone()[0]
        )
        raw.close()
        es.close()
        store.dispose()
    details = {
        "commands_per_repetition": writes,
        "grants": GRANTS,
        "command": "Program.review (guards, event, projection update, hash chain)",
        "timing": "wall time (each commit waits for fsync)",
        "wal_frames_per_command": frames,
        "statements_per_command": per_command,
        "raw_synchronous": synchronous,
        "eventsourcing_synchronous_default": es_synchronous,
        "runs_per_second": {k: [round(x, 1) for x in v] for k, v in runs.items()},
    }
    ours_rate = median(runs["ours"])
    return [
        with_goal(
            metric(
                "4a durable writes on a SQLite file, one command per transaction, "
                "synchronous=FULL: Program vs raw sqlite3 single-row transactions",
                "writes/s", ours_rate, "raw sqlite3 BEGIN IMMEDIATE; INSERT; COMMIT",
                median(runs["raw"]), True, reps,
            ),
            ">= 0.7x raw", at_least=0.7, **details,
        ),
        with_goal(
            metric(
                "4b durable writes on a SQLite file, one command per transaction: Program "
                "vs eventsourcing SQLite application (one event per command)",
                "writes/s", ours_rate, "eventsourcing Application, eventsourcing.sqlite",
                median(runs["eventsourcing"]), True, reps,
            ),
            ">= 1.5x eventsourcing", at_least=1.5,
        ),
    ]  # fmt: skip


def wal_frames(path: Path, go: Commands, n: int = 50) -> float:
    """The pages (WAL frames, 4 KiB each) that each of ``n`` more commands writes to the
    file's write-ahead log: what each commit has to fsync. (n is kept small enough that
    no automatic checkpoint, at 1,000 frames, resets the count meanwhile.)"""
    check = sqlite3.connect(path, isolation_level=None)
    check.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    go(n)
    frames = int(check.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    check.close()
    return frames / n


# -- 5: bulk import ----------------------------------------------------------------------------


def raw_rows_of(path: Path) -> list[tuple[Any, ...]]:
    """The rows of the events table, parsed from a JSON Lines log (not timed)."""
    rows = []
    with open(path, "rb") as f:
        f.readline()  # the header
        for line in f:
            cut = line.index(b',"record":')
            head = json.loads(line[:cut] + b"}")
            record = line[cut + len(b',"record":') : -2]
            r = json.loads(record)
            rows.append(
                (
                    head["position"], r["stream_id"], r["version"], r["type"],
                    r.get("schema_version", 1),
                    to_us(dt.datetime.fromisoformat(r["occurred_at"])),
                    to_us(dt.datetime.fromisoformat(r["recorded_at"])),
                    r["actor_id"], r["actor_role"], r["command_id"], record,
                    head["prev_hash"], head["hash"],
                )
            )  # fmt: skip
    return rows


def run_import(quick: bool = False) -> list[dict[str, Any]]:
    """Comparison 5."""
    employers, reps = (20, 3) if quick else (100, 3)
    with tempfile.TemporaryDirectory(prefix="cw-bench-import-") as d:
        tmp = Path(d)
        memory = MemoryStore()
        simulate(employers, store=memory, wages=False)
        log = tmp / "log.jsonl"
        events = write_jsonl(memory, log)
        log_bytes = log.stat().st_size
        rows = raw_rows_of(log)
        counter = [0]

        def ours() -> float:
            counter[0] += 1
            store = SqlStore(f"sqlite:///{tmp / f'ours{counter[0]}.sqlite'}")
            seconds = cpu_timed(lambda: import_log(log, store))
            store.dispose()
            return events / seconds

        def raw() -> float:
            counter[0] += 1
            conn = raw_connection(tmp / f"raw{counter[0]}.sqlite")

            def go() -> None:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(RAW_INSERT, rows)
                conn.execute("COMMIT")

            seconds = cpu_timed(go)
            conn.close()
            return events / seconds

        runs = interleaved({"ours": ours, "raw": raw}, reps)
    return [
        with_goal(
            metric(
                f"5 bulk import of a JSON Lines log into SQLite ({events:,} events): "
                "import_log vs raw sqlite3 executemany of the same rows",
                "events/s", median(runs["ours"]), "raw sqlite3 executemany, one transaction",
                median(runs["raw"]), True, reps,
            ),
            ">= 0.3x raw", at_least=0.3,
            log=f"simulate({employers}, wages=False), exported by export_log",
            log_bytes=log_bytes,
            timing="CPU time; import_log verifies the file, then writes it and the projections",
            runs_per_second={k: [round(x, 1) for x in v] for k, v in runs.items()},
        )
    ]  # fmt: skip


# -- 6: replay ---------------------------------------------------------------------------------


def run_replay(quick: bool = False) -> list[dict[str, Any]]:
    """Comparisons 6a, 6b and 6c."""
    employers, reps = (50, 3) if quick else (300, 5)
    with tempfile.TemporaryDirectory(prefix="cw-bench-replay-") as d:
        tmp = Path(d)
        memory = MemoryStore()
        simulate(employers, store=memory, wages=False)
        db = tmp / "log.sqlite"
        events = write_sqlite(memory, db)
        es_db = tmp / "es.sqlite"
        es_events = _es.build_log(es_db, parsed_records(memory))
        del memory
        store = SqlStore(f"sqlite:///{db}", migrate=False)
        checked = verify(store)
        if not checked.ok:
            raise AssertionError(f"the bulk-loaded log does not verify: {checked.findings[:3]}")

        def replay_rate() -> float:
            return events / cpu_timed(lambda: verify(store, guards=False))

        def verify_rate() -> float:
            return events / cpu_timed(lambda: verify(store))

        def es_rate() -> float:
            counted = [0]
            seconds = cpu_timed(lambda: counted.__setitem__(0, _es.replay(es_db)))
            assert counted[0] == es_events
            return es_events / seconds

        def raw_rate() -> float:
            def scan() -> None:
                conn = sqlite3.connect(db)
                for (record,) in conn.execute("SELECT record FROM events ORDER BY position"):
                    json.loads(record)
                conn.close()

            return events / cpu_timed(scan)

        runs = interleaved(
            {
                "replay": replay_rate,
                "verify": verify_rate,
                "eventsourcing": es_rate,
                "raw": raw_rate,
            },
            reps,
        )
        store.dispose()
    ours = median(runs["replay"])
    es = median(runs["eventsourcing"])
    details = {
        "log": f"simulate({employers}, wages=False), bulk-loaded into SQLite",
        "events": events,
        "timing": "CPU time",
        "runs_per_second": {k: [round(x, 1) for x in v] for k, v in runs.items()},
    }
    return [
        with_goal(
            metric(
                f"6a replay with hash check from SQLite ({events:,} events): "
                "verify(guards=False) vs eventsourcing notification-log replay",
                "events/s", ours, "eventsourcing replay (select_notifications, mutate)",
                es, True, reps,
            ),
            ">= 1.5x eventsourcing", at_least=1.5, **details,
        ),
        with_goal(
            metric(
                f"6b replay with hash check from SQLite ({events:,} events) vs a raw "
                "scan + json.loads of the same rows",
                "events/s", ours, "raw sqlite3 scan + json.loads", median(runs["raw"]),
                True, reps,
            ),
            ">= 0.4x raw", at_least=0.4,
        ),
        with_goal(
            metric(
                f"6c full verify from SQLite ({events:,} events; guards re-run, "
                "projections compared) vs eventsourcing replay",
                "events/s", median(runs["verify"]), "eventsourcing replay", es, True, reps,
            ),
            ">= 1.0x eventsourcing's replay", at_least=1.0,
        ),
    ]  # fmt: skip


def run(quick: bool = False, groups: str = "4,5,6") -> list[dict[str, Any]]:
    chosen = set(groups.split(","))
    metrics: list[dict[str, Any]] = []
    if "4" in chosen:
        metrics += run_writes(quick)
    if "5" in chosen:
        metrics += run_import(quick)
    if "6" in chosen:
        metrics += run_replay(quick)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description="comparisons 4, 5, 6a-6c: the SQLite store")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="4,5,6")
    args = parser.parse_args()
    report(run(args.quick, args.only), HERE / "results-store.json")


if __name__ == "__main__":
    main()
