"""The Program: every transition of the table and every refusal, with their cites."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import attrs
import pendulum
import pytest
from freezegun import freeze_time

from choice_workflow import (
    Actor,
    AwardCounts,
    InvalidInput,
    ManualClock,
    NotPermitted,
    Program,
    Role,
    Rules,
    State,
    SystemClock,
    TransitionRefused,
    UnknownEmployer,
    UnknownGrant,
    WindowStart,
)
from choice_workflow.domain.employer import CertificateStatus, CrpFunding
from choice_workflow.domain.grant import Grant
from choice_workflow.errors import RulesMismatch
from choice_workflow.events import EventType
from choice_workflow.projections.grants import fold as fold_grant
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store import MemoryStore

CHICAGO = "America/Chicago"
DEPARTMENT = Actor("dol-1", Role.DEPARTMENT)
DIRECTOR = Actor("director-1", Role.DIRECTOR)
EVALUATOR = Actor("eval-1", Role.EVALUATOR)
AUDITOR = Actor("audit-1", Role.AUDITOR)
E1 = Actor("e1-user", Role.EMPLOYER, employer_id="E1")
E2 = Actor("e2-user", Role.EMPLOYER, employer_id="E2")


def chicago(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=CHICAGO)  # type: ignore[arg-type, misc]  # year, month, day, ...


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    return ManualClock(chicago(2030, 7, 1, 9))


@pytest.fixture(name="program")
def fixture_program(clock: ManualClock) -> Program:
    program = Program(clock=clock)
    for eid in ("E1", "E2"):
        program.register_employer(sample_employer(eid, at=clock.now()), DEPARTMENT)
    funded(program)
    return program


def funded(program: Program, *cycles: int) -> Program:
    """Open cycle 1 (and any others given) with more than enough funds."""
    for number in cycles or (1,):
        program.open_cycle(number, DIRECTOR, appropriation="10000000.00")
    return program


def applied(program: Program, gid: str = "G1", employer: Actor = E1, cycle: int = 1) -> Grant:
    assert employer.employer_id is not None
    app = sample_application(employer.employer_id, at=program.clock.now())
    return program.apply(app, employer, grant_id=gid, cycle=cycle)


def approved(program: Program, gid: str = "G1", employer: Actor = E1) -> Grant:
    applied(program, gid, employer)
    return program.approve(gid, "25000.00", DIRECTOR)


def noticed(program: Program, gid: str = "G1", employer: Actor = E1) -> Grant:
    approved(program, gid, employer)
    return program.confirm_notice(
        gid, DEPARTMENT, channel="email", confirmed_at=program.clock.now()
    )


def accepted(program: Program, gid: str = "G1", employer: Actor = E1) -> Grant:
    noticed(program, gid, employer)
    return program.accept(gid, employer)


def transitioning(program: Program, gid: str = "G1", employer: Actor = E1) -> Grant:
    accepted(program, gid, employer)
    return program.begin_transition(gid, employer, started_at=program.clock.now())


def cites_of(exc: pytest.ExceptionInfo[TransitionRefused]) -> set[str]:
    return {c for p in exc.value.problems for c in p.cites}


# -- full lifecycles -----------------------------------------------------------------


def run_full_lifecycle(program: Program, advance: Callable[[dt.timedelta], object]) -> Grant:
    applied(program)
    program.review("G1", DEPARTMENT, notes="complete")
    program.approve("G1", Decimal("40000.00"), DIRECTOR)
    advance(dt.timedelta(hours=3))
    program.confirm_notice(
        "G1", DEPARTMENT, channel="address_of_record", confirmed_at=program.clock.now()
    )
    advance(dt.timedelta(hours=20))
    program.accept("G1", E1)
    advance(dt.timedelta(days=2))
    program.begin_transition("G1", E1, started_at=program.clock.now().subtract(hours=1))
    program.record_technical_assistance("G1", DEPARTMENT, description="Job coach training")
    advance(dt.timedelta(days=3 * 365))
    return program.evaluate("G1", EVALUATOR, evaluation={"wages": "up", "compliance": "met"})


@pytest.mark.cite("15(b)")
@pytest.mark.cite("15(j)")
@pytest.mark.cite("20(a)(1)")
def test_a_grant_runs_from_application_in_2030_to_evaluation_in_2033(
    program: Program, clock: ManualClock
) -> None:
    grant = run_full_lifecycle(program, lambda d: clock.advance(d))
    events = program.events("G1")
    expected = [
        EventType.APPLIED, EventType.REVIEWED, EventType.APPROVED, EventType.NOTICE_CONFIRMED,
        EventType.ACCEPTED, EventType.TRANSITION_BEGUN, EventType.TECHNICAL_ASSISTANCE,
        EventType.EVALUATED,
    ]  # fmt: skip
    assert expected == [e.type for e in events]
    assert State.EVALUATED == grant.state
    assert 2033 == events[-1].occurred_at.in_timezone(CHICAGO).year
    assert grant.ended_at is None  # evaluated waits for its close-out
    assert grant == fold_grant(events)
    assert grant == program.grant("G1")
    assert list(range(1, 9)) == [e.version for e in events]


@pytest.mark.cite("15(j)")
def test_the_same_lifecycle_runs_under_freezegun_on_the_system_clock() -> None:
    with freeze_time("2030-07-01T14:00:00Z") as frozen:
        program = Program(clock=SystemClock())
        program.register_employer(sample_employer("E1", at=program.clock.now()), DEPARTMENT)
        funded(program)
        grant = run_full_lifecycle(program, lambda d: frozen.tick(d))
        assert State.EVALUATED == grant.state
        assert pendulum.datetime(2030, 7, 1, 14, tz="UTC") == program.grant("G1").applied_at


@pytest.mark.cite("99")
def test_the_first_event_records_the_rules_in_force_and_their_fingerprint(
    clock: ManualClock,
) -> None:
    rules = attrs.evolve(Rules.illinois(), award_counts=AwardCounts.ACCEPTED)
    store = MemoryStore()
    Program(store, clock=clock, rules=rules)
    first = next(store.all_events())
    assert EventType.PROGRAM_STARTED == first.type
    assert rules.fingerprint == first.payload["fingerprint"]
    assert rules == Program(store, clock=clock).rules
    with pytest.raises(RulesMismatch, match="the log records Rules"):
        Program(store, clock=clock, rules=Rules.illinois())


# -- 15(a): the first award date ---------------------------------------------------


@pytest.mark.cite("15(a)")
def test_an_approval_one_second_before_july_1_2030_in_chicago_is_refused() -> None:
    clock = ManualClock(chicago(2030, 6, 30, 9))
    program = Program(clock=clock)
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    funded(program)
    applied(program)
    clock.move_to(chicago(2030, 6, 30, 23, 59, 59))
    with pytest.raises(TransitionRefused) as refused:
        program.approve("G1", "25000.00", DIRECTOR)
    assert {"15(a)"} == cites_of(refused)
    clock.move_to(chicago(2030, 7, 1, 0, 0, 0))
    assert State.APPROVED == program.approve("G1", "25000.00", DIRECTOR).state


# -- 15(h): amounts ------------------------------------------------------------------


@pytest.mark.cite("15(h)")
@pytest.mark.parametrize(
    ("amount", "allowed"),
    [("9999.99", False), ("10000.00", True), ("50000.00", True), ("50000.01", False)],
)
def test_approved_amounts_are_bounded_by_10000_and_50000_dollars(
    program: Program, amount: str, allowed: bool
) -> None:
    applied(program)
    if allowed:
        assert Decimal(amount) == program.approve("G1", amount, DIRECTOR).amount
    else:
        with pytest.raises(TransitionRefused) as refused:
            program.approve("G1", amount, DIRECTOR)
        assert {"15(h)"} == cites_of(refused)
        assert State.APPLIED == program.grant("G1").state


@pytest.mark.cite("15(h)")
def test_a_float_amount_is_refused_with_a_hint_to_use_decimal(program: Program) -> None:
    applied(program)
    with pytest.raises(InvalidInput, match="float") as bad:
        program.approve("G1", 25000.0, DIRECTOR)  # type: ignore[arg-type]  # the point of the test
    assert "Decimal" in bad.value.hint
    assert ("15(h)",) == bad.value.problems[0].cites


@pytest.mark.cite("15(a)")
@pytest.mark.cite("15(h)")
def test_a_refusal_lists_every_failed_guard_not_just_the_first() -> None:
    clock = ManualClock(chicago(2030, 6, 1, 9))
    program = Program(clock=clock)
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    funded(program)
    applied(program)
    with pytest.raises(TransitionRefused) as refused:
        program.approve("G1", "60000.00", DIRECTOR)
    assert {"15(a)", "15(h)"} == cites_of(refused)
    assert 2 == len(refused.value.problems)
    assert refused.value.problems == program.may_approve("G1", "60000.00", DIRECTOR)


# -- 15(f): cycles -------------------------------------------------------------------


@pytest.mark.cite("15(f)")
def test_a_cycle_2_approval_waits_until_cycle_1_opening_plus_2_years(
    program: Program, clock: ManualClock
) -> None:
    program.open_cycle(2, DIRECTOR, appropriation="500000.00")  # announced for 2032-07-01
    applied(program, "G2", E2, cycle=2)
    clock.move_to(chicago(2032, 6, 30, 23, 59, 59))
    with pytest.raises(TransitionRefused) as refused:
        program.approve("G2", "25000.00", DIRECTOR)
    assert {"15(f)"} == cites_of(refused)
    clock.move_to(chicago(2032, 7, 1))
    assert State.APPROVED == program.approve("G2", "25000.00", DIRECTOR).state


@pytest.mark.cite("15(f)")
def test_cycle_2_cannot_open_before_cycle_1_opening_plus_2_years(program: Program) -> None:
    with pytest.raises(TransitionRefused) as refused:
        program.open_cycle(
            2, DIRECTOR, appropriation="1.00", opens_at=chicago(2032, 6, 30, 23, 59, 59)
        )
    assert {"15(f)"} == cites_of(refused)
    opened = program.open_cycle(2, DIRECTOR, appropriation="1.00", opens_at=chicago(2032, 7, 1))
    assert chicago(2032, 7, 1) == opened.opens_at


@pytest.mark.cite("15(f)")
def test_there_is_no_third_cycle(program: Program) -> None:
    with pytest.raises(TransitionRefused) as refused:
        applied(program, cycle=3)
    assert {"15(f)"} == cites_of(refused)
    with pytest.raises(InvalidInput, match="2 grant cycles"):
        program.open_cycle(3, DIRECTOR, appropriation="1.00")


# -- 15(g), 10(3): one grant per employer --------------------------------------------


@pytest.mark.cite("15(g)", "10(3)")
def test_an_employer_once_approved_is_not_awarded_again_by_default(program: Program) -> None:
    approved(program, "G1")
    program.decline("G1", E1, reason="not now")
    applied(program, "G2")
    with pytest.raises(TransitionRefused) as refused:
        program.approve("G2", "25000.00", DIRECTOR)
    assert {"15(g)", "10(3)"} == cites_of(refused)
    assert ("15(g)", "10(3)") == refused.value.problems[0].cites


@pytest.mark.cite("15(g)", "10(3)")
def test_under_the_accepted_reading_a_declined_approval_does_not_count(clock: ManualClock) -> None:
    rules = attrs.evolve(Rules.illinois(), award_counts=AwardCounts.ACCEPTED)
    program = Program(clock=clock, rules=rules)
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    funded(program)
    approved(program, "G1")
    program.decline("G1", E1)
    applied(program, "G2")
    assert State.APPROVED == program.approve("G2", "25000.00", DIRECTOR).state
    program.confirm_notice("G2", DEPARTMENT, channel="email", confirmed_at=clock.now())
    program.accept("G2", E1)
    applied(program, "G3")
    with pytest.raises(TransitionRefused) as refused:
        program.approve("G3", "25000.00", DIRECTOR)
    assert {"15(g)", "10(3)"} == cites_of(refused)


# -- 10: eligibility at the instant of approval -----------------------------------


@pytest.mark.cite("10(2)")
def test_an_employer_funded_as_a_crp_at_approval_is_refused(
    program: Program, clock: ManualClock
) -> None:
    applied(program)
    today = clock.now().in_timezone(CHICAGO).date()
    funded = attrs.evolve(program.employer("E1"), crp_funding=(CrpFunding(start=today),))
    program.update_employer(funded, DEPARTMENT)
    with pytest.raises(TransitionRefused) as refused:
        program.approve("G1", "25000.00", DIRECTOR)
    assert "10(2)" in cites_of(refused)


@pytest.mark.cite("10(1)")
def test_an_expired_certificate_at_approval_is_refused(program: Program) -> None:
    applied(program)
    employer = program.employer("E1")
    assert employer.certificate is not None
    lapsed = attrs.evolve(
        employer,
        certificate=attrs.evolve(employer.certificate, status=CertificateStatus.EXPIRED),
    )
    program.update_employer(lapsed, DEPARTMENT)
    with pytest.raises(TransitionRefused) as refused:
        program.approve("G1", "25000.00", DIRECTOR)
    assert "10(1)" in cites_of(refused)


@pytest.mark.cite("15(b)")
@pytest.mark.cite("15(b)(11)")
def test_an_incomplete_application_is_refused_with_one_problem_per_item(program: Program) -> None:
    app = sample_application("E1", at=program.clock.now())
    broken = attrs.evolve(
        app,
        assurances=attrs.evolve(app.assurances, accurate_and_truthful=False),
        coordination="",
    )
    with pytest.raises(TransitionRefused) as refused:
        program.apply(broken, E1, grant_id="G1")
    assert {"15(b)(11)", "15(b)(10)"} <= cites_of(refused)
    with pytest.raises(UnknownGrant):
        program.grant("G1")


def test_an_unregistered_employer_cannot_apply(program: Program) -> None:
    stranger = Actor("x", Role.EMPLOYER, employer_id="E9")
    with pytest.raises(UnknownEmployer):
        program.apply(sample_application("E9", at=program.clock.now()), stranger, grant_id="G9")


# -- 15(j): the 48-hour window ----------------------------------------------------


@pytest.mark.cite("15(j)")
@pytest.mark.parametrize(
    ("confirmed", "deadline"),
    [
        (chicago(2030, 11, 2, 12), "2030-11-04T11:00:00-06:00"),
        (chicago(2031, 3, 8, 18), "2031-03-10T19:00:00-05:00"),
    ],
    ids=["fall-back", "spring-forward"],
)
def test_acceptance_at_exactly_accept_by_succeeds_across_dst(
    confirmed: pendulum.DateTime, deadline: str
) -> None:
    clock = ManualClock(confirmed.subtract(hours=2))
    program = Program(clock=clock)
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    funded(program)
    approved(program)
    clock.move_to(confirmed)
    grant = program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=confirmed)
    assert deadline == grant.accept_by.in_timezone(CHICAGO).isoformat()  # type: ignore[union-attr]  # confirmed
    clock.move_to(grant.accept_by)  # type: ignore[arg-type]  # confirmed
    assert () == program.may_accept("G1", E1)
    assert State.ACCEPTED == program.accept("G1", E1).state


@pytest.mark.cite("15(j)")
@pytest.mark.parametrize("confirmed", [chicago(2030, 11, 2, 12), chicago(2031, 3, 8, 18)])
def test_acceptance_one_microsecond_late_is_refused_even_without_a_sweep(
    confirmed: pendulum.DateTime,
) -> None:
    clock = ManualClock(confirmed.subtract(hours=2))
    program = Program(clock=clock)
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    funded(program)
    approved(program)
    clock.move_to(confirmed)
    grant = program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=confirmed)
    clock.move_to(grant.accept_by.add(microseconds=1))  # type: ignore[union-attr]  # confirmed
    with pytest.raises(TransitionRefused) as refused:
        program.accept("G1", E1)
    assert {"15(j)"} == cites_of(refused)
    assert State.APPROVED == program.grant("G1").state


@pytest.mark.cite("15(j)")
def test_the_window_can_start_at_the_approval_by_setting(clock: ManualClock) -> None:
    rules = attrs.evolve(Rules.illinois(), acceptance_window_starts=WindowStart.APPROVAL)
    program = Program(clock=clock, rules=rules)
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    funded(program)
    grant = approved(program)
    assert clock.now().add(hours=48) == grant.accept_by
    clock.advance(hours=10)
    noticed_grant = program.confirm_notice(
        "G1", DEPARTMENT, channel="email", confirmed_at=clock.now()
    )
    assert grant.accept_by == noticed_grant.accept_by


@pytest.mark.cite("15(j)")
def test_an_approval_may_be_accepted_before_its_notice_is_confirmed(program: Program) -> None:
    approved(program)
    assert State.ACCEPTED == program.accept("G1", E1).state


@pytest.mark.cite("15(j)")
def test_the_sweep_forfeits_lapsed_approvals_once_and_only_those(
    program: Program, clock: ManualClock
) -> None:
    noticed(program, "G1", E1)
    clock.advance(hours=24)
    noticed(program, "G2", E2)
    clock.advance(hours=24, microseconds=1)
    assert ["G1"] == [g.id for g in program.sweep()]
    assert [] == program.sweep()
    assert State.FORFEITED == program.grant("G1").state
    assert State.APPROVED == program.grant("G2").state
    assert 1 == sum(e.type == EventType.FORFEITED for e in program.events("G1"))
    with pytest.raises(TransitionRefused) as refused:
        program.accept("G1", E1)
    assert {"15(j)"} == cites_of(refused)


@pytest.mark.cite("15(j)")
def test_forfeit_is_refused_while_the_window_is_open(program: Program) -> None:
    noticed(program)
    problems = program.may_forfeit("G1")
    assert ["15(j)"] == [c for p in problems for c in p.cites]


@pytest.mark.cite("15(j)")
def test_deadlines_due_lists_open_windows_soonest_first(
    program: Program, clock: ManualClock
) -> None:
    noticed(program, "G2", E2)
    clock.advance(hours=1)
    noticed(program, "G1", E1)
    due = program.deadlines_due(clock.now().add(days=3))
    assert ["G2", "G1"] == [g.id for g, _ in due]
    assert [g.accept_by for g, _ in due] == [d for _, d in due]
    assert [] == program.deadlines_due(clock.now())


# -- 15(i): the notice and the transition's start ------------------------------------


@pytest.mark.cite("15(i)")
def test_a_notice_confirmation_is_checked_for_channel_time_and_repetition(
    program: Program, clock: ManualClock
) -> None:
    approved(program)
    with pytest.raises(TransitionRefused, match="unknown notice channel"):
        program.confirm_notice("G1", DEPARTMENT, channel="fax", confirmed_at=clock.now())
    with pytest.raises(TransitionRefused, match="in the future"):
        program.confirm_notice(
            "G1", DEPARTMENT, channel="email", confirmed_at=clock.now().add(seconds=1)
        )
    with pytest.raises(TransitionRefused, match="precedes the approval"):
        program.confirm_notice(
            "G1", DEPARTMENT, channel="email", confirmed_at=clock.now().subtract(seconds=1)
        )
    with pytest.raises(InvalidInput, match="time zone"):
        program.confirm_notice(
            "G1",
            DEPARTMENT,
            channel="email",
            confirmed_at=dt.datetime(2030, 7, 1, 9),  # noqa: DTZ001 - naive on purpose
        )
    program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=clock.now())
    with pytest.raises(TransitionRefused) as refused:
        program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=clock.now())
    assert {"15(j)", "15(i)"} == cites_of(refused)


@pytest.mark.cite("15(i)")
@pytest.mark.parametrize(
    ("before", "allowed"),
    [(dt.timedelta(hours=48), True), (dt.timedelta(hours=48, microseconds=1), False)],
)
def test_a_transition_may_start_up_to_48_hours_before_the_confirmed_notice(
    program: Program, clock: ManualClock, before: dt.timedelta, allowed: bool
) -> None:
    grant = accepted(program)
    assert grant.notice_confirmed_at is not None
    start = grant.notice_confirmed_at.subtract(microseconds=before // dt.timedelta(microseconds=1))
    if allowed:
        assert State.TRANSITIONING == program.begin_transition("G1", E1, started_at=start).state
    else:
        with pytest.raises(TransitionRefused) as refused:
            program.begin_transition("G1", E1, started_at=start)
        assert {"15(i)"} == cites_of(refused)


@pytest.mark.cite("15(i)")
def test_a_transition_needs_a_confirmed_notice_and_a_start_not_in_the_future(
    program: Program, clock: ManualClock
) -> None:
    approved(program)
    program.accept("G1", E1)
    with pytest.raises(TransitionRefused, match="not been confirmed"):
        program.begin_transition("G1", E1, started_at=clock.now())
    program2 = program
    applied(program2, "G2", E2)
    program2.approve("G2", "20000.00", DIRECTOR)
    program2.confirm_notice("G2", DEPARTMENT, channel="email", confirmed_at=clock.now())
    program2.accept("G2", E2)
    with pytest.raises(TransitionRefused, match="in the future"):
        program2.begin_transition("G2", E2, started_at=clock.now().add(minutes=1))


# -- the other transitions -------------------------------------------------------


@pytest.mark.cite("20(a)(1)", "20(a)(2)")
def test_evaluation_comes_only_after_transitioning(program: Program) -> None:
    accepted(program)
    with pytest.raises(TransitionRefused) as refused:
        program.evaluate("G1", EVALUATOR, evaluation={"wages": "up"})
    assert {"20(a)(1)", "20(a)(2)"} == cites_of(refused)
    program.begin_transition("G1", E1, started_at=program.clock.now())
    with pytest.raises(TransitionRefused, match="needs its findings"):
        program.evaluate("G1", EVALUATOR, evaluation={})
    with pytest.raises(InvalidInput, match="plain JSON"):
        program.evaluate("G1", EVALUATOR, evaluation={"amount": Decimal("1.00")})
    assert State.EVALUATED == program.evaluate("G1", EVALUATOR, evaluation={"wages": "up"}).state


@pytest.mark.cite("15(b)(11)")
@pytest.mark.parametrize("stage", [accepted, transitioning])
def test_the_director_terminates_an_accepted_or_transitioning_grant_with_a_reason(
    program: Program, stage: Callable[[Program], Grant]
) -> None:
    stage(program)
    with pytest.raises(TransitionRefused, match="documented reason"):
        program.terminate("G1", DIRECTOR, reason=" ")
    assert State.TERMINATED == program.terminate("G1", DIRECTOR, reason="false assurance").state


@pytest.mark.cite("15(j)")
@pytest.mark.parametrize("stage", [applied, approved])
def test_an_employer_withdraws_an_application_or_an_approval(
    program: Program, stage: Callable[[Program], Grant]
) -> None:
    stage(program)
    assert State.WITHDRAWN == program.withdraw("G1", E1, reason="merger").state


def test_an_accepted_grant_cannot_be_withdrawn(program: Program) -> None:
    accepted(program)
    with pytest.raises(
        TransitionRefused, match="the grant is accepted; withdraw needs applied, approved"
    ):
        program.withdraw("G1", E1)


@pytest.mark.cite('10 "Eligible employer"')
def test_the_department_denies_an_application_with_its_reason(program: Program) -> None:
    applied(program)
    with pytest.raises(TransitionRefused, match="documented reason"):
        program.deny("G1", DEPARTMENT, reason="")
    assert State.DENIED == program.deny("G1", DEPARTMENT, reason="not a 14(c) holder").state


@pytest.mark.cite("90")
def test_technical_assistance_needs_a_description_and_keeps_the_state(program: Program) -> None:
    accepted(program)
    with pytest.raises(TransitionRefused) as refused:
        program.record_technical_assistance("G1", DEPARTMENT, description="")
    assert {"90"} == cites_of(refused)
    grant = program.record_technical_assistance("G1", DEPARTMENT, description="Benefits counseling")
    assert State.ACCEPTED == grant.state
    assert 5 == grant.version


@pytest.mark.parametrize(
    "final",
    [
        lambda p: p.deny("G1", DEPARTMENT, reason="incomplete"),
        lambda p: p.withdraw("G1", E1),
    ],
)
def test_a_final_state_never_changes(program: Program, final: Callable[[Program], Grant]) -> None:
    applied(program)
    before = final(program)
    attempts: list[Callable[[], Grant]] = [
        lambda: program.approve("G1", "25000.00", DIRECTOR),
        lambda: program.review("G1", DEPARTMENT),
        lambda: program.withdraw("G1", E1),
        lambda: program.accept("G1", E1),
    ]
    for attempt in attempts:
        with pytest.raises(TransitionRefused, match="a final state"):
            attempt()
    assert before == program.grant("G1")


# -- roles and the audit of refused attempts ------------------------------------------


@pytest.mark.parametrize(
    ("command", "actor"),
    [
        (lambda p: p.approve("G1", "25000.00", DEPARTMENT), DEPARTMENT),
        (lambda p: p.approve("G1", "25000.00", E1), E1),
        (lambda p: p.approve("G1", "25000.00", AUDITOR), AUDITOR),
        (lambda p: p.review("G1", DIRECTOR), DIRECTOR),
        (lambda p: p.withdraw("G1", E2), E2),
        (lambda p: p.deny("G1", EVALUATOR, reason="x"), EVALUATOR),
        (lambda p: p.withdraw("G1", DEPARTMENT), DEPARTMENT),
    ],
)
def test_a_refused_actor_gets_not_permitted_and_the_attempt_is_logged(
    program: Program, command: Callable[[Program], Grant], actor: Actor
) -> None:
    applied(program)
    before = program.grant("G1")
    with pytest.raises(NotPermitted):
        command(program)
    assert before == program.grant("G1")
    refused = program.events("security")
    assert [EventType.ACCESS_REFUSED] == [e.type for e in refused]
    assert actor.id == refused[0].actor_id
    assert "G1" == refused[0].payload["target"]


def test_may_reports_a_refused_role_without_raising_or_logging(program: Program) -> None:
    applied(program)
    problems = program.may_approve("G1", "25000.00", E1)
    assert 1 == len(problems)
    assert "may not approve" in problems[0].reason
    assert [] == program.events("security")


def test_registering_employers_is_for_the_department_or_director(
    program: Program, clock: ManualClock
) -> None:
    with pytest.raises(NotPermitted):
        program.register_employer(sample_employer("E3", at=clock.now()), E1)
    with pytest.raises(InvalidInput, match="already registered"):
        program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)


# -- idempotency --------------------------------------------------------------------


def test_a_retried_command_returns_its_first_result_and_writes_nothing(
    program: Program, clock: ManualClock
) -> None:
    noticed(program)
    first = program.accept("G1", E1, command_id="accept-G1-1")
    clock.advance(hours=1)
    program.record_technical_assistance("G1", DEPARTMENT, description="Visit")
    again = program.accept("G1", E1, command_id="accept-G1-1")
    assert first == again
    assert 1 == sum(e.type == EventType.ACCEPTED for e in program.events("G1"))


def test_unknown_grants_are_a_typed_error(program: Program) -> None:
    with pytest.raises(UnknownGrant):
        program.accept("nope", E1)
    with pytest.raises(UnknownGrant):
        program.may_accept("nope", E1)
    with pytest.raises(InvalidInput, match="not usable"):
        program.apply(sample_application("E1", at=program.clock.now()), E1, grant_id="employer:E1")
