"""Eight threads drive one Program, on the process's one shared machine, at once.

DESIGN.md "The state machine": the machine is built once per process and driven
without attaching grants, and "test it from several threads". Each phase starts 8
threads together at a ``threading.Barrier``; between phases the main thread (and only
it) moves the ManualClock. The threads run the lifecycles of their own grants, race
for approvals of two grants of one employer (15(g), 10(3)), and compete on shared
approved grants with accept, decline, withdraw and the sweep, at exactly ``accept_by``
and one microsecond after it (15(j)); approvals, releases and payments all land on
the one cycle ledger (15(a)). Then the log is checked: no lost update, no cross-talk,
one winner per race, projections equal to the fold of their events.

The expected event types are written out here, not read from the transition table.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import attrs
import pendulum
import pytest

from choice_workflow import (
    Actor,
    ChoiceWorkflowError,
    Event,
    Grant,
    ManualClock,
    NotPermitted,
    Program,
    Role,
    State,
)
from choice_workflow.events import SECURITY_STREAM
from choice_workflow.lifecycle import shared_machine
from choice_workflow.projections.grants import fold as fold_grant
from choice_workflow.samples import sample_application, sample_employer

THREADS = 8
EMPLOYERS = tuple(f"E{n:02d}" for n in range(80))
START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")

DEPARTMENT = Actor("dol-staff", Role.DEPARTMENT)
DIRECTOR = Actor("director", Role.DIRECTOR)
EVALUATOR = Actor("evaluator", Role.EVALUATOR)
SYSTEM = Actor.system()

EVENT_TYPES = {
    "apply": "Applied",
    "review": "Reviewed",
    "deny": "Denied",
    "withdraw": "Withdrawn",
    "approve": "Approved",
    "confirm_notice": "NoticeConfirmed",
    "accept": "Accepted",
    "decline": "Declined",
    "begin_transition": "TransitionBegun",
    "record_technical_assistance": "TechnicalAssistanceRecorded",
    "terminate": "Terminated",
    "evaluate": "Evaluated",
    "disburse": "Disbursed",
}

# Grant i belongs to employer i; its lifecycle runs in thread i % 8. Grants 16-27 and
# 28-39 are raced over by every thread once approved: the first group at exactly its
# accept_by, the second one microsecond after it. S0-S7 are second applications of
# employers E00-E07, approved in another thread than their first grant.
OPEN_AT_DEADLINE = tuple(f"G{n:02d}" for n in range(16, 28))
CLOSED_BY_ONE_MICROSECOND = tuple(f"G{n:02d}" for n in range(28, 40))
RACED = OPEN_AT_DEADLINE + CLOSED_BY_ONE_MICROSECOND
SECOND = tuple(f"S{n}" for n in range(THREADS))
RACE_MOVES = ("accept", "decline", "withdraw", "sweep")
ALL_GRANTS = (*(f"G{n:02d}" for n in range(len(EMPLOYERS))), *SECOND)


def grant_id(n: int) -> str:
    return f"G{n:02d}"


def employer_actor(employer_id: str) -> Actor:
    return Actor(f"staff-{employer_id}", Role.EMPLOYER, employer_id=employer_id)


def employer_of(gid: str) -> str:
    """G05 and S5 are both grants of employer E05."""
    return f"E{int(gid[1:]):02d}"


@attrs.frozen
class Outcome:
    """One command a thread ran, and what came of it."""

    thread: int
    command: str
    grant_id: str
    command_id: str
    actor: Actor
    error: str | None
    version: int | None = None
    forfeited: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.define
class Worker:
    """A thread's view: it runs commands on the shared Program and records outcomes."""

    thread: int
    program: Program
    outcomes: list[Outcome] = attrs.field(factory=list)

    def run(self, command: str, gid: str, actor: Actor, call: Callable[..., Grant]) -> bool:
        """Run ``call(command_id=...)``, one of the Program's commands on grant ``gid``
        by ``actor``, and record what came of it."""
        cid = f"t{self.thread}-{len(self.outcomes)}-{command}-{gid}"
        try:
            grant = call(command_id=cid)
        except ChoiceWorkflowError as exc:
            self.outcomes.append(Outcome(self.thread, command, gid, cid, actor, type(exc).__name__))
            return False
        assert gid == grant.id
        self.outcomes.append(Outcome(self.thread, command, gid, cid, actor, None, grant.version))
        return True

    def sweep(self) -> None:
        forfeited = self.program.sweep(SYSTEM)
        self.outcomes.append(
            Outcome(
                self.thread,
                "sweep",
                "",
                "",
                SYSTEM,
                None,
                forfeited=tuple(g.id for g in forfeited),
            )
        )


@attrs.frozen
class Scenario:
    """What the threads did, and the program they did it to."""

    program: Program
    outcomes: tuple[Outcome, ...]
    log: tuple[Event, ...]
    deadline: pendulum.DateTime

    def ok(self, command: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok and command in (None, o.command)]

    def forfeits(self) -> Counter[str]:
        return Counter(g for o in self.ok("sweep") for g in o.forfeited)

    def grant_ids(self) -> list[str]:
        return [g for g in ALL_GRANTS if self.program.events(g)]


def run_phase(workers: list[Worker], work: Callable[[Worker], None]) -> None:
    """Start one thread per worker together at a barrier; re-raise what escaped."""
    barrier = threading.Barrier(len(workers))
    escaped: list[BaseException] = []

    def body(worker: Worker) -> None:
        try:
            barrier.wait(timeout=60)
            work(worker)
        except BaseException as exc:  # re-raised in the main thread below
            escaped.append(exc)

    threads = [threading.Thread(target=body, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if escaped:
        raise escaped[0]


def own_grants(thread: int) -> list[str]:
    return [grant_id(n) for n in range(len(EMPLOYERS)) if n % THREADS == thread]


def lifecycle_grants(thread: int) -> list[str]:
    return [g for g in own_grants(thread) if g not in RACED]


def second_of(thread: int) -> str:
    """The second application this thread runs: of employer E0(k) with k = thread - 1,
    whose first grant G0(k) runs in thread k."""
    return SECOND[(thread - 1) % THREADS]


def owner(gid: str) -> Actor:
    return employer_actor(employer_of(gid))


def phase_apply(worker: Worker) -> None:
    p = worker.program
    now = p.clock.now()
    for gid in [*own_grants(worker.thread), second_of(worker.thread)]:
        actor = owner(gid)
        application = sample_application(employer_of(gid), at=now)
        worker.run("apply", gid, actor, partial(p.apply, application, actor, grant_id=gid))
        worker.run("review", gid, DEPARTMENT, partial(p.review, gid, DEPARTMENT))


def phase_approve(worker: Worker) -> None:
    """The second application first, so that it races its employer's first grant,
    approved at the same moment in another thread."""
    p = worker.program
    for gid in [second_of(worker.thread), *own_grants(worker.thread)]:
        n = int(gid[1:])
        if gid.startswith("G") and n % 10 == 9 and gid not in RACED:
            worker.run("deny", gid, DEPARTMENT, partial(p.deny, gid, DEPARTMENT, reason="no"))
            continue
        if n % 10 == 3:  # an employer may not approve its own grant: refused and logged
            worker.run("approve", gid, owner(gid), partial(p.approve, gid, "25000.00", owner(gid)))
        worker.run("approve", gid, DIRECTOR, partial(p.approve, gid, "25000.00", DIRECTOR))


def phase_confirm_and_accept(worker: Worker) -> None:
    p = worker.program
    now = p.clock.now()
    for gid in own_grants(worker.thread):
        confirmed = now - dt.timedelta(microseconds=1) if gid in CLOSED_BY_ONE_MICROSECOND else now
        worker.run(
            "confirm_notice",
            gid,
            DEPARTMENT,
            partial(p.confirm_notice, gid, DEPARTMENT, channel="email", confirmed_at=confirmed),
        )
        if gid in RACED:
            continue
        # Another employer may not accept this grant: refused and logged.
        other = employer_actor(EMPLOYERS[(int(gid[1:]) + 1) % len(EMPLOYERS)])
        worker.run("accept", gid, other, partial(p.accept, gid, other))
        if int(gid[1:]) % 10 == 1:
            continue  # the grantee lets the window lapse: forfeited by the sweeps
        if int(gid[1:]) % 10 == 7:
            worker.run("decline", gid, owner(gid), partial(p.decline, gid, owner(gid)))
        else:
            worker.run("accept", gid, owner(gid), partial(p.accept, gid, owner(gid)))


def phase_race(worker: Worker) -> None:
    """Every thread on every raced grant, each with its own move, in its own order; the
    lifecycle grants go on meanwhile (transition, technical assistance, first payment
    from the shared cycle ledger)."""
    p = worker.program
    move = RACE_MOVES[worker.thread % len(RACE_MOVES)]
    shift = worker.thread * 3
    for gid in RACED[shift:] + RACED[:shift]:
        actor = owner(gid)
        if move == "sweep":
            worker.sweep()
        else:
            worker.run(move, gid, actor, partial(getattr(p, move), gid, actor))
    started = p.clock.now() - dt.timedelta(hours=1)
    for gid in lifecycle_grants(worker.thread):
        actor = owner(gid)
        worker.run(
            "begin_transition",
            gid,
            actor,
            partial(p.begin_transition, gid, actor, started_at=started),
        )
        worker.run(
            "record_technical_assistance",
            gid,
            DEPARTMENT,
            partial(p.record_technical_assistance, gid, DEPARTMENT, description="job coaching"),
        )
        worker.run("disburse", gid, DEPARTMENT, partial(p.disburse, gid, DEPARTMENT))


def phase_finish(worker: Worker) -> None:
    """Every thread sweeps at once (the lapsed approvals), then the lifecycles end."""
    p = worker.program
    worker.sweep()
    for gid in lifecycle_grants(worker.thread):
        if int(gid[1:]) % 10 == 5:
            worker.run(
                "terminate", gid, DIRECTOR, partial(p.terminate, gid, DIRECTOR, reason="15(l)")
            )
        else:
            evaluation = {"wages": "at minimum wage"}
            worker.run(
                "evaluate",
                gid,
                EVALUATOR,
                partial(p.evaluate, gid, EVALUATOR, evaluation=evaluation),
            )
    worker.sweep()


@pytest.fixture(name="scenario", scope="module")
def fixture_scenario() -> Scenario:
    clock = ManualClock(START)
    program = Program(clock=clock, machine=shared_machine())
    for employer_id in EMPLOYERS:
        program.register_employer(sample_employer(employer_id, at=clock.now()), DEPARTMENT)
    program.open_cycle(1, DIRECTOR, appropriation="100000000.00")
    workers = [Worker(t, program) for t in range(THREADS)]
    # Switch threads far more often than the default 5 ms, so commands interleave.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        run_phase(workers, phase_apply)
        clock.advance(hours=1)
        run_phase(workers, phase_approve)
        clock.advance(hours=1)
        confirmed = clock.now()
        run_phase(workers, phase_confirm_and_accept)
        deadline = clock.move_to(confirmed + dt.timedelta(hours=48))
        run_phase(workers, phase_race)
        clock.advance(hours=1)
        run_phase(workers, phase_finish)
    finally:
        sys.setswitchinterval(interval)
    return Scenario(
        program,
        tuple(o for w in workers for o in w.outcomes),
        tuple(program.store.all_events()),
        deadline,
    )


def test_the_threads_ran_every_kind_of_command(scenario: Scenario) -> None:
    """The scenario is what the other tests assume (else they could pass vacuously)."""
    done = Counter(o.command for o in scenario.ok())
    assert set(EVENT_TYPES) - {"withdraw", "decline"} <= set(done)
    assert 80 + 8 == done["apply"]
    assert 0 < len(scenario.forfeits())
    assert 0 < sum(1 for o in scenario.outcomes if o.error == "NotPermitted")


def test_every_successful_command_wrote_exactly_one_event(scenario: Scenario) -> None:
    by_command: dict[str, list[Event]] = defaultdict(list)
    for event in scenario.log:
        by_command[event.command_id].append(event)
    for outcome in scenario.ok():
        if outcome.command == "sweep":
            continue
        events = by_command[outcome.command_id]
        assert 1 == len(events), outcome
        (event,) = events
        assert (outcome.grant_id, EVENT_TYPES[outcome.command], outcome.version) == (
            event.stream_id,
            event.type,
            event.version,
        )
        assert (outcome.actor.id, outcome.actor.role.value) == (event.actor_id, event.actor_role)


def test_a_refused_command_wrote_no_event(scenario: Scenario) -> None:
    written = {e.command_id for e in scenario.log}
    refused = [o for o in scenario.outcomes if not o.ok]
    assert [] != refused
    assert [] == [o for o in refused if o.command_id in written]


def test_every_grant_event_comes_from_one_successful_command(scenario: Scenario) -> None:
    commands = {o.command_id for o in scenario.ok() if o.command != "sweep"}
    forfeits = scenario.forfeits()
    grant_events = [e for e in scenario.log if e.stream_id in set(scenario.grant_ids())]
    assert len(commands) + sum(forfeits.values()) == len(grant_events)
    for event in grant_events:
        if event.type == "Forfeited":
            assert 1 == forfeits[event.stream_id]
            assert Role.SYSTEM.value == event.actor_role
        else:
            assert event.command_id in commands


def test_every_refused_actor_is_logged_exactly_once(scenario: Scenario) -> None:
    refused = [o for o in scenario.outcomes if o.error == NotPermitted.__name__]
    logged = [e for e in scenario.log if e.stream_id == SECURITY_STREAM]
    assert sorted((o.actor.id, o.command, o.grant_id) for o in refused) == sorted(
        (e.actor_id, e.payload["command"], e.payload["target"]) for e in logged
    )


def test_stream_versions_run_from_one_without_gaps(scenario: Scenario) -> None:
    versions: dict[str, list[int]] = defaultdict(list)
    for event in scenario.log:
        versions[event.stream_id].append(event.version)
    for stream_id, seen in versions.items():
        assert list(range(1, len(seen) + 1)) == seen, stream_id
        assert seen == [e.version for e in scenario.program.events(stream_id)]


def test_each_grant_s_events_belong_to_it_and_its_employer(scenario: Scenario) -> None:
    actors_of_employers = {employer_actor(e).id: e for e in EMPLOYERS}
    for gid in scenario.grant_ids():
        employer = owner(gid).employer_id
        events = scenario.program.events(gid)
        assert {gid} == {e.stream_id for e in events}
        assert "Applied" == events[0].type
        assert employer == events[0].payload["employer_id"]
        assert employer == scenario.program.grant(gid).employer_id
        for event in events:
            if event.actor_role == Role.EMPLOYER.value:
                assert employer == actors_of_employers[event.actor_id], event


def test_each_projection_equals_the_fold_of_its_events(scenario: Scenario) -> None:
    for gid in scenario.grant_ids():
        assert fold_grant(scenario.program.events(gid)) == scenario.program.grant(gid)


@pytest.mark.cite("15(j)")
def test_competing_accept_decline_withdraw_and_sweep_have_exactly_one_winner(
    scenario: Scenario,
) -> None:
    forfeits = scenario.forfeits()
    for gid in RACED:
        tried = [o for o in scenario.outcomes if o.grant_id == gid and o.command in RACE_MOVES]
        won = [o.command for o in tried if o.ok] + ["sweep"] * forfeits[gid]
        assert 1 == len(won), (gid, won)
        assert THREADS // len(RACE_MOVES) * (len(RACE_MOVES) - 1) == len(tried)
        state = scenario.program.grant(gid).state
        expected = {
            "accept": State.ACCEPTED,
            "decline": State.DECLINED,
            "withdraw": State.WITHDRAWN,
            "sweep": State.FORFEITED,
        }[won[0]]
        assert expected == state


@pytest.mark.cite("15(j)")
def test_at_exactly_accept_by_the_sweep_never_wins(scenario: Scenario) -> None:
    forfeits = scenario.forfeits()
    assert [] == [g for g in OPEN_AT_DEADLINE if forfeits[g]]
    for gid in OPEN_AT_DEADLINE:
        assert scenario.deadline == scenario.program.grant(gid).accept_by


@pytest.mark.cite("15(j)")
def test_one_microsecond_after_accept_by_no_acceptance_wins(scenario: Scenario) -> None:
    accepted = {o.grant_id for o in scenario.ok("accept")}
    assert set() == accepted & set(CLOSED_BY_ONE_MICROSECOND)
    for gid in CLOSED_BY_ONE_MICROSECOND:
        accept_by = scenario.program.grant(gid).accept_by
        assert accept_by is not None
        assert dt.timedelta(microseconds=1) == scenario.deadline - accept_by


@pytest.mark.cite("15(j)")
def test_concurrent_sweeps_forfeit_each_lapsed_approval_once(scenario: Scenario) -> None:
    lapsed = [
        g
        for g in ALL_GRANTS[:80]
        if int(g[1:]) % 10 == 1
        and g not in RACED
        and scenario.program.grant(g).approved_at is not None  # G01 may lose to S1
    ]
    forfeits = scenario.forfeits()
    assert 4 <= len(lapsed)
    for gid in lapsed:
        assert 1 == forfeits[gid], gid
        assert State.FORFEITED == scenario.program.grant(gid).state
        assert 1 == sum(1 for e in scenario.program.events(gid) if e.type == "Forfeited")


@pytest.mark.cite("15(g)", "10(3)")
def test_two_grants_of_one_employer_approved_at_once_yield_one_approval(
    scenario: Scenario,
) -> None:
    approvals = Counter(employer_of(e.stream_id) for e in scenario.log if e.type == "Approved")
    assert all(1 == n for n in approvals.values()), approvals
    for k in range(THREADS):
        assert 1 == approvals[EMPLOYERS[k]], EMPLOYERS[k]


@pytest.mark.cite("15(a)")
def test_the_shared_cycle_ledger_lost_no_update(scenario: Scenario) -> None:
    """Approvals, releases and payments from all threads land on one cycle ledger:
    what it holds is what the grants' events say (DESIGN.md "Money and allocation":
    approvals reserve, forfeits, declines, withdrawals and terminations release,
    disbursements draw)."""
    released = {State.DECLINED, State.WITHDRAWN, State.FORFEITED, State.TERMINATED}
    reserved = Decimal("0.00")
    paid_total = Decimal("0.00")
    for gid in scenario.grant_ids():
        events = scenario.program.events(gid)
        paid = sum(
            (Decimal(e.payload["amount"]) for e in events if e.type == "Disbursed"), Decimal("0.00")
        )
        paid_total += paid
        approvals = [Decimal(e.payload["amount"]) for e in events if e.type == "Approved"]
        if approvals and scenario.program.grant(gid).state not in released:
            reserved += approvals[-1] - paid
    assert 0 < paid_total
    cycle = scenario.program.cycle(1)
    assert (reserved, paid_total) == (cycle.reserved, cycle.disbursed)
