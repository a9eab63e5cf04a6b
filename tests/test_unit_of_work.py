"""The unit of work's invariants, for every command, on memory, SQLite and PostgreSQL:
an idempotency key is bound to the command, actor and parameters it was first used
with; a command's instant never precedes what its stream or the last seal holds; a
refused attempt is always recorded, or the caller is told it was not."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import attrs
import pendulum
import pytest

from choice_workflow import (
    Actor,
    ClockError,
    InvalidInput,
    ManualClock,
    NotPermitted,
    Program,
    Role,
    State,
)
from choice_workflow.commands import Apply, OpenCycle
from choice_workflow.errors import ConcurrencyConflict, IdempotencyKeyReused
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.service.unit_of_work import UnitOfWork
from choice_workflow.store import MemoryStore, Store
from choice_workflow.store.sql import SqlStore

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
DEPARTMENT = Actor("dol-1", Role.DEPARTMENT)
DIRECTOR = Actor("director-1", Role.DIRECTOR)
E1 = Actor("e1-user", Role.EMPLOYER, employer_id="E1")
E2 = Actor("e2-user", Role.EMPLOYER, employer_id="E2")


@pytest.fixture(
    name="store",
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def fixture_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path_factory.mktemp('uow') / 'u.sqlite'}")
    else:
        prefix = f"uow{abs(hash(request.node.name)) % 10**8}_"
        store = SqlStore(request.getfixturevalue("pg_url"), prefix=prefix)
    yield store
    store.dispose()


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="program")
def fixture_program(store: Store, clock: ManualClock) -> Program:
    program = Program(store, clock=clock)
    for eid in ("E1", "E2"):
        program.register_employer(sample_employer(eid, at=START), DEPARTMENT)
    program.open_cycle(1, DIRECTOR, appropriation="100000.00")
    program.apply(sample_application("E1", at=START), E1, grant_id="G1", command_id="apply-G1")
    return program


def _count(store: Store) -> int:
    return sum(1 for _ in store.stored_events())


# -- idempotency keys ------------------------------------------------------------------


def test_the_same_command_with_the_same_id_returns_the_first_result_and_writes_nothing(
    program: Program, store: Store
) -> None:
    first = program.approve("G1", "25000.00", DIRECTOR, command_id="approve-G1")
    before = _count(store)
    again = program.approve("G1", "25000.00", DIRECTOR, command_id="approve-G1")
    assert (first, before) == (again, _count(store))
    assert State.APPROVED == again.state


def test_another_employers_withdraw_with_the_id_of_an_apply_is_refused_and_writes_nothing(
    program: Program, store: Store
) -> None:
    before = _count(store)
    with pytest.raises(IdempotencyKeyReused, match="first used for another command") as refused:
        program.withdraw("G1", E2, command_id="apply-G1")
    assert "apply-G1" == refused.value.command_id
    assert before == _count(store)
    assert State.APPLIED == program.grant("G1").state


def test_a_review_with_the_id_of_an_apply_is_not_silently_dropped(
    program: Program, store: Store
) -> None:
    before = _count(store)
    with pytest.raises(IdempotencyKeyReused):
        program.review("G1", DEPARTMENT, notes="complete", command_id="apply-G1")
    assert before == _count(store)
    assert [] == [e for e in program.events("G1") if e.type == "Reviewed"]


def test_the_same_id_with_other_parameters_or_another_actor_is_refused(
    program: Program, store: Store
) -> None:
    program.approve("G1", "25000.00", DIRECTOR, command_id="approve-G1")
    before = _count(store)
    with pytest.raises(IdempotencyKeyReused):
        program.approve("G1", "30000.00", DIRECTOR, command_id="approve-G1")
    with pytest.raises(IdempotencyKeyReused):
        program.approve(
            "G1", "25000.00", Actor("director-2", Role.DIRECTOR), command_id="approve-G1"
        )
    assert before == _count(store)
    assert Decimal("25000.00") == program.grant("G1").amount


def test_employer_cycle_and_seal_commands_bind_their_ids_too(
    program: Program, store: Store
) -> None:
    employer = sample_employer("E3", at=START)
    assert employer == program.register_employer(employer, DEPARTMENT, command_id="reg-E3")
    assert employer == program.register_employer(employer, DEPARTMENT, command_id="reg-E3")
    cycle = program.set_appropriation(1, "200000.00", DIRECTOR, command_id="app-1")
    assert cycle == program.set_appropriation(1, "200000.00", DIRECTOR, command_id="app-1")
    root = program.seal(DEPARTMENT, command_id="seal-1")
    assert root == program.seal(DEPARTMENT, command_id="seal-1")
    before = _count(store)
    with pytest.raises(IdempotencyKeyReused):
        program.set_appropriation(1, "300000.00", DIRECTOR, command_id="app-1")
    with pytest.raises(IdempotencyKeyReused):
        program.seal(DEPARTMENT, command_id="reg-E3")
    assert before == _count(store)


def test_a_selection_retried_with_its_id_returns_the_first_selection(
    program: Program, store: Store
) -> None:
    first = program.select_awards(1, DIRECTOR, command_id="select-1")
    before = _count(store)
    assert first == program.select_awards(1, DIRECTOR, command_id="select-1")
    assert before == _count(store)


# -- a clock behind the log ------------------------------------------------------------


def test_an_acceptance_by_a_clock_behind_its_stream_is_a_clock_error(
    program: Program, store: Store, clock: ManualClock
) -> None:
    program.approve("G1", "25000.00", DIRECTOR)
    program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=clock.now())
    clock.advance(days=19)
    program.record_technical_assistance("G1", DEPARTMENT, description="visit")
    slow = Program(store, clock=ManualClock(START.add(days=10)))
    before = _count(store)
    with pytest.raises(ClockError, match="stream G1 already holds version 4"):
        slow.accept("G1", E1)
    assert before == _count(store)


def test_a_seal_before_what_the_log_holds_is_a_clock_error(
    program: Program, store: Store, clock: ManualClock
) -> None:
    clock.advance(days=3)
    program.seal(DEPARTMENT)
    before = _count(store)
    behind = Program(store, clock=ManualClock(START.add(days=1)))
    with pytest.raises(ClockError, match="the last seal"):
        behind.review("G1", DEPARTMENT)
    with pytest.raises(ClockError):
        behind.seal(DEPARTMENT)
    assert before == _count(store)


def test_employer_and_cycle_streams_refuse_a_slow_clock(
    program: Program, store: Store, clock: ManualClock
) -> None:
    clock.advance(days=2)
    program.update_employer(sample_employer("E1", at=START), DEPARTMENT)
    program.set_appropriation(1, "150000.00", DIRECTOR)
    behind = Program(store, clock=ManualClock(START.add(days=1)))
    before = _count(store)
    with pytest.raises(ClockError, match="employer:E1"):
        behind.update_employer(sample_employer("E1", at=START), DEPARTMENT)
    with pytest.raises(ClockError, match="cycle:1"):
        behind.set_appropriation(1, "160000.00", DIRECTOR)
    assert before == _count(store)


# -- refused attempts ------------------------------------------------------------------


def test_a_refused_attempt_that_cannot_be_recorded_says_so(
    program: Program, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = UnitOfWork._execute

    def failing(self: UnitOfWork, tx: object, spec: object, *args: object, **kw: object) -> object:
        if getattr(spec, "name", "") == "record_refusal":
            raise ConcurrencyConflict(reason="the security stream is busy")
        return real(self, tx, spec, *args, **kw)  # type: ignore[arg-type]  # the same arguments

    monkeypatch.setattr(UnitOfWork, "_execute", failing)
    with pytest.raises(
        NotPermitted, match="the attempt could not be logged: the security stream is busy"
    ):
        program.approve("G1", "25000.00", E1)


# -- may and allowed ---------------------------------------------------------------------


def test_may_judges_any_command_without_writing(program: Program, store: Store) -> None:
    before = _count(store)
    assert () == program.may(OpenCycle(2, Decimal("100000.00"), START.add(years=2)), DIRECTOR)
    refused = program.may(OpenCycle(1, Decimal("100000.00"), START), DIRECTOR)
    assert ["cycle 1 is already open"] == [p.reason for p in refused]
    assert ["role employer may not open_cycle"] == [
        p.reason for p in program.may(OpenCycle(2, Decimal("1.00"), START.add(years=2)), E1)
    ]
    assert before == _count(store)


def test_allowed_tells_a_ui_what_an_actor_may_do_with_a_grant_now(program: Program) -> None:
    mine = program.allowed(E1, "G1")
    assert () == mine["withdraw"] == mine["amend"]
    assert ["the grant is applied; accept needs approved"] == [p.reason for p in mine["accept"]]
    assert ["role employer may not approve"] == [p.reason for p in mine["approve"]]
    theirs = program.allowed(E2, "G1")
    assert ["employer E2 may not act on another employer's grant"] == [
        p.reason for p in theirs["withdraw"]
    ]
    director = program.allowed(DIRECTOR)
    assert () == director["open_cycle"]
    assert "apply" in program.allowed(E1)
    assert "withdraw" not in program.allowed(E1)


# -- what the review of the unit of work found -------------------------------------------


def test_an_apply_retried_without_a_grant_id_names_the_same_grant(
    program: Program, store: Store
) -> None:
    first = program.apply(sample_application("E2", at=START), E2, command_id="apply-E2")
    before = _count(store)
    assert first == program.apply(sample_application("E2", at=START), E2, command_id="apply-E2")
    assert before == _count(store)


@pytest.mark.parametrize("stream", ["security", "cycle:1", "employer:E1", "program", "seal"])
def test_a_grant_command_on_a_stream_of_another_kind_is_refused_and_writes_nothing(
    program: Program, store: Store, stream: str
) -> None:
    before = _count(store)
    with pytest.raises(InvalidInput, match="is not the id of a grant stream"):
        program.run(Apply(stream, sample_application("E1", at=START)), E1)
    assert before == _count(store)


@pytest.mark.parametrize("command_id", ["", "a#b", "forfeit:G1:1", "refused:x", "x" * 201])
def test_a_command_id_in_the_librarys_own_namespace_is_refused(
    program: Program, command_id: str
) -> None:
    with pytest.raises(InvalidInput, match="command id"):
        program.review("G1", DEPARTMENT, command_id=command_id)


def test_an_amendment_retried_with_more_changes_is_refused(program: Program, store: Store) -> None:
    application = program.application("G1")
    amended = attrs.evolve(application, amount_requested=application.amount_requested + 1000)
    program.amend("G1", amended, E1, reason="budget", command_id="amend-1")
    assert program.grant("G1") == program.amend(
        "G1", amended, E1, reason="budget", command_id="amend-1"
    )
    more = attrs.evolve(amended, amount_requested=amended.amount_requested + 1000)
    before = _count(store)
    with pytest.raises(IdempotencyKeyReused):
        program.amend("G1", more, E1, reason="budget", command_id="amend-1")
    assert before == _count(store)


def test_another_employer_is_not_told_what_a_reused_id_was_first_used_for(program: Program) -> None:
    with pytest.raises(IdempotencyKeyReused) as refused:
        program.withdraw("G1", E2, command_id="apply-G1")
    assert "another command" == refused.value.first_use
    with pytest.raises(IdempotencyKeyReused, match="Applied of G1"):
        program.review("G1", DEPARTMENT, command_id="apply-G1")


def test_a_seal_by_a_clock_behind_any_event_it_covers_is_a_clock_error(
    program: Program, store: Store, clock: ManualClock
) -> None:
    clock.advance(days=5)
    program.review("G1", DEPARTMENT)
    before = _count(store)
    with pytest.raises(ClockError, match="which the seal would cover"):
        Program(store, clock=ManualClock(START.add(days=1))).seal(DEPARTMENT)
    assert before == _count(store)


# -- ids: what an integrator passes ----------------------------------------------------------


@pytest.mark.parametrize("gid", ["", "G 2/../x\n", "-G", "G/1", "é1", "x" * 101, "seal", "cycle:3"])
def test_a_grant_id_that_cannot_name_a_stream_is_refused_and_writes_nothing(
    program: Program, store: Store, gid: str
) -> None:
    before = _count(store)
    with pytest.raises(InvalidInput) as info:
        program.apply(sample_application("E2", at=START), E2, grant_id=gid)
    assert ["grant_id"] == [p.field for p in info.value.problems]
    assert "1-100 letters, digits" in str(info.value)
    assert before == _count(store)


def test_an_employer_id_that_cannot_name_a_stream_is_refused(
    program: Program, store: Store
) -> None:
    before = _count(store)
    with pytest.raises(InvalidInput) as info:
        program.register_employer(sample_employer("E 3/..", at=START), DEPARTMENT)
    assert ["employer.id"] == [p.field for p in info.value.problems]
    assert before == _count(store)


@pytest.mark.parametrize("applicant", ["E1", "E2"])
def test_a_grant_id_that_exists_is_an_input_to_change_not_a_security_event(
    program: Program, store: Store, applicant: str
) -> None:
    before = _count(store)
    actor = E1 if applicant == "E1" else E2
    with pytest.raises(InvalidInput) as info:
        program.apply(sample_application(applicant, at=START), actor, grant_id="G1")
    assert ["grant id 'G1' exists"] == [p.reason for p in info.value.problems]
    assert before == _count(store)  # no AccessRefused either


def test_the_id_rules_hold_for_commands_run_directly_too(program: Program, store: Store) -> None:
    from choice_workflow.commands import RegisterEmployer

    before = _count(store)
    with pytest.raises(InvalidInput, match="is not usable"):
        program.run(Apply("", sample_application("E2", at=START)), E2)
    with pytest.raises(InvalidInput, match="is not usable"):
        program.run(RegisterEmployer(sample_employer("E 1/../x\n", at=START)), DEPARTMENT)
    assert before == _count(store)
