"""Crash safety: a process killed anywhere leaves whole commands only, and the store works on.

A child process (``python -m tests.workers crash``) runs a planned sequence of commands,
each writing exactly one grant event, and prints ``begin``/``done`` around each one. It
dies either on an armed fault point of the store's write path
(``CHOICE_WORKFLOW_FAULT=point:n``, store/_faults.py) or by the parent's SIGKILL sent
right after it read the child's k-th progress line. After every run the log must hold
whole commands only, verify must find nothing, and a further command must succeed.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

from choice_workflow import ManualClock, Program
from choice_workflow.audit.verify import verify
from choice_workflow.events import EventType
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store._faults import POINTS
from choice_workflow.store.sql import SqlStore
from tests.workers import (
    APPROPRIATION,
    CRASH_STEPS,
    DEPARTMENT,
    DIRECTOR,
    START,
    Planned,
    crash_plan,
    employer_actor,
    read_log,
)

ROOT = Path(__file__).resolve().parents[1]
EMPLOYERS_PER_RUN = 2
COMMANDS_PER_RUN = EMPLOYERS_PER_RUN * len(CRASH_STEPS)
EVENT_OF_STEP = {
    "apply": EventType.APPLIED,
    "review": EventType.REVIEWED,
    "approve": EventType.APPROVED,
    "confirm": EventType.NOTICE_CONFIRMED,
    "accept": EventType.ACCEPTED,
    "assist1": EventType.TECHNICAL_ASSISTANCE,
    "assist2": EventType.TECHNICAL_ASSISTANCE,
}
ANCHOR = "ANCHOR"
"""An accepted grant that the parent assists after every run: the store works on."""


@attrs.frozen
class Outcome:
    """How one child run ended."""

    run: int
    how: str
    returncode: int
    begun: tuple[str, ...]
    done: tuple[str, ...]
    stderr: str

    @property
    def killed(self) -> bool:
        return -signal.SIGKILL == self.returncode

    @property
    def in_flight(self) -> str | None:
        """The command the child had begun and not finished when it died."""
        if self.begun and self.begun[-1] not in self.done:
            return self.begun[-1]
        return None


def employers_of(run: int) -> list[str]:
    return [f"K{run:02d}{j}" for j in range(EMPLOYERS_PER_RUN)]


@attrs.frozen
class Parent:
    """The test's own store and program on the database the children write to."""

    url: str
    store: SqlStore
    program: Program


@contextlib.contextmanager
def open_parent(url: str) -> Iterator[Parent]:
    """Open the database and set up the program and the anchor grant, accepted."""
    store = SqlStore(url)
    try:
        yield _prepare(Parent(url, store, Program(store, clock=ManualClock(START))))
    finally:
        store.dispose()


def _prepare(parent: Parent) -> Parent:
    program = parent.program
    who = employer_actor("KANCHOR")
    program.open_cycle(1, DIRECTOR, appropriation=APPROPRIATION)
    program.register_employer(sample_employer("KANCHOR", at=START), DEPARTMENT)
    program.apply(sample_application("KANCHOR", at=START), who, grant_id=ANCHOR)
    program.approve(ANCHOR, "25000.00", DIRECTOR)
    program.confirm_notice(ANCHOR, DEPARTMENT, channel="email", confirmed_at=START)
    program.accept(ANCHOR, who)
    return parent


def run_child(
    parent: Parent, run: int, *, fault: str | None = None, kill_after: int | None = None
) -> Outcome:
    """Register the run's employers, then run the child until it ends or dies."""
    for eid in employers_of(run):
        parent.program.register_employer(sample_employer(eid, at=START), DEPARTMENT)
    env = {k: v for k, v in os.environ.items() if k != "CHOICE_WORKFLOW_FAULT"}
    if fault is not None:
        env["CHOICE_WORKFLOW_FAULT"] = fault
    spec = json.dumps({"run": run, "employers": employers_of(run)})
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.workers", "crash", parent.url, spec],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    lines: list[str] = []
    for line in child.stdout:
        lines.append(line.strip())
        if kill_after is not None and len(lines) >= kill_after:
            child.kill()
            break
    rest, stderr = child.communicate(timeout=60)
    lines += rest.splitlines()
    words = [line.split(" ", 1) for line in lines]
    return Outcome(
        run,
        fault or f"SIGKILL after line {kill_after}",
        child.returncode,
        tuple(w[1] for w in words if w[0] == "begin"),
        tuple(w[1] for w in words if w[0] == "done"),
        stderr,
    )


def check_run(parent: Parent, outcome: Outcome) -> None:
    """Whole commands only, verify finds nothing, and the store takes a further command."""
    assert outcome.killed or 0 == outcome.returncode, outcome.stderr
    plan: list[Planned] = crash_plan(outcome.run, employers_of(outcome.run))
    rows, commands = read_log(parent.store)
    # Every command of this workload writes one event and one commands row.
    assert {} == {c: n for c, n in Counter(r.command_id for r in rows).items() if n != 1}
    assert sorted(r.command_id for r in rows) == sorted(commands)

    # The child's commands ran in order: the log holds a prefix of its plan, with
    # everything it reported done and at most the one in flight.
    by_id = {r.command_id: r for r in rows}
    present = [s for s in plan if s.command_id in by_id]
    assert plan[: len(present)] == present
    assert set(outcome.done) <= {s.command_id for s in present}
    assert len(present) - len(outcome.done) in (0, 1)
    assert [(s.grant_id, EVENT_OF_STEP[s.kind]) for s in present] == [
        (by_id[s.command_id].stream_id, by_id[s.command_id].type) for s in present
    ]

    # The projections are whole too: an application for every grant, and the grants
    # table agrees with the replay (verify compares them).
    grants = {g.id for g in parent.program.grants()}
    assert grants == {r.stream_id for r in rows if r.type == EventType.APPLIED}
    assert parent.store.engine is not None
    with parent.store.engine.connect() as conn:
        t = parent.store.tables.applications
        assert grants == set(conn.execute(sa.select(t.c.grant_id)).scalars())
    assert () == verify(parent.store).findings

    assessed = parent.program.record_technical_assistance(
        ANCHOR, DEPARTMENT, description=f"after run {outcome.run}"
    )
    assert 1 + sum(r.stream_id == ANCHOR for r in rows) == assessed.version


def mid_transaction(parent: Parent, outcome: Outcome) -> bool:
    """The child died inside a command that then left nothing in the log."""
    if not outcome.killed or outcome.in_flight is None:
        return False
    rows, _ = read_log(parent.store)
    return outcome.in_flight not in {r.command_id for r in rows}


@pytest.fixture(name="sqlite")
def fixture_sqlite(tmp_path: Path) -> Iterator[Parent]:
    with open_parent(f"sqlite:///{tmp_path / 'grants.sqlite'}") as parent:
        yield parent


@pytest.fixture(name="postgresql")
def fixture_postgresql(pg_url: str) -> Iterator[Parent]:
    with open_parent(pg_url) as parent:
        yield parent


def test_a_process_killed_on_a_fault_point_leaves_whole_commands_only(sqlite: Parent) -> None:
    rng = random.Random(15)
    inside = 0
    for run in range(25):
        fault = f"{rng.choice(POINTS)}:{rng.randint(1, COMMANDS_PER_RUN)}"
        outcome = run_child(sqlite, run, fault=fault)
        check_run(sqlite, outcome)
        # Each point is reached at least once per command, so the fault always fires.
        assert outcome.killed, outcome
        if outcome.in_flight is not None:
            # Every fault point lies before the commit: the command is not in the log.
            assert mid_transaction(sqlite, outcome), outcome
            inside += 1
    print(f"SQLite fault runs: {inside} of 25 killed inside a command")
    assert inside >= 5


def test_a_process_killed_at_random_leaves_whole_commands_only(sqlite: Parent) -> None:
    rng = random.Random(16)
    inside = killed = 0
    for run in range(25):
        outcome = run_child(sqlite, run, kill_after=rng.randint(1, 2 * COMMANDS_PER_RUN))
        check_run(sqlite, outcome)
        killed += outcome.killed
        inside += mid_transaction(sqlite, outcome)
    print(f"SQLite random kills: {killed} of 25 killed, {inside} inside a command")
    assert inside > 0


@pytest.mark.parametrize("point", POINTS)
def test_every_fault_point_kills_the_process_inside_a_command(sqlite: Parent, point: str) -> None:
    # The second time a point is reached: in the second command for the points inside
    # append and put_grant; before_commit in the first command (the Program's start-up
    # read is the first transaction).
    outcome = run_child(sqlite, 0, fault=f"{point}:2")
    check_run(sqlite, outcome)
    assert outcome.killed, f"the child ended with {outcome.returncode}"
    assert mid_transaction(sqlite, outcome)


@pytest.mark.postgres
@pytest.mark.slow
def test_on_postgresql_a_killed_process_leaves_whole_commands_only(postgresql: Parent) -> None:
    rng = random.Random(17)
    inside = 0
    for run in range(10):
        if run % 2:
            outcome = run_child(postgresql, run, kill_after=rng.randint(1, 2 * COMMANDS_PER_RUN))
        else:
            fault = f"{rng.choice(POINTS)}:{rng.randint(1, COMMANDS_PER_RUN)}"
            outcome = run_child(postgresql, run, fault=fault)
        check_run(postgresql, outcome)
        inside += mid_transaction(postgresql, outcome)
    print(f"PostgreSQL crash runs: {inside} of 10 killed inside a command")
    assert inside > 0
