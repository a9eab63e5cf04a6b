"""Comparison 7: PostgreSQL.

A throwaway server is started for the run (``choice_workflow._pgserver``: initdb into a
temporary directory, a free loopback port, stopped by its pid at the end). It runs with
``fsync=off`` and ``synchronous_commit=off``; both sides of each comparison use the same
server, so the same durability.

7a: one command per transaction, the Program's ``review`` round robin over 50 applied
    grants (guards, event, hash chain, projection; the store's shared advisory lock),
    against raw psycopg single-row insert transactions (INSERT of a row as large as the
    library's, COMMIT), in this process, wall time.
7b: the same commands from 2 processes at once (each on its own 50 grants) against 1
    process: each worker process opens its own Program, warms up, waits for the signal
    and reports when it started and finished (the system-wide monotonic clock); the
    rate is all commands over the span from the first start to the last end.

Run: ``python benchmarks/postgres.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import pendulum

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (
    HERE,
    interleaved,
    median,
    metric,
    report,
    start_child,
    statements_per_call,
    timed,
    with_goal,
)
from choice_workflow import Actor, ManualClock, Program, Role
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.sql import SqlStore

DEPARTMENT = Actor("dol", Role.DEPARTMENT)
START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
GRANTS = 50

RAW_TABLE = (
    "CREATE TABLE IF NOT EXISTS raw_events (position BIGSERIAL PRIMARY KEY, "
    "stream_id VARCHAR(200) NOT NULL, version INTEGER NOT NULL, type VARCHAR(64) NOT NULL, "
    "schema_version INTEGER NOT NULL, occurred_us BIGINT NOT NULL, recorded_us BIGINT NOT NULL, "
    "actor_id VARCHAR(200) NOT NULL, actor_role VARCHAR(20) NOT NULL, "
    "command_id VARCHAR(200) NOT NULL, record BYTEA NOT NULL, prev_hash VARCHAR(64) NOT NULL, "
    "hash VARCHAR(64) NOT NULL, UNIQUE (stream_id, version))"
)
RAW_INSERT = (
    "INSERT INTO raw_events (stream_id, version, type, schema_version, occurred_us, "
    "recorded_us, actor_id, actor_role, command_id, record, prev_hash, hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def grant_ids(prefix: str) -> list[str]:
    return [f"{prefix}G{k:04d}" for k in range(GRANTS)]


def setup(url: str, prefixes: list[str]) -> None:
    """Register the employers and apply for the grants of every prefix."""
    store = SqlStore(url)
    clock = ManualClock(START)
    program = Program(store, clock=clock)
    for prefix in prefixes:
        for k, gid in enumerate(grant_ids(prefix)):
            employer_id = f"{prefix}E{k:04d}"
            program.register_employer(sample_employer(employer_id, at=clock.now()), DEPARTMENT)
            program.apply(
                sample_application(employer_id, at=clock.now()),
                Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id),
                grant_id=gid,
            )
    store.dispose()


def worker(url: str, prefix: str, commands: int) -> None:
    """One process of 7b: warm up, say ready, wait for go, run, report."""
    store = SqlStore(url, migrate=False)
    program = Program(store, clock=ManualClock(START))
    ids = grant_ids(prefix)
    program.review(ids[0], DEPARTMENT, notes="warm-up")
    print("ready", flush=True)
    sys.stdin.readline()
    start, cpu = time.monotonic(), time.process_time()
    for n in range(commands):
        program.review(ids[n % len(ids)], DEPARTMENT, notes="checked")
    end, cpu = time.monotonic(), time.process_time() - cpu
    store.dispose()
    print(
        json.dumps(
            {
                "start": start,
                "end": end,
                "commands": commands,
                "cpu_seconds": cpu,
                "conflicts": program.conflicts,
            }
        ),
        flush=True,
    )


def processes_rate(
    url: str, prefixes: list[str], commands: int, log: list[dict[str, Any]] | None = None
) -> float:
    """Commands per second of len(prefixes) worker processes running at once."""
    workers = [start_child("postgres", "worker", url, p, str(commands)) for p in prefixes]
    try:
        for w in workers:
            assert w.stdout is not None
            line = w.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(
                    f"worker did not start: {line!r} {w.stderr.read() if w.stderr else ''}"
                )
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        results = []
        for w in workers:
            out, err = w.communicate(timeout=600)
            if w.returncode != 0:
                raise RuntimeError(f"worker failed: {err[-2000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    span = max(r["end"] for r in results) - min(r["start"] for r in results)
    if log is not None:
        log.append(
            {
                "processes": len(results),
                "span_seconds": round(span, 3),
                "worker_cpu_seconds": [round(r["cpu_seconds"], 3) for r in results],
                "conflicts": sum(r["conflicts"] for r in results),
            }
        )
    return sum(r["commands"] for r in results) / span


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Comparisons 7a and 7b."""
    import psycopg

    from choice_workflow._pgserver import running_server

    writes, reps = (60, 3) if quick else (500, 7)
    per_worker, reps_b = (100, 2) if quick else (800, 6)
    with running_server() as server:
        url = server.create_database("bench")
        setup(url, ["A", "W1", "W2"])
        store = SqlStore(url, migrate=False)
        program = Program(store, clock=ManualClock(START))
        ids = grant_ids("A")
        program.review(ids[0], DEPARTMENT, notes="checked")
        raw = psycopg.connect(server.dsn("bench"))
        raw.execute(RAW_TABLE)
        raw.commit()
        row = raw.execute(
            "SELECT stream_id, version, type, schema_version, occurred_us, recorded_us, "
            "actor_id, actor_role, command_id, record, prev_hash, hash FROM events "
            "WHERE type = 'Reviewed' LIMIT 1"
        ).fetchone()
        assert row is not None
        settings = {
            k: raw.execute(f"SHOW {k}").fetchone()[0]  # type: ignore[index]
            for k in ("fsync", "synchronous_commit", "server_version")
        }
        raw.commit()
        counter = [0]

        def ours() -> float:
            def go() -> None:
                for n in range(writes):
                    program.review(ids[n % GRANTS], DEPARTMENT, notes="checked")

            return writes / timed(go)

        def raw_rows() -> float:
            def go() -> None:
                for _ in range(writes):
                    counter[0] += 1
                    raw.execute(RAW_INSERT, (f"R{counter[0]:08d}", 1, *row[2:]))
                    raw.commit()

            return writes / timed(go)

        runs = interleaved({"ours": ours, "raw": raw_rows}, reps)
        assert store.engine is not None
        cycle = iter(range(10**9))
        per_command = statements_per_call(
            store.engine,
            lambda: program.review(ids[next(cycle) % GRANTS], DEPARTMENT, notes="checked"),
            50,
        )
        raw.close()
        store.dispose()
        spans: list[dict[str, Any]] = []
        procs = interleaved(
            {
                "one": lambda: processes_rate(url, ["W1"], per_worker, spans),
                "two": lambda: processes_rate(url, ["W1", "W2"], per_worker, spans),
            },
            reps_b,
        )
    return [
        with_goal(
            metric(
                "7a PostgreSQL, one command per transaction: Program vs raw psycopg "
                "single-row insert transactions",
                "writes/s", median(runs["ours"]), "raw psycopg INSERT; COMMIT",
                median(runs["raw"]), True, reps,
            ),
            ">= 0.6x raw", at_least=0.6,
            server=settings, commands_per_repetition=writes, timing="wall time",
            statements_per_command=per_command,
            raw_statements_per_row={"statements": 1, "commits": 1},
            runs_per_second={k: [round(x, 1) for x in v] for k, v in runs.items()},
        ),
        with_goal(
            metric(
                "7b PostgreSQL, one command per transaction: 2 processes at once vs 1",
                "writes/s", median(procs["two"]), "1 process", median(procs["one"]),
                True, reps_b,
            ),
            ">= 1.3x one process", at_least=1.3,
            commands_per_process=per_worker, runs=spans,
            runs_per_second={k: [round(x, 1) for x in v] for k, v in procs.items()},
        ),
    ]  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description="comparison 7: PostgreSQL")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    report(run(args.quick), HERE / "results-postgres.json")


if __name__ == "__main__":
    main()
