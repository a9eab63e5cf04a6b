"""Several OS processes on one store: nothing lost, nothing twice, one forfeit per grant.

Every process has its own clock, set past the acceptance deadline of some grants and
before it for the others (grant i's window closes at START + 48 h + i minutes), so its
sweeps forfeit grants that the other processes are still accepting. All processes also
record technical assistance on the same few accepted grants, and reviews on the same
few applications. On SQLite ``BEGIN IMMEDIATE`` and on PostgreSQL the stream's row lock
make such writers wait for each other rather than lose a race and run again; a writer
whose clock is behind an event the winner recorded on the same stream is refused with
``ClockError`` (an event may not precede what its stream holds).
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from choice_workflow import ChoiceWorkflowError, ManualClock, Program, State
from choice_workflow._pgserver import PostgresServer
from choice_workflow.audit.verify import verify
from choice_workflow.events import EventType
from choice_workflow.store.sql import SqlStore
from choice_workflow.store.sql_transaction import SqlTransaction
from tests.workers import (
    START,
    Planned,
    employer_actor,
    employer_id,
    grant_id,
    read_log,
    run_commands,
    set_up_grants,
    version_gaps,
)

HOT = 3
"""Accepted grants that every process assists at once."""
REVIEWED = 3
"""Applications that every process reviews at once."""


def plan_for(index: int, commands: int, race: list[int], rng: random.Random) -> list[Planned]:
    """A mixed plan: 35% technical assistance on the hot grants, 10% reviews, 35%
    acceptances and 12% declines of racing grants, 8% sweeps."""
    plan = []
    for n in range(commands):
        cid = f"w{index}-{n:04d}"
        roll = rng.random()
        i = rng.choice(race)
        if roll < 0.35:
            h = rng.randrange(HOT)
            plan.append(Planned("assist", grant_id(h), employer_id(h), cid))
        elif roll < 0.45:
            plan.append(Planned("review", f"R{rng.randrange(REVIEWED):03d}", "", cid))
        elif roll < 0.80:
            plan.append(Planned("accept", grant_id(i), employer_id(i), cid))
        elif roll < 0.92:
            plan.append(Planned("decline", grant_id(i), employer_id(i), cid))
        else:
            plan.append(Planned("sweep", "", "", cid))
    return plan


FOLLOW_UPS = frozenset({EventType.REFERRED, EventType.FUNDS_RETURNED})
"""Events a release writes under its own command id (the 15(j) referral, or the note
that nobody was referred)."""


def clock_offsets(processes: int, grants: int) -> list[int]:
    """Minutes after START + 48 h of each process's clock, spread over the grants."""
    return [grants * (p + 1) // (processes + 1) for p in range(processes)]


def run_workload(
    url: str, *, processes: int, grants: int, commands: int, seed: int
) -> list[dict[str, Any]]:
    """Set up ``grants`` noticed approvals, run ``commands`` commands split over
    ``processes`` processes started at one barrier, and return their reports."""
    clock = ManualClock(START)
    store = SqlStore(url)
    try:
        set_up_grants(Program(store, clock=clock), clock, grants, accepted=HOT, applied=REVIEWED)
    finally:
        store.dispose()
    rng = random.Random(seed)
    race = list(range(HOT, grants))
    # Process p's clock is START + 48 h + offset_p: the windows of grants below offset_p
    # have closed for it, the others are open. Offsets spread over the grants.
    offsets = clock_offsets(processes, grants)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=run_commands,
            args=(
                url,
                p,
                START.add(hours=48, minutes=offsets[p]).isoformat(),
                plan_for(p, commands // processes, race, rng),
                barrier,
                results,
            ),
        )
        for p in range(processes)
    ]
    for w in workers:
        w.start()
    reports = []
    try:
        for _ in workers:
            reports.append(results.get(timeout=120))
    except queue.Empty:
        pytest.fail(f"only {len(reports)} of {processes} processes reported")
    finally:
        for w in workers:
            w.join(timeout=60)
            if w.is_alive():
                w.kill()
                w.join()
        results.close()
        results.join_thread()
    fatal = [r["fatal"] for r in reports if "fatal" in r]
    assert [] == fatal
    assert [0] * processes == [w.exitcode for w in workers]
    return sorted(reports, key=lambda r: int(r["index"]))


def check_log(url: str, reports: list[dict[str, Any]], grants: int) -> tuple[int, int]:
    """What must hold after the workload, whoever won which race. Returns how many of
    the grants that one process could accept while another could forfeit them were
    accepted, and how many a process's sweep forfeited."""
    assert [] == [e for r in reports for e in r["errors"]]
    store = SqlStore(url)
    try:
        program = Program(store, clock=ManualClock(START.add(hours=48, minutes=grants + 1)))
        final = {g.id for g in program.sweep()}
        rows, commands = read_log(store)

        # Every success a process reported is in the log exactly once; nothing else
        # the processes tried is.
        succeeded = [cid for r in reports for cid in r["ok"]]
        logged = Counter(
            row.command_id for row in rows
            if row.command_id.startswith("w") and row.type not in FOLLOW_UPS
        )  # fmt: skip
        assert len(succeeded) == len(set(succeeded))
        assert dict.fromkeys(succeeded, 1) == dict(logged)
        # What a release wrote in its transaction (15(j)) belongs to a command that
        # succeeded, and no application is referred twice, whoever released first.
        follow_ups = [row for row in rows if row.type in FOLLOW_UPS]
        assert {
            r.command_id.split("#")[0] for r in follow_ups if r.command_id.startswith("w")
        } <= set(succeeded)
        referred = Counter(r.stream_id for r in follow_ups if r.type == EventType.REFERRED)
        assert {} == {g: n for g, n in referred.items() if n > 1}
        assert len(commands) == len(set(commands))
        assert set(commands) == {row.command_id for row in rows}

        assert {} == version_gaps(rows)

        # One forfeit per grant: a sweep claims it; the final sweep takes what is left.
        forfeits = Counter(row.stream_id for row in rows if row.type == EventType.FORFEITED)
        assert {} == {g: n for g, n in forfeits.items() if n > 1}
        by_workers = Counter(g for r in reports for g, _ in r["forfeited"])
        assert {} == {g: n for g, n in by_workers.items() if n > 1}
        assert set() == set(by_workers) & final
        assert set(by_workers) | final == set(forfeits)
        forfeit_ids = {cid for r in reports for _, cid in r["forfeited"]}
        assert forfeit_ids <= {row.command_id for row in rows if row.type == EventType.FORFEITED}

        # Every window has closed by now: each approval was accepted, declined or
        # forfeited, accepted in time and forfeited late.
        states = {g.id: g for g in program.grants()}
        racing = [states[grant_id(i)] for i in range(HOT, grants)]
        assert [] == [g.id for g in racing if g.state is State.APPROVED]
        assert {State.ACCEPTED, State.DECLINED, State.FORFEITED} >= {g.state for g in racing}
        for g in racing:
            assert g.accept_by_us is not None
            if g.state is State.ACCEPTED:
                assert g.accepted_us is not None
                assert g.accepted_us <= g.accept_by_us
        recorded = {(row.stream_id, row.type): row.recorded_us for row in rows}
        late = [
            g
            for g in forfeits
            if recorded[(g, EventType.FORFEITED)] <= (states[g].accept_by_us or 0)
        ]
        assert [] == late

        assert () == verify(store).findings
        offsets = clock_offsets(len(reports), grants)
        contested = [states[grant_id(i)] for i in range(max(HOT, offsets[0]), offsets[-1])]
        return (
            sum(g.state is State.ACCEPTED for g in contested),
            sum(g.id in by_workers for g in contested),
        )
    finally:
        store.dispose()


@pytest.fixture(name="sqlite_url")
def fixture_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'grants.sqlite'}"


@pytest.mark.postgres
@pytest.mark.slow
def test_four_processes_on_postgresql_lose_no_event_and_forfeit_each_lapsed_approval_once(
    pg_url: str,
) -> None:
    reports = run_workload(pg_url, processes=4, grants=200, commands=2000, seed=20300701)
    accepted, swept = check_log(pg_url, reports, 200)
    conflicts = [int(r["conflicts"]) for r in reports]
    print(
        f"PostgreSQL conflicts per process: {conflicts}; refusals: {[r['refused'] for r in reports]};"
        f" contested grants accepted {accepted},"
        f" forfeited by a racing sweep {swept}"
    )
    # The processes met on the same streams: the ones whose clock is behind a winner's
    # event were refused, never written out of order (check_log verified the log).
    assert sum(int(r["refused"].get("ClockError", 0)) for r in reports) > 0
    assert accepted > 0
    assert swept > 0


def test_two_processes_on_one_sqlite_file_lose_no_event_and_forfeit_each_lapsed_approval_once(
    sqlite_url: str,
) -> None:
    reports = run_workload(sqlite_url, processes=2, grants=60, commands=600, seed=20300702)
    accepted, swept = check_log(sqlite_url, reports, 60)
    print(
        f"SQLite conflicts per process: {[r['conflicts'] for r in reports]}; contested grants"
        f" accepted {accepted}, forfeited by a racing sweep {swept}"
    )
    assert 0 == sum(int(r["conflicts"]) for r in reports)  # BEGIN IMMEDIATE serializes writers


@pytest.fixture(name="race_stores")
def fixture_race_stores(pg_server: PostgresServer) -> Iterator[list[SqlStore]]:
    """Three stores (set-up, sweeper, grantee) on a fresh database of their own."""
    url = pg_server.create_database("t_concurrency_sweep_race")
    stores = [SqlStore(url) for _ in range(3)]
    yield stores
    for s in stores:
        s.dispose()


@pytest.mark.postgres
def test_a_command_racing_a_sweep_on_postgresql_is_retried_not_deadlocked(
    race_stores: list[SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, sweeper_store, grantee_store = race_stores
    clock = ManualClock(START)
    set_up_grants(Program(store, clock=clock), clock, 1, accepted=0, applied=0)
    deadline = START.add(hours=48)
    # The grantee accepts at the last instant of its window while the sweeper, a second
    # later by its own clock, has claimed the grant. Hooks order the two transactions:
    # the sweeper claims, the acceptance appends its event, then the sweeper goes on
    # (both are then waiting for each other's locks).
    claimed, appended = threading.Event(), threading.Event()
    claim_due, append = SqlTransaction.claim_due, SqlTransaction.append

    def claim_then_wait(self: SqlTransaction, *args: Any, **kwargs: Any) -> Any:
        grant = claim_due(self, *args, **kwargs)
        if threading.current_thread().name == "sweeper" and grant is not None:
            claimed.set()
            # A store that makes the acceptance wait for the claim never appends here:
            # then the sweeper goes on after the timeout.
            appended.wait(timeout=5)
        return grant

    def append_then_tell(self: SqlTransaction, *args: Any, **kwargs: Any) -> None:
        append(self, *args, **kwargs)
        if threading.current_thread().name == "grantee":
            appended.set()

    monkeypatch.setattr(SqlTransaction, "claim_due", claim_then_wait)
    monkeypatch.setattr(SqlTransaction, "append", append_then_tell)
    sweeper = Program(sweeper_store, clock=ManualClock(deadline.add(seconds=1)))
    grantee = Program(grantee_store, clock=ManualClock(deadline))
    outcome: dict[str, Any] = {}

    def run(name: str, command: Callable[[], object]) -> None:
        try:
            outcome[name] = command()
        except Exception as exc:
            outcome[name] = exc

    threads = [
        threading.Thread(target=run, name="sweeper", args=("sweeper", sweeper.sweep)),
        threading.Thread(
            target=run,
            name="grantee",
            args=("grantee", lambda: grantee.accept("G0000", employer_actor("E0000"))),
        ),
    ]
    threads[0].start()
    assert claimed.wait(timeout=30)
    threads[1].start()
    for t in threads:
        t.join(timeout=60)
    for value in outcome.values():
        if isinstance(value, Exception) and not isinstance(value, ChoiceWorkflowError):
            raise value
    # One of the two won; the other was passed over or refused, with a typed refusal.
    accepted = not isinstance(outcome["grantee"], Exception)
    final = Program(store, clock=ManualClock(deadline)).grant("G0000").state
    assert (State.ACCEPTED if accepted else State.FORFEITED) == final
    assert ([] if accepted else ["G0000"]) == [g.id for g in outcome["sweeper"]]
