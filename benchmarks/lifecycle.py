"""Comparisons 1a, 1b (time per lifecycle step) and 2 (memory per live grant).

1a/1b: CPU time per step, in memory, for the lifecycle approve -> confirm_notice ->
    accept -> begin_transition -> evaluate, interleaved over several repetitions
    (medians):

    - ``Program``: the library's typed commands (each one unit of work: guards, event,
      fold, projection, store);
    - ``transitions`` (1a): a bare ``transitions.Machine`` (auto_transitions=False), one
      shared machine with its models attached, the same states and triggers, with plain
      guard callables equivalent to the table's as conditions;
    - ``transitions + library guards`` (information): the same bare machine whose
      conditions call the library's own guard functions, to separate the cost of the
      guards from the cost of the Program around them;
    - ``python-statemachine`` (1b): a ``StateMachine`` class with the same states,
      transitions and equivalent guard conditions, one instance per grant.

    ``apply`` (which validates the whole 15(b) application) is timed on its own, against
    creating a model / a machine instance, for information.

2: memory, with tracemalloc: bytes per Grant projection held, at 100,000 grants built by
    the fold (Grant.from_events) of a real lifecycle's events, against transitions
    models attached to one shared machine (10,000 models); one machine per grant and
    python-statemachine instances for information.

The suite (``benchmarks/run.py``) calls :func:`run_steps` and :func:`run_memory`. Run
alone: ``.venv/bin/python benchmarks/lifecycle.py`` (``--quick`` for a smoke run,
``--profile`` to add a cProfile of the Program's lifecycle); writes
benchmarks/results-lifecycle.json.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import pickle
import pstats
import statistics
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pendulum
from statemachine import State as PsmState
from statemachine import StateMachine
from statemachine.exceptions import TransitionNotAllowed
from transitions import Machine

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from benchmarks._common import machine, metric, with_goal
from choice_workflow import Actor, Grant, ManualClock, Program, Role, Rules, State
from choice_workflow.domain.application import Application
from choice_workflow.domain.employer import Employer
from choice_workflow.events import Event
from choice_workflow.lifecycle import GRANT_LIFECYCLE
from choice_workflow.lifecycle.context import Context
from choice_workflow.projections.grants import fold as fold_grant
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.memory import MemoryStore
from choice_workflow.time.instants import to_us

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results-lifecycle.json"

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
STEPS = ("approve", "confirm_notice", "accept", "begin_transition", "evaluate")
RULES = Rules.illinois()
FIRST_AWARD = dt.datetime(2030, 7, 1, 5, tzinfo=dt.UTC)  # July 1, 2030, 00:00 CDT
WINDOW = dt.timedelta(hours=48)
EVALUATION = {"wages": "all at the minimum wage", "compliance": "no action"}

DEPARTMENT = Actor("dol-staff", Role.DEPARTMENT)
DIRECTOR = Actor("director", Role.DIRECTOR)
EVALUATOR = Actor("evaluator", Role.EVALUATOR)


def employer_actor(employer_id: str) -> Actor:
    return Actor(f"staff-{employer_id}", Role.EMPLOYER, employer_id=employer_id)


def utc(instant: dt.datetime) -> dt.datetime:
    """The same instant as a stdlib datetime in UTC."""
    u = instant.astimezone(dt.UTC)
    return dt.datetime(
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=dt.UTC
    )


# -- the Program -------------------------------------------------------------------------


@attrs.define
class ProgramRun:
    """A Program with ``n`` registered employers and an open cycle, ready to apply."""

    program: Program
    clock: ManualClock
    applications: list[tuple[str, Application, Actor]]

    @classmethod
    def prepare(cls, n: int) -> ProgramRun:
        clock = ManualClock(START)
        program = Program(clock=clock)
        open_cycle = getattr(program, "open_cycle", None)
        if open_cycle is not None:  # 15(a): approvals need a cycle with its appropriation
            open_cycle(1, DIRECTOR, appropriation=Decimal(50_000) * (n + 1))
        applications = []
        for k in range(n):
            employer_id = f"E{k:06d}"
            program.register_employer(sample_employer(employer_id, at=clock.now()), DEPARTMENT)
            applications.append(
                (
                    f"G{k:06d}",
                    sample_application(employer_id, at=clock.now()),
                    employer_actor(employer_id),
                )
            )
        return cls(program, clock, applications)

    def apply_all(self) -> None:
        for gid, application, actor in self.applications:
            self.program.apply(application, actor, grant_id=gid)

    def lifecycle_all(self) -> None:
        p = self.program
        now = self.clock.now()
        for gid, _, actor in self.applications:
            p.approve(gid, "25000.00", DIRECTOR)
            p.confirm_notice(gid, DEPARTMENT, channel="email", confirmed_at=now)
            p.accept(gid, actor)
            p.begin_transition(gid, actor, started_at=now)
            p.evaluate(gid, EVALUATOR, evaluation=EVALUATION)


# -- bare transitions --------------------------------------------------------------------


class BareGrant:
    """A model for the bare machines: plain attributes (slots=False, eq=False)."""

    def __init__(self, gid: str, employer_id: str, employer: Employer) -> None:
        self.id = gid
        self.employer_id = employer_id
        self.employer = employer
        self.application_complete = True  # checked at apply, as the Program does
        self.amount: Decimal | None = None
        self.approved_at: dt.datetime | None = None
        self.notice_at: dt.datetime | None = None
        self.accept_by: dt.datetime | None = None
        self.accepted_at: dt.datetime | None = None
        self.started_at: dt.datetime | None = None
        self.evaluation: dict[str, str] | None = None
        self.state = "applied"


@attrs.define
class Ledger:
    """What the guards look up besides the grant: funds and the employers' approvals."""

    available: Decimal
    approved_employers: set[str] = attrs.field(factory=set)


def inline_guards(ledger: Ledger) -> dict[str, Callable[..., bool]]:
    """Plain predicates equivalent to the table's guards (same checks, stdlib times)."""

    def can_approve(m: BareGrant, amount: Decimal, now: dt.datetime) -> bool:
        cert = m.employer.certificate
        return (
            cert is not None
            and now >= FIRST_AWARD
            and RULES.min_award <= amount <= RULES.max_award
            and amount <= ledger.available
            and m.employer_id not in ledger.approved_employers
            and cert.effective <= now.date()
            and (cert.expires is None or now.date() <= cert.expires)
            and m.application_complete
        )

    def can_confirm(
        m: BareGrant, channel: str, confirmed_at: dt.datetime, now: dt.datetime
    ) -> bool:
        return (
            m.notice_at is None
            and channel in ("address_of_record", "email")
            and confirmed_at <= now
            and (m.approved_at is None or confirmed_at >= m.approved_at)
        )

    def can_accept(m: BareGrant, now: dt.datetime) -> bool:
        return m.accept_by is None or now <= m.accept_by

    def can_begin(m: BareGrant, started_at: dt.datetime, now: dt.datetime) -> bool:
        return (
            m.notice_at is not None
            and started_at <= now
            and started_at >= m.notice_at - RULES.transition_start_before
        )

    def can_evaluate(m: BareGrant, evaluation: dict[str, str]) -> bool:
        return isinstance(evaluation, dict) and bool(evaluation)

    return {
        "approve": can_approve,
        "confirm_notice": can_confirm,
        "accept": can_accept,
        "begin_transition": can_begin,
        "evaluate": can_evaluate,
    }


def after_effects(ledger: Ledger) -> dict[str, Callable[..., None]]:
    """What each step records on the model (the Program's fold does the same)."""

    def approved(m: BareGrant, amount: Decimal, now: dt.datetime) -> None:
        m.amount, m.approved_at = amount, now
        ledger.available -= amount
        ledger.approved_employers.add(m.employer_id)

    def confirmed(m: BareGrant, channel: str, confirmed_at: dt.datetime, now: dt.datetime) -> None:
        m.notice_at, m.accept_by = confirmed_at, confirmed_at + WINDOW

    def accepted(m: BareGrant, now: dt.datetime) -> None:
        m.accepted_at = now

    def begun(m: BareGrant, started_at: dt.datetime, now: dt.datetime) -> None:
        m.started_at = started_at

    def evaluated(m: BareGrant, evaluation: dict[str, str]) -> None:
        m.evaluation = evaluation

    return {
        "approve": approved,
        "confirm_notice": confirmed,
        "accept": accepted,
        "begin_transition": begun,
        "evaluate": evaluated,
    }


def table_rows() -> list[tuple[str, list[str], str | None]]:
    """(trigger, sources, dest) of every row but apply, from the one table."""
    rows = []
    for t in GRANT_LIFECYCLE.transitions:
        if t.sources:
            rows.append(
                (
                    t.trigger,
                    sorted(s.value for s in t.sources),
                    None if t.dest is None else t.dest.value,
                )
            )
    return rows


def bare_machine(
    conditions: dict[str, Callable[..., bool]], effects: dict[str, Callable[..., None]]
) -> Machine:
    """One shared transitions.Machine with the table's states and triggers."""

    def condition(trigger: str) -> Callable[[Any], bool]:
        check = conditions[trigger]
        return lambda event: check(event.model, **event.kwargs)

    def effect(trigger: str) -> Callable[[Any], None]:
        do = effects[trigger]
        return lambda event: do(event.model, **event.kwargs)

    transitions = []
    for trigger, sources, dest in table_rows():
        row: dict[str, Any] = {"trigger": trigger, "source": sources, "dest": dest}
        if trigger in conditions:
            row["conditions"] = [condition(trigger)]
            row["after"] = [effect(trigger)]
        transitions.append(row)
    return Machine(
        model=None,
        states=[s.value for s in State],
        transitions=transitions,
        initial=None,
        auto_transitions=False,
        send_event=True,
    )


@attrs.define
class BareRun:
    """n models attached to one shared bare machine."""

    machine: Machine
    models: list[BareGrant]
    now: dt.datetime

    @classmethod
    def prepare(cls, n: int, *, library_guards: bool = False) -> BareRun:
        now = utc(START)
        ledger = Ledger(Decimal(50_000) * (n + 1))
        employer = sample_employer("E0", at=START)
        conditions = (
            library_conditions(ledger, employer) if library_guards else inline_guards(ledger)
        )
        machine = bare_machine(conditions, after_effects(ledger))
        models = [BareGrant(f"G{k:06d}", f"E{k:06d}", employer) for k in range(n)]
        return cls(machine, models, now)

    def apply_all(self) -> None:
        add = self.machine.add_model
        for m in self.models:
            add(m, initial="applied")

    def lifecycle_all(self) -> None:
        now = self.now
        amount = Decimal("25000.00")
        for m in self.models:
            if not (
                m.approve(amount=amount, now=now)  # type: ignore[attr-defined]  # run-time trigger
                and m.confirm_notice(channel="email", confirmed_at=now, now=now)  # type: ignore[attr-defined]  # idem
                and m.accept(now=now)  # type: ignore[attr-defined]  # idem
                and m.begin_transition(started_at=now, now=now)  # type: ignore[attr-defined]  # idem
                and m.evaluate(evaluation=EVALUATION)  # type: ignore[attr-defined]  # idem
            ):
                raise AssertionError(f"{m.id} stopped in {m.state}")


def library_conditions(ledger: Ledger, employer: Employer) -> dict[str, Callable[..., bool]]:
    """Conditions that call the library's own guards of each row, with a Grant kept
    beside the model (as the Program's fold keeps it) and the same Context."""
    application = sample_application("E0", at=START)
    approval = Context(
        employer=employer,
        application=application,
        cycle_opening=FIRST_AWARD,
        funds_available=ledger.available,
    )
    actors = {
        "approve": DIRECTOR,
        "confirm_notice": DEPARTMENT,
        "accept": employer_actor("E0"),
        "begin_transition": employer_actor("E0"),
        "evaluate": EVALUATOR,
    }
    plain = Context()

    def make(trigger: str) -> Callable[..., bool]:
        guards = GRANT_LIFECYCLE.by_trigger[trigger].guards
        actor = actors[trigger]

        def check(m: BareGrant, now: dt.datetime, **params: Any) -> bool:
            context = (
                attrs.evolve(approval, funds_available=ledger.available, actor=actor)
                if trigger == "approve"
                else attrs.evolve(plain, actor=actor)
            )
            grant = bare_to_grant(m)
            # The guards read a command's attributes (the registry's typed commands).
            command = types.SimpleNamespace(name=trigger, grant_id=m.id, **params)
            pnow = pendulum.instance(now)
            return not any(
                True for guard in guards for _ in guard(grant, command, context, RULES, pnow)
            )

        return check

    check_evaluation = make("evaluate")
    when = utc(START)

    def evaluate(m: BareGrant, evaluation: dict[str, str]) -> bool:
        return check_evaluation(m, when, evaluation=evaluation)

    made = {t: make(t) for t in STEPS if t != "evaluate"}
    made["evaluate"] = evaluate
    return made


def bare_to_grant(m: BareGrant) -> Grant:
    """The Grant the library's guards expect, from a bare model."""

    def us(value: dt.datetime | None) -> int | None:
        return None if value is None else to_us(value)

    return Grant(
        id=m.id,
        employer_id=m.employer_id,
        state=State(m.state),
        version=1,
        cycle=1,
        amount_requested=Decimal("25000.00"),
        applied_us=to_us(utc(START)),
        amount=m.amount,
        approved_us=us(m.approved_at),
        notice_us=us(m.notice_at),
        accept_by_us=us(m.accept_by),
        accepted_us=us(m.accepted_at),
    )


# -- python-statemachine -----------------------------------------------------------------


class PsmGrant(StateMachine):
    """The grant lifecycle in python-statemachine: the table's states and transitions."""

    applied = PsmState(initial=True)
    approved = PsmState()
    accepted = PsmState()
    transitioning = PsmState()
    evaluated = PsmState(final=True)
    denied = PsmState(final=True)
    withdrawn = PsmState(final=True)
    declined = PsmState(final=True)
    forfeited = PsmState(final=True)
    terminated = PsmState(final=True)

    review = applied.to(applied, internal=True)
    deny = applied.to(denied)
    withdraw = applied.to(withdrawn) | approved.to(withdrawn)
    approve = applied.to(approved, cond="can_approve")
    confirm_notice = approved.to(approved, internal=True, cond="can_confirm")
    accept = approved.to(accepted, cond="can_accept")
    decline = approved.to(declined)
    forfeit = approved.to(forfeited)
    begin_transition = accepted.to(transitioning, cond="can_begin")
    record_technical_assistance = (
        approved.to(approved, internal=True)
        | accepted.to(accepted, internal=True)
        | transitioning.to(transitioning, internal=True)
    )
    terminate = accepted.to(terminated) | transitioning.to(terminated)
    evaluate = transitioning.to(evaluated, cond="can_evaluate")

    def __init__(self, data: BareGrant, ledger: Ledger) -> None:
        self.data = data
        self.ledger = ledger
        self.checks = inline_guards(ledger)
        self.effects = after_effects(ledger)
        super().__init__()

    def can_approve(self, amount: Decimal, now: dt.datetime) -> bool:
        return self.checks["approve"](self.data, amount, now)

    def can_confirm(self, channel: str, confirmed_at: dt.datetime, now: dt.datetime) -> bool:
        return self.checks["confirm_notice"](self.data, channel, confirmed_at, now)

    def can_accept(self, now: dt.datetime) -> bool:
        return self.checks["accept"](self.data, now)

    def can_begin(self, started_at: dt.datetime, now: dt.datetime) -> bool:
        return self.checks["begin_transition"](self.data, started_at, now)

    def can_evaluate(self, evaluation: dict[str, str]) -> bool:
        return self.checks["evaluate"](self.data, evaluation)

    def on_approve(self, amount: Decimal, now: dt.datetime) -> None:
        self.effects["approve"](self.data, amount, now)

    def on_confirm_notice(self, channel: str, confirmed_at: dt.datetime, now: dt.datetime) -> None:
        self.effects["confirm_notice"](self.data, channel, confirmed_at, now)

    def on_accept(self, now: dt.datetime) -> None:
        self.effects["accept"](self.data, now)

    def on_begin_transition(self, started_at: dt.datetime, now: dt.datetime) -> None:
        self.effects["begin_transition"](self.data, started_at, now)

    def on_evaluate(self, evaluation: dict[str, str]) -> None:
        self.effects["evaluate"](self.data, evaluation)


@attrs.define
class PsmRun:
    """n python-statemachine instances, one per grant."""

    ledger: Ledger
    data: list[BareGrant]
    machines: list[PsmGrant]
    now: dt.datetime

    @classmethod
    def prepare(cls, n: int) -> PsmRun:
        employer = sample_employer("E0", at=START)
        data = [BareGrant(f"G{k:06d}", f"E{k:06d}", employer) for k in range(n)]
        return cls(Ledger(Decimal(50_000) * (n + 1)), data, [], utc(START))

    def apply_all(self) -> None:
        self.machines = [PsmGrant(d, self.ledger) for d in self.data]

    def lifecycle_all(self) -> None:
        now = self.now
        amount = Decimal("25000.00")
        try:
            for m in self.machines:
                m.approve(amount=amount, now=now)
                m.confirm_notice(channel="email", confirmed_at=now, now=now)
                m.accept(now=now)
                m.begin_transition(started_at=now, now=now)
                m.evaluate(evaluation=EVALUATION)
        except TransitionNotAllowed as exc:  # pragma: no cover - a broken benchmark
            raise AssertionError(str(exc)) from exc
        if not all(m.data.evaluation is not None for m in self.machines):
            raise AssertionError("python-statemachine skipped a step")


# -- timing ------------------------------------------------------------------------------


def timed(run: Callable[[], None]) -> float:
    """CPU seconds of this process that ``run`` takes: on a shared, loaded machine the
    wall clock also counts the time other processes hold the cores."""
    gc.collect()
    start = time.process_time_ns()
    run()
    return (time.process_time_ns() - start) / 1e9


def measure_steps(n: int, repetitions: int) -> dict[str, dict[str, Any]]:
    """Interleaved: each repetition runs every engine once, in a rotating order. The
    engine that calls the library's guards from a bare machine is for information: it
    reaches into the library's internals, and is left out if they have changed."""
    engines: dict[str, Callable[[], Any]] = {
        "Program": lambda: ProgramRun.prepare(n),
        "transitions": lambda: BareRun.prepare(n),
        "transitions + library guards": lambda: BareRun.prepare(n, library_guards=True),
        "python-statemachine": lambda: PsmRun.prepare(n),
    }
    try:
        probe = BareRun.prepare(2, library_guards=True)
        probe.apply_all()
        probe.lifecycle_all()
    except Exception as exc:
        print(f"(transitions + library guards left out: {type(exc).__name__}: {exc})")
        del engines["transitions + library guards"]
    names = list(engines)
    apply_s: dict[str, list[float]] = {k: [] for k in names}
    step_s: dict[str, list[float]] = {k: [] for k in names}
    for rep in range(repetitions):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            run = engines[name]()
            apply_s[name].append(timed(run.apply_all) / n)
            step_s[name].append(timed(run.lifecycle_all) / (n * len(STEPS)))
    return {
        name: {
            "apply_us": statistics.median(apply_s[name]) * 1e6,
            "step_us": statistics.median(step_s[name]) * 1e6,
            "step_us_all": [round(s * 1e6, 2) for s in step_s[name]],
            "apply_us_all": [round(s * 1e6, 2) for s in apply_s[name]],
        }
        for name in names
    }


def measure_per_command(n: int) -> dict[str, float]:
    """The Program's median time per command of the lifecycle (one run of n grants)."""
    run = ProgramRun.prepare(n)
    run.apply_all()
    p, now = run.program, run.clock.now()
    calls: dict[str, Callable[[str, Actor], object]] = {
        "approve": lambda g, a: p.approve(g, "25000.00", DIRECTOR),
        "confirm_notice": lambda g, a: p.confirm_notice(
            g, DEPARTMENT, channel="email", confirmed_at=now
        ),
        "accept": lambda g, a: p.accept(g, a),
        "begin_transition": lambda g, a: p.begin_transition(g, a, started_at=now),
        "evaluate": lambda g, a: p.evaluate(g, EVALUATOR, evaluation=EVALUATION),
    }
    samples: dict[str, list[float]] = {k: [] for k in STEPS}
    gc.collect()
    for gid, _, actor in run.applications:
        for step in STEPS:
            start = time.process_time_ns()
            calls[step](gid, actor)
            samples[step].append((time.process_time_ns() - start) / 1e3)
    return {k: statistics.median(v) for k, v in samples.items()}


def profile_program(n: int, top: int = 25) -> str:
    run = ProgramRun.prepare(n)
    run.apply_all()
    profiler = cProfile.Profile()
    profiler.enable()
    run.lifecycle_all()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# -- memory ------------------------------------------------------------------------------


def lifecycle_template() -> list[Event]:
    """The events of one real accepted grant (Applied ... Accepted), from a Program."""
    run = ProgramRun.prepare(1)
    run.apply_all()
    gid, _, actor = run.applications[0]
    p, now = run.program, run.clock.now()
    p.approve(gid, "25000.00", DIRECTOR)
    p.confirm_notice(gid, DEPARTMENT, channel="email", confirmed_at=now)
    p.accept(gid, actor)
    return p.events(gid)


def clone_events(template: list[Event], k: int) -> Iterator[Event]:
    """The template's events for grant k: distinct ids, instants and payload values."""
    gid, employer_id = f"G{k:07d}", f"E{k:07d}"
    shift = dt.timedelta(seconds=k)
    for e in template:
        payload = dict(e.payload)
        if "employer_id" in payload:
            payload["employer_id"] = employer_id
        yield attrs.evolve(
            e,
            stream_id=gid,
            occurred_at=e.occurred_at + shift,
            recorded_at=e.recorded_at + shift,
            command_id=f"{e.command_id}-{k}",
            payload=payload,
        )


def traced(build: Callable[[], Any]) -> tuple[Any, int]:
    """What ``build`` returns, and the bytes still allocated after it (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return held, after - before


def grant_bytes(n: int) -> dict[str, float]:
    """Bytes per Grant projection held, built by the fold of real lifecycle events.

    The fold runs without tracemalloc (which would slow it several times over); the
    grants it built are then pickled, and tracemalloc measures unpickling them: that
    rebuilds the same objects (shared ones stay shared: pickle memoizes by identity,
    enum members load as themselves) and nothing else but the list holding them.
    """
    template = lifecycle_template()
    start = time.perf_counter()
    grants = [fold_grant(clone_events(template, k)) for k in range(n)]
    fold_seconds = time.perf_counter() - start
    assert grants[0].state is State.ACCEPTED
    blob = pickle.dumps(grants, protocol=pickle.HIGHEST_PROTOCOL)
    del grants
    held, size = traced(lambda: pickle.loads(blob))  # noqa: S301 - our own bytes
    assert n == len(held)
    assert held[0].state is State.ACCEPTED
    return {
        "grants": n,
        "bytes_per_grant": (size - sys.getsizeof(held)) / n,
        "shallow_sizeof": sys.getsizeof(held[0]),
        "build_us_per_grant": fold_seconds / n * 1e6,
        "seconds": time.perf_counter() - start,
    }


def store_bytes(n: int) -> dict[str, float]:
    """The whole Program (MemoryStore: events, applications, employers, projections,
    indexes) per grant, for ``n`` grants run through approve -> accept."""
    prepared: list[ProgramRun] = []

    def build() -> ProgramRun:
        run = ProgramRun.prepare(n)
        run.apply_all()
        p, now = run.program, run.clock.now()
        for gid, _, actor in run.applications:
            p.approve(gid, "25000.00", DIRECTOR)
            p.confirm_notice(gid, DEPARTMENT, channel="email", confirmed_at=now)
            p.accept(gid, actor)
        run.applications = []  # keep only what the program keeps
        prepared.append(run)
        return run

    start = time.perf_counter()
    run, size = traced(build)
    elapsed = time.perf_counter() - start
    store = run.program.store
    assert isinstance(store, MemoryStore)
    events = sum(1 for _ in store.all_events())
    return {
        "grants": n,
        "bytes_per_grant": size / n,
        "events": events,
        "seconds": elapsed,
    }


def transitions_model_bytes(n: int) -> dict[str, float]:
    """Bytes per model attached to one shared bare machine (tracemalloc), and the time
    to attach them, measured again without tracemalloc."""
    employer = sample_employer("E0", at=START)

    def attach(record: list[float] | None) -> list[BareGrant]:
        machine = bare_machine(inline_guards(Ledger(Decimal(0))), after_effects(Ledger(Decimal(0))))
        models = []
        for k in range(n):
            m = BareGrant(f"G{k:07d}", f"E{k:07d}", employer)
            start = time.process_time_ns()
            machine.add_model(m, initial="applied")
            if record is not None:
                record.append((time.process_time_ns() - start) / 1e3)
            models.append(m)
        return models

    _, size = traced(lambda: attach(None))
    gc.collect()
    per_model: list[float] = []
    start = time.perf_counter()
    attach(per_model)
    elapsed = time.perf_counter() - start
    tenth = max(1, n // 10)
    first = statistics.median(per_model[:tenth])
    last = statistics.median(per_model[-tenth:])
    # add_model checks `model not in machine.models` (a list): the cost per model grows
    # linearly with the models attached, so attaching N costs first*N + slope*N^2/2.
    slope = (last - first) / (n - tenth) if n > tenth else 0.0
    big = 100_000
    return {
        "models": n,
        "bytes_per_model_attached": size / n,
        "attach_us_first_tenth": first,
        "attach_us_last_tenth": last,
        "seconds": elapsed,
        "extrapolated_seconds_100k": (first * big + slope * big * big / 2) / 1e6,
    }


def psm_bytes(n: int) -> dict[str, float]:
    employer = sample_employer("E0", at=START)
    ledger = Ledger(Decimal(0))
    data = [BareGrant(f"G{k:07d}", f"E{k:07d}", employer) for k in range(n)]

    def build() -> list[PsmGrant]:
        return [PsmGrant(d, ledger) for d in data]

    start = time.perf_counter()
    _, size = traced(build)
    return {
        "machines": n,
        "bytes_per_machine": size / n,
        "seconds": time.perf_counter() - start,
    }


def transitions_machine_each_bytes(n: int) -> dict[str, float]:
    """Bytes per grant when each grant has a machine of its own (model=self)."""
    employer = sample_employer("E0", at=START)
    ledger = Ledger(Decimal(0))
    data = [BareGrant(f"G{k:07d}", f"E{k:07d}", employer) for k in range(n)]

    def build() -> list[Machine]:
        machines = []
        for d in data:
            m = bare_machine(inline_guards(ledger), after_effects(ledger))
            m.add_model(d, initial="applied")
            machines.append(m)
        return machines

    _, size = traced(build)
    return {"machines": n, "bytes_per_grant": size / n}


# -- the comparisons of the suite ----------------------------------------------------------


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Comparisons 1a, 1b (time per lifecycle step) and 2 (memory per live grant)."""
    return run_steps(quick) + run_memory(quick)


def run_steps(quick: bool = False) -> list[dict[str, Any]]:
    """1a: the Program against a bare transitions Machine; 1b: against
    python-statemachine. CPU time per step, medians of interleaved repetitions."""
    n, reps = (50, 3) if quick else (300, 7)
    steps = measure_steps(n, reps)
    per_command = measure_per_command(n)
    program = steps["Program"]["step_us"]
    base = steps["transitions"]["step_us"]
    psm = steps["python-statemachine"]["step_us"]
    details: dict[str, Any] = {
        "grants_per_repetition": n,
        "steps": list(STEPS),
        "timing": "CPU time of this process (time.process_time)",
        "engines": steps,
        "program_us_per_command": per_command,
    }
    return [
        with_goal(
            metric(
                "1a lifecycle step, in memory: Program command vs bare transitions Machine "
                "trigger (same lifecycle, equivalent guards)",
                "us/step", program, "transitions Machine, shared, auto_transitions=False",
                base, False, reps,
            ),
            "<= 1.5x transitions' time", at_least=1 / 1.5, **details,
        ),
        with_goal(
            metric(
                "1b lifecycle step, in memory: Program command vs python-statemachine event",
                "us/step", program, "python-statemachine StateMachine, one per grant",
                psm, False, reps,
            ),
            ">= 5x faster", at_least=5.0,
        ),
    ]  # fmt: skip


def run_memory(quick: bool = False) -> list[dict[str, Any]]:
    """2: bytes per live Grant at 100,000 grants (tracemalloc), against a transitions
    model attached to one shared machine; one machine per grant and
    python-statemachine instances for information."""
    n_grants = 5_000 if quick else 100_000
    n_models = 1_000 if quick else 10_000
    n_each = 100 if quick else 500
    n_psm = 300 if quick else 1_000
    grants = grant_bytes(n_grants)
    models = transitions_model_bytes(n_models)
    each = transitions_machine_each_bytes(n_each)
    machines = psm_bytes(n_psm)
    return [
        with_goal(
            metric(
                f"2 memory per live grant at {n_grants:,} grants (tracemalloc): Grant "
                "projection vs transitions model on a shared machine",
                "bytes", grants["bytes_per_grant"], "transitions model attached to one machine",
                models["bytes_per_model_attached"], False, 1,
            ),
            "<= 1 KB per grant", value_at_most=1024,
            grant_projection=grants, transitions_shared_machine=models,
            transitions_machine_each=each, python_statemachine=machines,
        )
    ]  # fmt: skip


# -- report ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--profile", action="store_true", help="add a cProfile of Program")
    args = parser.parse_args(argv)
    wall = time.perf_counter()
    metrics = run(args.quick)
    results: dict[str, Any] = {"metrics": metrics, "machine": machine()}
    if args.profile:
        text = profile_program(50 if args.quick else 300)
        results["profile"] = text
        print(text)
    for m in metrics:
        print(f"{m['name']}: {m['value']:,.1f} vs {m['baseline_value']:,.1f} {m['unit']} "
              f"({m['ratio']:.2f}x; goal {m['goal']}: {'met' if m['met'] else 'MISSED'})")  # fmt: skip
    results["seconds"] = time.perf_counter() - wall
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(HERE.parent)} in {results['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
