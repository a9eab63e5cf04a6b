"""Store benchmarks (issue: the audit trail).

4: durable writes on a SQLite file, one command per transaction at synchronous=FULL,
   against raw sqlite3 single-row transactions at the same setting.
6: replay with hash check from SQLite against a raw scan + json.loads of the same rows;
   and full verify (guards re-run, projections compared).

Run: ``python benchmarks/store.py`` (writes benchmarks/results-store.json).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path

import pendulum

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import HERE, interleaved, median, metric, report, timed
from choice_workflow import Actor, ManualClock, Program, Role
from choice_workflow.audit import verify
from choice_workflow.demo import simulate
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.sql import SqlStore

WRITES = 300
REPS = 5
DEPARTMENT = Actor("dol", Role.DEPARTMENT)


def durable_program(tmp: Path) -> tuple[Program, SqlStore]:
    store = SqlStore(f"sqlite:///{tmp / 'writes.sqlite'}")
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    program = Program(store, clock=clock)
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    program.apply(
        sample_application("E1", at=clock.now()),
        Actor("e", Role.EMPLOYER, employer_id="E1"),
        grant_id="G1",
    )
    return program, store


def ours_writes(program: Program) -> float:
    def run() -> None:
        for _ in range(WRITES):
            program.review("G1", DEPARTMENT, notes="checked")

    return WRITES / timed(run)


def raw_writes(path: Path) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, stream TEXT, version INTEGER, body BLOB)"
    )
    body = b'{"payload":{"notes":"checked"},"type":"Reviewed"}' * 4

    def run() -> None:
        for n in range(WRITES):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (stream, version, body) VALUES (?, ?, ?)", ("G1", n, body))
            conn.execute("COMMIT")

    rate = WRITES / timed(run)
    conn.close()
    return rate


def main() -> None:
    """Run the store comparisons and write results-store.json."""
    metrics = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        program, store = durable_program(tmp)
        runs = interleaved(
            {"ours": lambda: ours_writes(program), "raw": lambda: raw_writes(tmp / "raw.sqlite")},
            REPS,
        )
        store.dispose()
        metrics.append(
            metric("4a durable writes/s, SQLite synchronous=FULL, one command per transaction",
                   "writes/s", median(runs["ours"]), "raw sqlite3 single-row transactions",
                   median(runs["raw"]), True, REPS)
        )  # fmt: skip

        log_store = SqlStore(f"sqlite:///{tmp / 'log.sqlite'}")
        simulate(1500, store=log_store)
        events = sum(1 for _ in log_store.stored_events())
        db = tmp / "log.sqlite"

        def raw_scan() -> float:
            conn = sqlite3.connect(db)
            n = 0
            for (record,) in conn.execute("SELECT record FROM events ORDER BY position"):
                json.loads(record)
                n += 1
            conn.close()
            return n / timed(lambda: None) if False else n  # count only; timed below

        def raw_rate() -> float:
            return events / timed(raw_scan)

        def replay_rate() -> float:
            return events / timed(lambda: verify(log_store, guards=False))

        def verify_rate() -> float:
            return events / timed(lambda: verify(log_store))

        runs = interleaved({"replay": replay_rate, "verify": verify_rate, "raw": raw_rate}, REPS)
        log_store.dispose()
        metrics.append(
            metric(f"6b replay with hash check from SQLite ({events} events)", "events/s",
                   median(runs["replay"]), "raw scan + json.loads of the same rows",
                   median(runs["raw"]), True, REPS)
        )  # fmt: skip
        metrics.append(
            metric(f"6c full verify: guards re-run, projections compared ({events} events)", "events/s",
                   median(runs["verify"]), "raw scan + json.loads of the same rows",
                   median(runs["raw"]), True, REPS)
        )  # fmt: skip
    report(metrics, HERE / "results-store.json")


if __name__ == "__main__":
    main()
