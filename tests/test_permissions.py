"""Who may do what: the permission matrix, generated from the one transition table.

Every trigger x every role x own / other employer is run on memory, SQLite and
PostgreSQL. A refused attempt raises NotPermitted, is written to the audit log as a
security event, and changes no grant (django-fsm #263: permissions declared but not
enforced). A trigger added to the table without an entry here fails the first test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pendulum
import pytest

from choice_workflow import (
    Actor,
    ChoiceWorkflowError,
    InvalidInput,
    ManualClock,
    NotPermitted,
    Program,
    Role,
    Rules,
    TransitionRefused,
    UnknownEmployer,
)
from choice_workflow.commands import (
    REGISTRY,
    ChangeContact,
    OpenCycle,
    RegisterEmployer,
    Seal,
    SelectAwards,
    SetAppropriation,
    StartProgram,
    UpdateEmployer,
)
from choice_workflow.commands.referral import NoteReturn
from choice_workflow.domain import Headcount, PerformanceRecord, WageRecord
from choice_workflow.domain.state import State
from choice_workflow.lifecycle import GRANT_LIFECYCLE
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store import MemoryStore, Store
from choice_workflow.store.sql import SqlStore

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
DIRECTOR = Actor("director-1", Role.DIRECTOR)
DEPARTMENT = Actor("dol-1", Role.DEPARTMENT)
EVALUATOR = Actor("evaluator-1", Role.EVALUATOR)
DAY = dt.date(2030, 6, 30)

Invoke = Callable[[Program, str, Actor], object]
INVOKE: dict[str, Invoke] = {
    "review": lambda p, g, a: p.review(g, a),
    "deny": lambda p, g, a: p.deny(g, a, reason="incomplete"),
    "withdraw": lambda p, g, a: p.withdraw(g, a),
    "approve": lambda p, g, a: p.approve(g, "20000.00", a),
    "endorse": lambda p, g, a: p.endorse(g, "20000.00", a),
    "confirm_notice": lambda p, g, a: p.confirm_notice(
        g, a, channel="email", confirmed_at=p.clock.now()
    ),
    "accept": lambda p, g, a: p.accept(g, a),
    "decline": lambda p, g, a: p.decline(g, a),
    "begin_transition": lambda p, g, a: p.begin_transition(g, a, started_at=p.clock.now()),
    "record_technical_assistance": lambda p, g, a: p.record_technical_assistance(
        g, a, description="visit"
    ),
    "disburse": lambda p, g, a: p.disburse(g, a),
    "record_wages": lambda p, g, a: p.record_wages(
        g,
        a,
        [WageRecord(employee_id="P1", paid_on=DAY, hourly=Decimal("15.00"), has_disability=True)],
    ),
    "record_headcount": lambda p, g, a: p.record_headcount(
        g,
        a,
        Headcount(
            quarter_start=DAY, employees=5, employees_with_disability=2, at_or_above_minimum=2
        ),
    ),
    "record_performance": lambda p, g, a: p.record_performance(
        g,
        a,
        [
            PerformanceRecord(
                period_start=DAY,
                period_end=DAY,
                employee_id="P1",
                task_durations=[dt.timedelta(minutes=5)],
                mental_health_breaks=[],
                physical_health_breaks=[],
            )
        ],
    ),
    "terminate": lambda p, g, a: p.terminate(g, a, reason="documented cause"),
    "evaluate": lambda p, g, a: p.evaluate(g, a, evaluation={"wages": "recorded"}),
    "amend": lambda p, g, a: p.amend(
        g, attrs.evolve(p.application(g), amount_requested=Decimal("21000.00")), a, reason="typo"
    ),
    "send_notice": lambda p, g, a: p.send_notice(g, a, channel="email"),
    "record_repayment": lambda p, g, a: p.record_repayment(g, "1.00", a),
    "close_out": lambda p, g, a: p.close_out(g, a),
    "correct": lambda p, g, a: p.correct(g, a, corrects=1, reason="typo", notes="fixed"),
    "place_hold": lambda p, g, a: p.place_hold(g, a, reason="audit"),
    "release_hold": lambda p, g, a: p.release_hold(g, a, reason="audit over"),
}
"""How to run each trigger of the table through the Program's typed API."""

NOT_DIRECT = {
    "apply": "creates a grant: tested below",
    "forfeit": "run by sweep()",
    "refer": "run inside a release",
}
"""Triggers no user calls directly, and where they are covered instead."""

PATH: dict[State, list[Callable[[Program, str, Actor], object]]] = {
    State.APPLIED: [],
    State.APPROVED: [INVOKE["approve"]],
    State.ACCEPTED: [INVOKE["approve"], INVOKE["accept"]],
    State.TRANSITIONING: [
        INVOKE["approve"],
        INVOKE["confirm_notice"],
        INVOKE["accept"],
        INVOKE["begin_transition"],
    ],
    State.TERMINATED: [
        INVOKE["approve"],
        INVOKE["confirm_notice"],
        INVOKE["accept"],
        INVOKE["begin_transition"],
        INVOKE["terminate"],
    ],
}
"""Commands that bring a fresh application to a state (actors chosen per step)."""

ACTORS: dict[str, Callable[[str, str], Actor]] = {
    "department": lambda own, other: DEPARTMENT,
    "director": lambda own, other: DIRECTOR,
    "evaluator": lambda own, other: EVALUATOR,
    "auditor": lambda own, other: Actor("auditor-1", Role.AUDITOR),
    "system": lambda own, other: Actor.system(),
    "own employer": lambda own, other: Actor(f"{own}-user", Role.EMPLOYER, employer_id=own),
    "other employer": lambda own, other: Actor(f"{other}-user", Role.EMPLOYER, employer_id=other),
}


def permitted(trigger: str, who: str) -> bool:
    """What the table says: the role is listed, and an employer acts on its own grants."""
    spec = GRANT_LIFECYCLE.by_trigger[trigger]
    actor = ACTORS[who]("E-own", "E-other")
    if actor.role not in spec.roles:
        return False
    return not (spec.own_only and who == "other employer")


CASES = [
    pytest.param(trigger, who, id=f"{trigger}-{who.replace(' ', '-')}")
    for trigger in GRANT_LIFECYCLE.triggers
    if trigger not in NOT_DIRECT
    for who in ACTORS
]


def test_every_trigger_of_the_table_is_in_the_matrix() -> None:
    assert set(GRANT_LIFECYCLE.triggers) == set(INVOKE) | set(NOT_DIRECT)


_ids = itertools.count()


@pytest.fixture(
    name="store",
    scope="module",
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def fixture_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path_factory.mktemp('perm') / 'p.sqlite'}")
    else:
        store = SqlStore(request.getfixturevalue("pg_url"), prefix="perm_")
    yield store
    store.dispose()


@pytest.fixture(name="program", scope="module")
def fixture_program(store: Store) -> Program:
    program = Program(store, clock=ManualClock(START))
    program.open_cycle(1, DIRECTOR, appropriation="100000000.00")
    return program


def fresh_grant(program: Program, state: State) -> tuple[str, str, str]:
    """A new employer with a grant in ``state``, and another employer; their ids."""
    n = next(_ids)
    own, other = f"E{n}", f"E{n}x"
    for eid in (own, other):
        program.register_employer(sample_employer(eid, at=START), DEPARTMENT)
    owner = ACTORS["own employer"](own, other)
    program.apply(sample_application(own, at=START), owner, grant_id=f"G{n}")
    steps = {
        INVOKE["approve"]: DIRECTOR, INVOKE["accept"]: owner,
        INVOKE["confirm_notice"]: DEPARTMENT, INVOKE["begin_transition"]: owner,
        INVOKE["terminate"]: DIRECTOR,
    }  # fmt: skip
    for step in PATH[state]:
        step(program, f"G{n}", steps[step])
    return f"G{n}", own, other


@pytest.mark.parametrize(("trigger", "who"), CASES)
def test_every_command_is_enforced_for_every_role_and_employer(
    program: Program, trigger: str, who: str
) -> None:
    spec = GRANT_LIFECYCLE.by_trigger[trigger]
    source = next(s for s in GRANT_LIFECYCLE.states if s in spec.sources)
    grant_id, own, other = fresh_grant(program, source)
    actor = ACTORS[who](own, other)
    before = program.grant(grant_id)
    refused_before = len(program.events("security"))
    if permitted(trigger, who):
        try:
            INVOKE[trigger](program, grant_id, actor)
        except NotPermitted as exc:  # pragma: no cover - the failure this test looks for
            pytest.fail(f"{who} was refused {trigger}: {exc}")
        except ChoiceWorkflowError:
            pass  # allowed to try; a guard of the Act may still refuse
        return
    with pytest.raises(NotPermitted):
        INVOKE[trigger](program, grant_id, actor)
    security = program.events("security")
    assert refused_before + 1 == len(security)
    assert (actor.id, trigger, grant_id) == (
        security[-1].actor_id,
        security[-1].payload["command"],
        security[-1].payload["target"],
    )
    assert before == program.grant(grant_id)


@pytest.mark.parametrize("who", list(ACTORS))
def test_only_an_employer_applies_and_only_for_itself(program: Program, who: str) -> None:
    n = next(_ids)
    own, other = f"A{n}", f"A{n}x"
    for eid in (own, other):
        program.register_employer(sample_employer(eid, at=START), DEPARTMENT)
    actor = ACTORS[who](own, other)
    if who == "own employer":
        assert (
            State.APPLIED
            == program.apply(sample_application(own, at=START), actor, grant_id=f"A{n}").state
        )
        return
    with pytest.raises(NotPermitted):
        program.apply(sample_application(own, at=START), actor, grant_id=f"A{n}")
    assert program.events(f"A{n}") == []


@pytest.mark.parametrize("who", [w for w in ACTORS if w != "system"])
def test_only_the_system_sweeps(program: Program, who: str) -> None:
    with pytest.raises(NotPermitted):
        program.sweep(ACTORS[who]("E-own", "E-other"))


@pytest.mark.parametrize("who", [w for w in ACTORS if w != "director"])
def test_only_the_director_opens_cycles_sets_appropriations_and_selects(
    program: Program, who: str
) -> None:
    actor = ACTORS[who]("E-own", "E-other")
    for attempt in (
        lambda: program.open_cycle(2, actor, appropriation="1.00"),
        lambda: program.set_appropriation(1, "100000000.00", actor),
        lambda: program.select_awards(1, actor),
    ):
        with pytest.raises(NotPermitted):
            attempt()


# -- separation of duties and dual authorization -------------------------------------


def test_the_reviewer_of_an_application_cannot_approve_it() -> None:
    program = Program(clock=ManualClock(START))
    program.open_cycle(1, DIRECTOR, appropriation="100000.00")
    grant_id, _, _ = fresh_grant(program, State.APPLIED)
    both = Actor("director-1", Role.DEPARTMENT)  # one person, two roles
    program.review(grant_id, both, notes="complete")
    with pytest.raises(TransitionRefused, match="may not also approve"):
        program.approve(grant_id, "20000.00", DIRECTOR)
    assert (
        State.APPROVED
        == program.approve(grant_id, "20000.00", Actor("director-2", Role.DIRECTOR)).state
    )


def test_the_reviewer_may_approve_when_the_rules_allow_it() -> None:
    rules = attrs.evolve(Rules.illinois(), reviewer_cannot_approve=False)
    program = Program(clock=ManualClock(START), rules=rules)
    program.open_cycle(1, DIRECTOR, appropriation="100000.00")
    grant_id, _, _ = fresh_grant(program, State.APPLIED)
    program.review(grant_id, Actor("director-1", Role.DEPARTMENT))
    assert State.APPROVED == program.approve(grant_id, "20000.00", DIRECTOR).state


@pytest.mark.cite("15(h)")
def test_approvals_above_the_limit_need_a_second_directors_endorsement() -> None:
    rules = attrs.evolve(Rules.illinois(), dual_authorization_above=Decimal("35000.00"))
    program = Program(clock=ManualClock(START), rules=rules)
    program.open_cycle(1, DIRECTOR, appropriation="1000000.00")
    second = Actor("director-2", Role.DIRECTOR)
    grant_id, _, _ = fresh_grant(program, State.APPLIED)
    with pytest.raises(TransitionRefused, match="second Director must endorse"):
        program.approve(grant_id, "40000.00", DIRECTOR)
    program.endorse(grant_id, "40000.00", DIRECTOR)
    with pytest.raises(TransitionRefused, match="second Director"):
        program.approve(grant_id, "40000.00", DIRECTOR)  # the same Director twice
    with pytest.raises(TransitionRefused, match="second Director"):
        program.approve(grant_id, "45000.00", second)  # not the endorsed amount
    assert State.APPROVED == program.approve(grant_id, "40000.00", second).state
    small, _, _ = fresh_grant(program, State.APPLIED)
    assert State.APPROVED == program.approve(small, "35000.00", DIRECTOR).state


def test_an_auditor_may_read_replay_verify_and_export_but_change_nothing(tmp_path: Path) -> None:
    from choice_workflow.audit import export_log, replay, verify

    program = Program(clock=ManualClock(START))
    program.open_cycle(1, DIRECTOR, appropriation="100000.00")
    grant_id, _, _ = fresh_grant(program, State.APPROVED)
    auditor = Actor("auditor-1", Role.AUDITOR)
    assert program.grant(grant_id).amount == Decimal("20000.00")
    with (tmp_path / "log.jsonl").open("wb") as out:
        export_log(program.store.stored_events(), out)
    assert grant_id in replay(tmp_path / "log.jsonl").grants
    assert () == verify(program.store).findings
    with pytest.raises(NotPermitted):
        program.seal(auditor)
    with pytest.raises(NotPermitted):
        program.register_employer(sample_employer("E-new", at=START), auditor)


# -- beyond the grant: every command of the registry ----------------------------------

PROBES: dict[str, Callable[[], object]] = {
    "start_program": lambda: StartProgram(Rules.illinois()),
    "seal": lambda: Seal(),
    "register_employer": lambda: RegisterEmployer(sample_employer("P1", at=START)),
    "update_employer": lambda: UpdateEmployer(sample_employer("P1", at=START)),
    "change_contact": lambda: ChangeContact("P1", "moved", email="new@p1.example"),
    "open_cycle": lambda: OpenCycle(2, Decimal("1.00"), START.add(years=2)),
    "set_appropriation": lambda: SetAppropriation(1, Decimal("100000000.00")),
    "select_awards": lambda: SelectAwards(1),
    "note_return": lambda: NoteReturn(1, "G-P1", Decimal("0.00"), "nobody waits"),
}
"""A command of each stream beside the grant's (the grant's are the matrix above)."""


def test_every_command_beside_the_grant_is_in_the_matrix() -> None:
    beside = {s.name for s in REGISTRY if s.transition is None and s.name != "record_refusal"}
    assert beside == set(PROBES)


@pytest.mark.parametrize(
    ("name", "who"),
    [pytest.param(n, w, id=f"{n}-{w.replace(' ', '-')}") for n in PROBES for w in ACTORS],
)
def test_every_command_beside_the_grant_refuses_and_logs_every_role_it_does_not_allow(
    program: Program, name: str, who: str
) -> None:
    spec = REGISTRY.by_name[name]
    actor = ACTORS[who]("P1", "P2")
    command = PROBES[name]()
    refused_before = len(program.events("security"))
    if actor.role in spec.roles and not (spec.own_only and who == "other employer"):
        # Allowed to try: the Act may still refuse (an unknown employer, say), never the role.
        refusals: tuple[object, ...] = ()
        with contextlib.suppress(UnknownEmployer, InvalidInput, TransitionRefused):
            refusals = tuple(p for p in program.may(command, actor) if p.field == "actor")
        assert () == refusals
        return
    with pytest.raises(NotPermitted):
        program.run(command, actor)
    security = program.events("security")
    assert refused_before + 1 == len(security)
    assert (actor.id, name) == (security[-1].actor_id, security[-1].payload["command"])
