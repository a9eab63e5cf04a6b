"""Races on PostgreSQL, between real processes started at one barrier.

Every racer pauses between its read and its write (``CHOICE_WORKFLOW_PAUSE=after_read``),
so that all of them have read before any writes: each race below is hit on every run,
not by luck. Each must have exactly one effect; the losers get a typed error or, for a
retry of the same command, its first result; never a wrong refusal.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from choice_workflow import ManualClock, Program, State
from choice_workflow.audit import verify
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.sql import SqlStore
from tests.workers import DEPARTMENT, DIRECTOR, START, employer_actor, race

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
RACERS = 4


@pytest.fixture(name="paused")
def fixture_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The racers (spawned: they read the environment when they start) pause after
    reading; this process does not."""
    monkeypatch.setenv("CHOICE_WORKFLOW_PAUSE", "after_read:0.4")


def _set_up(url: str, prefix: str) -> None:
    store = SqlStore(url, prefix=prefix)
    try:
        clock = ManualClock(START)
        program = Program(store, clock=clock)
        program.open_cycle(1, DIRECTOR, appropriation="100000.00")
        for n in range(RACERS):
            eid = f"E{n + 1}"
            program.register_employer(sample_employer(eid, at=START), DEPARTMENT)
            program.apply(sample_application(eid, at=START), employer_actor(eid), grant_id=f"A{n}")
        program.apply(sample_application("E1", at=START), employer_actor("E1"), grant_id="G1")
    finally:
        store.dispose()


def _race(
    url: str, prefix: str, kind: str, pauses: Sequence[str] | None = None,
    epoch: float | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Run the race ``kind``: RACERS racers, or one per entry of ``pauses`` (its pauses)."""
    ctx = multiprocessing.get_context("spawn")
    count = RACERS if pauses is None else len(pauses)
    barrier = ctx.Barrier(count)
    results = ctx.Queue()
    racers = [
        ctx.Process(
            target=race,
            args=(
                url,
                prefix,
                kind,
                i,
                barrier,
                results,
                None if pauses is None else pauses[i],
                epoch,
            ),
        )
        for i in range(count)
    ]
    for r in racers:
        r.start()
    reports = []
    try:
        for _ in racers:
            reports.append(results.get(timeout=120))
    except queue.Empty:
        pytest.fail(f"only {len(reports)} of {RACERS} racers reported")
    finally:
        for r in racers:
            r.join(timeout=60)
            if r.is_alive():
                r.kill()
                r.join()
        results.close()
        results.join_thread()
    assert [] == [r["fatal"] for r in reports if "fatal" in r]
    return sorted(reports, key=lambda r: int(r["index"]))


def _outcomes(reports: list[dict[str, Any]]) -> Counter[str]:
    return Counter((r.get("ok") and "ok") or f"refused {r['refused']}" for r in reports)


def _events(url: str, prefix: str, stream: str) -> list[str]:
    store = SqlStore(url, prefix=prefix)
    try:
        with store.transaction() as tx:
            return [e.type for e in tx.stream(stream)]
    finally:
        store.dispose()


def _verify(url: str, prefix: str) -> tuple[Any, ...]:
    store = SqlStore(url, prefix=prefix)
    try:
        return verify(store).findings
    finally:
        store.dispose()


def test_programs_started_together_on_an_empty_log_record_one_start(
    pg_url: str, paused: None
) -> None:
    prefix = "race_start_"
    SqlStore(pg_url, prefix=prefix).dispose()  # the tables, and no event
    reports = _race(pg_url, prefix, "start")
    assert 1 == len({r["ok"] for r in reports})  # every racer runs under the one Rules
    assert ["ProgramStarted"] == _events(pg_url, prefix, "program")
    assert () == _verify(pg_url, prefix)


@pytest.mark.cite("15(f)")
def test_one_cycle_opened_together_is_opened_once(pg_url: str, paused: None) -> None:
    prefix = "race_cycle_"
    _set_up(pg_url, prefix)
    reports = _race(pg_url, prefix, "open_cycle")
    assert Counter({"ok": 1, "refused TransitionRefused": RACERS - 1}) == _outcomes(reports)
    assert ["CycleOpened"] == _events(pg_url, prefix, "cycle:2")
    assert () == _verify(pg_url, prefix)


@pytest.mark.cite('10 "Eligible employer"')
def test_one_employer_registered_together_is_registered_once(pg_url: str, paused: None) -> None:
    prefix = "race_employer_"
    _set_up(pg_url, prefix)
    reports = _race(pg_url, prefix, "register")
    assert Counter({"ok": 1, "refused InvalidInput": RACERS - 1}) == _outcomes(reports)
    assert ["EmployerRegistered"] == _events(pg_url, prefix, "employer:E9")
    assert () == _verify(pg_url, prefix)


@pytest.mark.cite("15(a)")
def test_approvals_made_together_never_hold_more_than_the_appropriation(
    pg_url: str, paused: None
) -> None:
    prefix = "race_funds_"
    _set_up(pg_url, prefix)
    reports = _race(pg_url, prefix, "approve")
    assert Counter({"ok": 3, "refused TransitionRefused": 1}) == _outcomes(reports)
    store = SqlStore(pg_url, prefix=prefix)
    try:
        cycle = Program(store, clock=ManualClock(START.add(hours=2))).cycle(1)
    finally:
        store.dispose()
    assert (90000, 100000) == (int(cycle.reserved), int(cycle.appropriation))
    assert () == _verify(pg_url, prefix)


@pytest.mark.cite("15(j)")
def test_four_retries_of_one_command_id_have_one_effect_and_the_same_result(
    pg_url: str, paused: None
) -> None:
    prefix = "race_retry_"
    _set_up(pg_url, prefix)
    store = SqlStore(pg_url, prefix=prefix)
    try:
        program = Program(store, clock=ManualClock(START.add(minutes=30)))
        program.approve("G1", "20000.00", DIRECTOR)
        program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=program.clock.now())
    finally:
        store.dispose()
    reports = _race(pg_url, prefix, "retry")
    assert [State.ACCEPTED.value] * RACERS == [r.get("ok") for r in reports]
    assert 1 == _events(pg_url, prefix, "G1").count("Accepted")
    assert () == _verify(pg_url, prefix)


def test_refused_attempts_made_together_are_all_logged(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The records queue behind the security stream's lock: a short pause keeps it brief.
    monkeypatch.setenv("CHOICE_WORKFLOW_PAUSE", "after_read:0.02")
    prefix = "race_refused_"
    _set_up(pg_url, prefix)
    reports = _race(pg_url, prefix, "refused")
    assert ["refused 10 times"] * RACERS == [r.get("ok", r.get("refused")) for r in reports]
    assert ["AccessRefused"] * (10 * RACERS) == _events(pg_url, prefix, "security")
    assert () == _verify(pg_url, prefix)


# -- 15(j): a return reads the queue in the log's order -------------------------------------


def _set_up_queue(url: str, prefix: str, *, notice: bool) -> None:
    """Cycle 1 ($100,000): A and B approved at $50,000 each (A accepted; B's notice
    confirmed, when ``notice``, so that its window runs); E9 registered."""
    store = SqlStore(url, prefix=prefix)
    try:
        program = Program(store, clock=ManualClock(START))
        program.open_cycle(1, DIRECTOR, appropriation="100000.00")
        for eid in ("A", "B", "C", "E9"):
            program.register_employer(sample_employer(eid, at=START), DEPARTMENT)
        for eid in ("A", "B"):
            program.apply(sample_application(eid, at=START, amount="50000.00"),
                          employer_actor(eid), grant_id=f"G-{eid}")  # fmt: skip
            program.approve(f"G-{eid}", "50000.00", DIRECTOR)
        program.accept("G-A", employer_actor("A"))
        if notice:
            program.confirm_notice("G-B", DEPARTMENT, channel="email", confirmed_at=START)
            program.apply(sample_application("C", at=START), employer_actor("C"), grant_id="G-C")
    finally:
        store.dispose()


@pytest.mark.cite("15(j)")
def test_an_application_whose_transaction_is_open_is_in_the_queue_of_a_return_after_it(
    pg_url: str,
) -> None:
    # The applicant appends its event and holds its transaction open for 1.5 s; the
    # decline reads after 0.5 s. The application is before the return in the log, so
    # the return must see it: it waits for the cycle the application holds.
    prefix = "race_queue_"
    _set_up_queue(pg_url, prefix, notice=False)
    reports = _race(pg_url, prefix, "return_during_apply",
                    pauses=["after_read:0.5", "before_commit:1.5"])  # fmt: skip
    assert [{"index": 0, "ok": "declined"}, {"index": 1, "ok": "G9"}] == reports
    assert ["Applied", "Referred"] == _events(pg_url, prefix, "G9")
    assert () == _verify(pg_url, prefix)


@pytest.mark.cite("15(j)")
def test_a_sweep_that_waits_for_its_cycle_forfeits_at_an_instant_after_what_it_waited_for(
    pg_url: str,
) -> None:
    # The sweep claims B's lapsed approval, then waits 1 s; meanwhile C's application is
    # amended. The forfeit refers C: its instant is read once the sweep holds the cycle,
    # after the amendment's, never the instant it read before it waited (a ClockError).
    import time

    prefix = "race_sweep_"
    _set_up_queue(pg_url, prefix, notice=True)
    reports = _race(pg_url, prefix, "sweep_during_amend",
                    pauses=["after_claim:1.0", ""], epoch=time.time())  # fmt: skip
    assert [{"index": 0, "ok": "G-B"}, {"index": 1, "ok": "amended"}] == reports
    assert ["Applied", "ApplicationAmended", "Referred"] == _events(pg_url, prefix, "G-C")
    assert () == _verify(pg_url, prefix)
