"""Comparisons 6d and 6e: replaying a long log in memory independent of its length;
proving one event of it.

Two SQLite logs of the same program, of 100,000 and of 1,000,000 events, are replayed
with hash check (``verify(store, guards=False)``), each in a fresh child process that
reports its peak resident set size (Linux's ``VmHWM`` of the process; its
``getrusage`` ``ru_maxrss`` is reported beside it, but Linux carries that over exec
from the parent's size at the fork, so it cannot fall below the suite's own size).
A replay that streams the log keeps the same peak whatever its length; one that holds
the log grows tenfold.

The logs come from one run of the library (a child process): a Program over a
MemoryStore takes 1,000 grants through apply, approve, notice, acceptance and the start
of the transition, then records technical assistance (Section 90) to each grant in
turn, hour after hour, until the log holds 100,000 events, when it is written to the
first SQLite file; then on to 1,000,000 for the second. Both logs hold the same grants,
employers and projections; only the history is longer. They are written by the bulk
loader of ``benchmarks/_logs.py`` (the library's own bytes, hashes and projections),
and each replay reports its findings (none expected).

Run: ``python -m benchmarks.replay_memory build DIR`` then ``... replay DB``; the suite
calls :func:`start_build` and :func:`run`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (
    finish_child,
    metric,
    peak_rss_mb,
    ru_maxrss_mb,
    run_child,
    start_child,
    with_goal,
)

GRANTS = 1_000
DESCRIPTIONS = (
    "Benefits counseling for employees",
    "Customized employment training",
    "Job coaching on site",
    "Business plan review",
)


def sizes(quick: bool) -> tuple[int, int]:
    return (10_000, 100_000) if quick else (100_000, 1_000_000)


def build(directory: Path, targets: list[int], grants: int) -> dict[str, Any]:
    """Run the library until its log reaches each target; write each to SQLite."""
    import pendulum

    from benchmarks._logs import write_sqlite
    from choice_workflow import Actor, ManualClock, Program, Role
    from choice_workflow.samples import sample_application, sample_employer
    from choice_workflow.store.memory import MemoryStore

    department = Actor("dol-bench", Role.DEPARTMENT)
    director = Actor("director-bench", Role.DIRECTOR)
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    memory = MemoryStore()
    program = Program(memory, clock=clock)
    start = time.perf_counter()
    open_cycle = getattr(program, "open_cycle", None)
    if open_cycle is not None:
        open_cycle(1, director, appropriation=Decimal(50_000) * (grants + 1))
    ids = []
    for k in range(grants):
        employer_id = f"E{k:05d}"
        actor = Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id)
        gid = f"G-{employer_id}"
        program.register_employer(sample_employer(employer_id, at=clock.now()), department)
        program.apply(sample_application(employer_id, at=clock.now()), actor, grant_id=gid)
        program.approve(gid, "25000.00", director)
        program.confirm_notice(gid, department, channel="email", confirmed_at=clock.now())
        program.accept(gid, actor)
        program.begin_transition(gid, actor, started_at=clock.now())
        ids.append(gid)
    written: dict[str, Any] = {}
    pending = sorted(targets)
    n = 0
    while pending:
        clock.advance(hours=1)
        for gid in ids:
            if len(memory.log) >= pending[0]:
                break
            program.record_technical_assistance(
                gid, department, description=DESCRIPTIONS[n % len(DESCRIPTIONS)]
            )
            n += 1
        if len(memory.log) >= pending[0]:
            size = pending.pop(0)
            path = directory / f"log-{size}.sqlite"
            events = write_sqlite(memory, path)
            written[str(size)] = {"path": str(path), "events": events}
    return {
        "logs": written,
        "grants": grants,
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": peak_rss_mb(),
    }


def replay(db: Path) -> dict[str, Any]:
    """Replay with hash check; this process's peak RSS (run it in a fresh process)."""
    from choice_workflow.audit import verify
    from choice_workflow.store.sql import SqlStore

    store = SqlStore(f"sqlite:///{db}", migrate=False)
    before = peak_rss_mb()
    cpu = time.process_time()
    report = verify(store, guards=False)
    cpu = time.process_time() - cpu
    store.dispose()
    return {
        "events": report.events,
        "grants": len(report.grants),
        "findings": len(report.findings),
        "first_findings": [str(f) for f in report.findings[:3]],
        "cpu_seconds": cpu,
        "events_per_second": report.events / cpu if cpu else None,
        "peak_rss_mb_before_replay": before,
        "peak_rss_mb": peak_rss_mb(),
        "ru_maxrss_mb": ru_maxrss_mb(),
    }


def proofs(db: Path, count: int = 2_000) -> dict[str, Any]:
    """Comparison 6e: the log's tree grown over the whole log on the first proof, then
    inclusion proofs of random events against the tree's head; the baseline checks one
    event the only way there is without the tree: every record read and hashed."""
    import hashlib
    import random
    import sqlite3

    from choice_workflow.service.proofs import LogProofs
    from choice_workflow.store.sql import SqlStore

    store = SqlStore(f"sqlite:///{db}", migrate=False)
    log = LogProofs(store)
    start = time.perf_counter()
    head = log.tree_head()  # grows the tree (the tree table) from the whole log
    grow = time.perf_counter() - start
    rng = random.Random(20300701)
    with store.transaction() as tx:
        positions = [tx.tree_position(rng.randrange(head.size)) for _ in range(count)]
        records = {
            int(row[0]): bytes(row[1])
            for row in tx.conn.exec_driver_sql(  # type: ignore[attr-defined]
                "SELECT position, record FROM events ORDER BY position LIMIT 10"
            )
        }
    start = time.perf_counter()
    made = [log.prove_inclusion(int(position), head.size) for position in positions if position]
    prove = time.perf_counter() - start
    checked = [log.prove_inclusion(p, head.size).problem(r, head.root) for p, r in records.items()]
    store.dispose()
    connection = sqlite3.connect(db)
    start = time.perf_counter()
    for (record,) in connection.execute("SELECT record FROM events ORDER BY position"):
        hashlib.sha256(b"\x00" + record).digest()
    scan = time.perf_counter() - start
    connection.close()
    return {
        "events": head.size,
        "grow_seconds": grow,
        "grow_us_per_event": grow / head.size * 1e6,
        "proofs": len(made),
        "proofs_per_second": len(made) / prove,
        "hashes_per_proof": sum(len(m.hashes) for m in made) / len(made),
        "problems_of_checked_proofs": [c for c in checked if c is not None],
        "scan_seconds": scan,
    }


# -- the suite -----------------------------------------------------------------------------


class Build:
    """A build running in a child process, in a temporary directory it owns."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.dir = tempfile.TemporaryDirectory(prefix="cw-bench-longlog-")
        small, large = sizes(quick)
        self.process: subprocess.Popen[str] | None = start_child(
            "replay_memory", "build", self.dir.name, f"{small},{large}", str(GRANTS)
        )
        self.result: dict[str, Any] | None = None
        self.error: Exception | None = None

    def wait(self) -> dict[str, Any]:
        if self.error is not None:
            raise RuntimeError(f"the build of the long logs failed: {self.error}")
        if self.result is None:
            assert self.process is not None
            process, self.process = self.process, None
            try:
                self.result = finish_child(process)
            except Exception as exc:
                self.error = exc
                raise
        return self.result

    def cleanup(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.dir.cleanup()


def start_build(quick: bool = False) -> Build:
    return Build(quick)


def run(quick: bool = False, build: Build | None = None) -> list[dict[str, Any]]:
    """Comparisons 6d and 6e."""
    own = build is None
    build = build or start_build(quick)
    try:
        built = build.wait()
        small, large = sizes(quick)
        replays = {
            size: run_child("replay_memory", "replay", built["logs"][str(size)]["path"])
            for size in (small, large)
        }
        proved = run_child("replay_memory", "proofs", built["logs"][str(large)]["path"])
    finally:
        if own:
            build.cleanup()
    s, g = replays[small], replays[large]
    return [
        with_goal(
            metric(
                f"6e inclusion proof of one event in a log of {proved['events']:,} events "
                "from SQLite: Program.prove_inclusion vs reading and hashing every record",
                "checks/s", round(proved["proofs_per_second"], 1),
                "every record read and hashed (a raw sqlite3 scan)",
                round(1 / proved["scan_seconds"], 3), True, proved["proofs"],
            ),
            "at least 1000x", at_least=1000, proofs=proved,
        ),
        with_goal(
            metric(
                f"6d peak RSS replaying {large:,} events with hash check vs {small:,} "
                "events (same grants; child process)",
                "MB", g["peak_rss_mb"], f"peak RSS replaying {small:,} events",
                s["peak_rss_mb"], False, 1,
            ),
            "<= 1.2x the peak at 100k", at_least=1 / 1.2,
            build={k: v for k, v in built.items() if k != "logs"},
            replays={str(k): v for k, v in replays.items()},
        )
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="comparison 6d: replay memory")
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("dir")
    b.add_argument("sizes")
    b.add_argument("grants", type=int)
    r = sub.add_parser("replay")
    r.add_argument("db")
    pr = sub.add_parser("proofs")
    pr.add_argument("db")
    s = sub.add_parser("suite")
    s.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.cmd == "build":
        out = build(Path(args.dir), [int(x) for x in args.sizes.split(",")], args.grants)
    elif args.cmd == "replay":
        out = replay(Path(args.db))
    elif args.cmd == "proofs":
        out = proofs(Path(args.db))
    else:
        out = {"metrics": run(args.quick)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
