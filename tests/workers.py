"""The code that the concurrency and crash tests run in other processes, and what they share.

Concurrency: :func:`run_commands` is the target of a ``spawn`` multiprocessing Process;
it opens its own store and clock, waits at a barrier and runs its planned commands,
then reports its successes, typed refusals and ``program.conflicts`` on a queue.

Crash safety: ``python -m tests.workers crash URL SPEC`` runs a planned sequence of
commands and prints ``begin <command id>`` and ``done <command id>`` around each one,
so that the parent knows how far it got when it is killed (by an armed
``CHOICE_WORKFLOW_FAULT`` or by the parent).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

import pendulum
import sqlalchemy as sa

from choice_workflow import Actor, ChoiceWorkflowError, ManualClock, Program, Role, SweepInterrupted
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store import _faults
from choice_workflow.store.sql import SqlStore
from choice_workflow.time.clock import SystemClock

CHICAGO = "America/Chicago"
START = pendulum.datetime(2030, 7, 1, 9, tz=CHICAGO)
DEPARTMENT = Actor("dol-1", Role.DEPARTMENT)
DIRECTOR = Actor("director-1", Role.DIRECTOR)
APPROPRIATION = "100000000.00"
"""Cycle 1's appropriation: enough for every approval of these tests."""


def employer_actor(employer_id: str) -> Actor:
    """The employer's own user."""
    return Actor(f"user-{employer_id}", Role.EMPLOYER, employer_id=employer_id)


class Planned(NamedTuple):
    """One command of a plan: ``kind`` is accept, decline, assist, review or sweep."""

    kind: str
    grant_id: str
    employer_id: str
    command_id: str


# -- concurrency ---------------------------------------------------------------------


def run_plan(program: Program, plan: Sequence[Planned]) -> dict[str, Any]:
    """Run ``plan`` and tell what happened: the command ids that succeeded, the grants
    this process's sweeps forfeited (with their command ids), how many sweeps ran,
    refusals by type, and anything else that escaped (a defect)."""
    ok: list[str] = []
    forfeited: list[tuple[str, str]] = []
    refused: Counter[str] = Counter()
    errors: list[str] = []
    sweeps = 0
    for step in plan:
        try:
            if step.kind == "sweep":
                sweeps += 1
                try:
                    swept = program.sweep()
                except SweepInterrupted as stopped:  # what it forfeited still counts
                    swept = list(stopped.forfeited)
                    refused[type(stopped.error).__name__] += 1
                for grant in swept:
                    forfeited.append((grant.id, f"forfeit:{grant.id}:{grant.accept_by_us}"))
                continue
            if step.kind == "accept":
                program.accept(
                    step.grant_id, employer_actor(step.employer_id), command_id=step.command_id
                )
            elif step.kind == "decline":
                program.decline(
                    step.grant_id,
                    employer_actor(step.employer_id),
                    reason="the board voted against",
                    command_id=step.command_id,
                )
            elif step.kind == "assist":
                program.record_technical_assistance(
                    step.grant_id,
                    DEPARTMENT,
                    description=f"visit {step.command_id}",
                    command_id=step.command_id,
                )
            elif step.kind == "review":
                program.review(
                    step.grant_id,
                    DEPARTMENT,
                    notes=f"read {step.command_id}",
                    command_id=step.command_id,
                )
            else:
                raise ValueError(f"unknown kind {step.kind!r}")
            ok.append(step.command_id)
        except ChoiceWorkflowError as refusal:
            refused[type(refusal).__name__] += 1
        except Exception:
            errors.append(f"{step}: {traceback.format_exc(limit=8)}")
    return {
        "ok": ok,
        "forfeited": forfeited,
        "sweeps": sweeps,
        "refused": dict(refused),
        "errors": errors,
        "conflicts": program.conflicts,
    }


def run_commands(
    url: str, index: int, now: str, plan: list[Planned], barrier: Any, results: Any
) -> None:
    """A concurrency worker: its own store and clock at ``now``; starts at ``barrier``."""
    store: SqlStore | None = None
    try:
        store = SqlStore(url)
        program = Program(store, clock=ManualClock(pendulum.parse(now)))  # type: ignore[arg-type]  # parse gives a DateTime here
        barrier.wait(timeout=120)
        report = run_plan(program, plan)
        results.put({"index": index, **report})
    except BaseException:
        results.put({"index": index, "fatal": traceback.format_exc()})
        raise
    finally:
        if store is not None:
            store.dispose()


# -- set-up and reading the log ------------------------------------------------------


def grant_id(i: int) -> str:
    return f"G{i:04d}"


def employer_id(i: int) -> str:
    return f"E{i:04d}"


def set_up_grants(
    program: Program, clock: ManualClock, count: int, *, accepted: int, applied: int
) -> None:
    """Open cycle 1, then ``count`` grants G0000.. of employers E0000.., approved at START; the notice of
    grant i is confirmed at START + i minutes, so its window closes at START + 48 h +
    i minutes. The first ``accepted`` are accepted at once. Then ``applied`` more
    grants R000.. of employers F000.. stay applied (for reviews)."""
    at = clock.now()
    program.open_cycle(1, DIRECTOR, appropriation=APPROPRIATION)
    for i in range(count):
        eid = employer_id(i)
        program.register_employer(sample_employer(eid, at=at), DEPARTMENT)
        program.apply(sample_application(eid, at=at), employer_actor(eid), grant_id=grant_id(i))
        program.approve(grant_id(i), "25000.00", DIRECTOR)
    for i in range(applied):
        eid = f"F{i:03d}"
        program.register_employer(sample_employer(eid, at=at), DEPARTMENT)
        program.apply(sample_application(eid, at=at), employer_actor(eid), grant_id=f"R{i:03d}")
    clock.advance(minutes=count + 1)
    for i in range(count):
        program.confirm_notice(
            grant_id(i), DEPARTMENT, channel="email", confirmed_at=at.add(minutes=i)
        )
    for i in range(accepted):
        program.accept(grant_id(i), employer_actor(employer_id(i)))


class LogRow(NamedTuple):
    position: int
    stream_id: str
    version: int
    type: str
    command_id: str
    recorded_us: int


def read_log(store: SqlStore) -> tuple[list[LogRow], list[str]]:
    """Every row of the events table (in position order) and every command id of the
    commands table, read with plain SQL."""
    t = store.tables
    assert store.engine is not None
    with store.engine.connect() as conn:
        e = t.events.c
        rows = [
            LogRow(*r)
            for r in conn.execute(
                sa.select(
                    e.position, e.stream_id, e.version, e.type, e.command_id, e.recorded_us
                ).order_by(e.position)
            )
        ]
        commands = list(conn.execute(sa.select(t.commands.c.command_id)).scalars())
    return rows, commands


def version_gaps(rows: Sequence[LogRow]) -> dict[str, list[int]]:
    """The streams whose versions are not exactly 1..n, with their versions."""
    versions: dict[str, list[int]] = {}
    for r in rows:
        versions.setdefault(r.stream_id, []).append(r.version)
    return {s: sorted(v) for s, v in versions.items() if sorted(v) != list(range(1, len(v) + 1))}


# -- crash safety --------------------------------------------------------------------

CRASH_STEPS = ("apply", "review", "approve", "confirm", "accept", "assist1", "assist2")


def crash_plan(run: int, employers: Sequence[str]) -> list[Planned]:
    """The commands of one crash run: each employer's grant from application to two
    records of technical assistance; every command writes exactly one grant event."""
    return [
        Planned(step, f"C{run:02d}-{eid}", eid, f"r{run:02d}-{eid}-{step}")
        for eid in employers
        for step in CRASH_STEPS
    ]


def _crash_step(program: Program, step: Planned) -> None:
    who = employer_actor(step.employer_id)
    now = program.clock.now()
    gid, cid = step.grant_id, step.command_id
    if step.kind == "apply":
        app = sample_application(step.employer_id, at=now)
        program.apply(app, who, grant_id=gid, command_id=cid)
    elif step.kind == "review":
        program.review(gid, DEPARTMENT, notes="complete", command_id=cid)
    elif step.kind == "approve":
        program.approve(gid, "25000.00", DIRECTOR, command_id=cid)
    elif step.kind == "confirm":
        program.confirm_notice(gid, DEPARTMENT, channel="email", confirmed_at=now, command_id=cid)
    elif step.kind == "accept":
        program.accept(gid, who, command_id=cid)
    else:
        program.record_technical_assistance(
            gid, DEPARTMENT, description=f"{step.kind} visit", command_id=cid
        )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def crash_child(url: str, run: int, employers: Sequence[str]) -> None:
    """Run one crash run's plan, reporting progress on stdout."""
    # The parent created the schema; a crash run does not migrate (it saves the start-up).
    program = Program(SqlStore(url, migrate=False), clock=ManualClock(START))
    _say("ready")
    for step in crash_plan(run, employers):
        _say(f"begin {step.command_id}")
        _crash_step(program, step)
        _say(f"done {step.command_id}")
    _say("finished")


def main(argv: Sequence[str]) -> int:
    if len(argv) == 3 and argv[0] == "crash":
        spec = json.loads(argv[2])
        crash_child(argv[1], int(spec["run"]), [str(e) for e in spec["employers"]])
        return 0
    sys.stderr.write("usage: python -m tests.workers crash URL SPEC_JSON\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# -- races: processes started together on one command ---------------------------------


class ShiftedClock:
    """A clock that runs with the machine's, shifted to start at ``start`` when the
    machine's reads ``epoch`` (seconds since 1970): racers of one race share a time that
    moves while they wait for each other's locks."""

    def __init__(self, start: pendulum.DateTime, epoch: float) -> None:
        self.start, self.epoch, self.machine = start, epoch, SystemClock()

    def now(self) -> pendulum.DateTime:
        """The shifted instant, in UTC."""
        elapsed = self.machine.now().timestamp() - self.epoch
        return self.start.add(microseconds=int(elapsed * 1_000_000)).in_timezone("UTC")


def race(
    url: str, prefix: str, kind: str, index: int, barrier: Any, results: Any,
    pause: str | None = None, epoch: float | None = None,
) -> None:  # fmt: skip
    """One racer: opens its store, waits at ``barrier``, runs the ``kind`` command of
    the race, and reports what it got (its result, or the type of its typed error).
    ``pause``: this racer's own pauses (``CHOICE_WORKFLOW_PAUSE``'s form); ``epoch``: the
    racers share a :class:`ShiftedClock` from an hour after START instead of a fixed one."""
    store: SqlStore | None = None
    if pause is not None:
        _faults.set_pauses(pause)
    try:
        store = SqlStore(url, prefix=prefix)
        clock: Any = (
            ManualClock(START.add(hours=1))
            if epoch is None
            else ShiftedClock(START.add(hours=49), epoch)
        )
        if kind == "start":
            barrier.wait(timeout=120)
            program = Program(store, clock=clock)
            results.put({"index": index, "ok": program.rules.fingerprint})
            return
        program = Program(store, clock=clock)
        barrier.wait(timeout=120)
        results.put({"index": index, **_race_once(program, kind, index)})
    except BaseException:
        results.put({"index": index, "fatal": traceback.format_exc()})
        raise
    finally:
        if store is not None:
            store.dispose()


def _race_once(program: Program, kind: str, index: int) -> dict[str, Any]:
    try:
        if kind == "open_cycle":
            program.open_cycle(2, DIRECTOR, appropriation="100000.00", opens_at=START.add(years=2))
            return {"ok": "opened"}
        if kind == "register":
            program.register_employer(sample_employer("E9", at=START), DEPARTMENT)
            return {"ok": "registered"}
        if kind == "approve":
            grant = program.approve(f"A{index}", "30000.00", DIRECTOR)
            return {"ok": str(grant.amount)}
        if kind == "retry":
            grant = program.accept("G1", employer_actor("E1"), command_id="accept-G1")
            return {"ok": grant.state.value}
        if kind == "return_during_apply":  # 0 declines (a return), 1 applies
            if index == 0:
                return {"ok": program.decline("G-B", employer_actor("B")).state.value}
            application = sample_application("E9", at=START, amount="25000.00")
            return {"ok": program.apply(application, employer_actor("E9"), grant_id="G9").id}
        if kind == "sweep_during_amend":  # 0 sweeps (B lapsed), 1 amends C's application
            if index == 0:
                return {"ok": ",".join(g.id for g in program.sweep())}
            amended = sample_application("C", at=START, amount="30000.00")
            program.amend("G-C", amended, employer_actor("C"), reason="a larger request")
            return {"ok": "amended"}
        if kind == "refused":
            for n in range(10):
                try:
                    program.approve(
                        "G1", "10000.00", employer_actor("E1"), command_id=f"no-{index}-{n}"
                    )
                except ChoiceWorkflowError as refusal:
                    if (
                        type(refusal).__name__ != "NotPermitted"
                        or "could not be logged" in refusal.reason
                    ):
                        return {"refused": f"{type(refusal).__name__}: {refusal}"}
            return {"ok": "refused 10 times"}
        raise ValueError(f"unknown race {kind!r}")
    except ChoiceWorkflowError as refusal:
        return {"refused": type(refusal).__name__}


# -- a commit held open ----------------------------------------------------------------


def hold_a_commit(url: str, prefix: str, ready: Any, release: Any) -> None:
    """Register employer E-HELD and hold its transaction open just before the commit
    (its events positioned, not yet visible) until ``release`` is set; ``ready`` says
    when it is held. The target of a ``spawn`` Process."""

    def held(point: str) -> None:
        if point == "before_commit":
            ready.set()
            release.wait(60)

    store = SqlStore(url, prefix=prefix, migrate=False)
    program = Program(store, clock=ManualClock(START))
    _faults.reach = held  # the command's own transaction, not the Program's reads before it
    program.register_employer(sample_employer("E-HELD", at=START), DEPARTMENT)
    store.dispose()


def open_store(url: str, prefix: str, barrier: Any, results: Any) -> None:
    """Open ``SqlStore(url)`` (migrations on) at the same moment as the other openers,
    and report what happened: ``ok``, or the type and text of what escaped."""
    try:
        barrier.wait(timeout=120)
        SqlStore(url, prefix=prefix).dispose()
        results.put("ok")
    except Exception as exc:
        results.put(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
