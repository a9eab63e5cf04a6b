"""Amendments and corrections: a recorded fact is changed by a new event that references
it, with the actor and the reason; nothing is edited and both events stay in the log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from choice_workflow import (
    Actor,
    InvalidInput,
    ManualClock,
    NotPermitted,
    Program,
    Role,
    State,
    TransitionRefused,
)
from choice_workflow.audit import Item, Kind, verify
from choice_workflow.domain.performance import PerformanceRecord
from choice_workflow.domain.wages import Headcount, WageFindingKind, WageRecord
from choice_workflow.events import EventType, canonical_json
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.store.base import Store
from choice_workflow.store.sql import SqlStore
from choice_workflow.testing.scenarios import (
    START,
    Actors,
    approve_and_accept,
    register_and_apply,
)

GRANT = "G-E1"
CHICAGO = "America/Chicago"


@attrs.frozen
class Reporting:
    """A transitioning grant with one event of every correctable kind, and their versions."""

    program: Program
    clock: ManualClock
    versions: dict[str, int]
    """Event type -> the version of its (last) event in the grant's stream."""


def _today(clock: ManualClock) -> dt.date:
    return clock.now().in_timezone(CHICAGO).date()


def _wage(on: dt.date, hourly: str, employee: str = "w1") -> WageRecord:
    return WageRecord(
        employee_id=employee,
        paid_on=on,
        hourly=Decimal(hourly),
        has_disability=True,
        baseline_14c=Decimal("5.00"),
    )


def _performance(on: dt.date, minutes: int) -> PerformanceRecord:
    return PerformanceRecord(
        period_start=on - dt.timedelta(days=6),
        period_end=on,
        employee_id="w1",
        task_durations=(dt.timedelta(minutes=minutes),),
        mental_health_breaks=(dt.timedelta(minutes=5),),
        physical_health_breaks=(),
    )


def _reporting(store: Store | None = None, *, after_hourly: str = "7.00") -> Reporting:
    """E1 reviewed, approved, accepted; wages and counts before and after the transition
    (after: ``after_hourly``), technical assistance, performance and one instalment."""
    clock = ManualClock(START)
    program = Program(store, clock=clock)
    actors = Actors()
    employer = actors.employer("E1")
    register_and_apply(program, "E1")
    program.review(GRANT, actors.department, notes="complete")
    approve_and_accept(program, GRANT)
    program.record_wages(GRANT, employer, [_wage(_today(clock), "5.00")])
    program.record_headcount(
        GRANT, employer, Headcount(quarter_start=_today(clock), employees=60,
                                   employees_with_disability=40, at_or_above_minimum=0),
    )  # fmt: skip
    clock.advance(days=1)
    program.begin_transition(GRANT, employer, started_at=clock.now())
    program.record_technical_assistance(GRANT, actors.department, description="job coaching")
    program.disburse(GRANT, actors.department)
    clock.advance(days=14)
    program.record_wages(GRANT, employer, [_wage(_today(clock), after_hourly)])
    program.record_headcount(
        GRANT, employer, Headcount(quarter_start=_today(clock), employees=60,
                                   employees_with_disability=40, at_or_above_minimum=30),
    )  # fmt: skip
    program.record_performance(GRANT, actors.evaluator, [_performance(_today(clock), 30)])
    versions = {e.type: e.version for e in program.events(GRANT)}
    return Reporting(program, clock, versions)


@pytest.fixture(name="reporting")
def fixture_reporting() -> Reporting:
    return _reporting()


@pytest.fixture(name="actors")
def fixture_actors() -> Actors:
    return Actors()


def _refusal(raised: pytest.ExceptionInfo[TransitionRefused]) -> str:
    return " | ".join(f"{p.reason} => {p.hint}" for p in raised.value.problems)


# -- amendments (15(b)) ------------------------------------------------------------------


@pytest.mark.cite("15(b)")
def test_an_amendment_while_applied_records_the_changed_fields_and_the_reason(
    cw_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(cw_program, "E1")
    before = cw_program.application(GRANT)
    amended = attrs.evolve(
        before, amount_requested=Decimal("30000.00"), coordination="With DHS and the LWIB."
    )
    grant = cw_program.amend(GRANT, amended, cw_actors.employer("E1"), reason="wrong amount")
    events = cw_program.events(GRANT)
    assert [EventType.APPLIED, EventType.AMENDED] == [e.type for e in events]
    assert {
        "changes": {"amount_requested": "30000.00", "coordination": "With DHS and the LWIB."},
        "reason": "wrong amount",
    } == dict(events[1].payload)
    assert ("E1-user", "employer") == (events[1].actor_id, events[1].actor_role)
    assert "25000.00" == events[0].payload["application"]["amount_requested"]  # kept as it was
    assert amended == cw_program.application(GRANT)
    assert (State.APPLIED, Decimal("30000.00")) == (grant.state, grant.amount_requested)


@pytest.mark.cite("15(b)")
def test_an_amendment_after_approval_is_refused(cw_program: Program, cw_actors: Actors) -> None:
    register_and_apply(cw_program, "E1")
    cw_program.open_cycle(1, cw_actors.director, appropriation="100000.00")
    cw_program.approve(GRANT, "25000.00", cw_actors.director)
    count = len(cw_program.events(GRANT))
    amended = attrs.evolve(cw_program.application(GRANT), amount_requested=Decimal("30000.00"))
    with pytest.raises(TransitionRefused, match="approved"):
        cw_program.amend(GRANT, amended, cw_actors.employer("E1"), reason="more")
    assert count == len(cw_program.events(GRANT))
    assert Decimal("25000.00") == cw_program.application(GRANT).amount_requested


@pytest.mark.cite("15(b)")
@pytest.mark.parametrize("reason", ["", "   "])
def test_an_amendment_without_a_reason_is_refused(
    cw_program: Program, cw_actors: Actors, reason: str
) -> None:
    register_and_apply(cw_program, "E1")
    amended = attrs.evolve(cw_program.application(GRANT), amount_requested=Decimal("30000.00"))
    with pytest.raises(TransitionRefused) as refused:
        cw_program.amend(GRANT, amended, cw_actors.employer("E1"), reason=reason)
    assert [("reason", ("15(b)",))] == [(p.field, p.cites) for p in refused.value.problems]
    assert 1 == len(cw_program.events(GRANT))


@pytest.mark.cite("15(b)", "15(b)(1)")
def test_an_invalid_amendment_is_refused_and_nothing_is_written(
    cw_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(cw_program, "E1")
    before = cw_program.application(GRANT)
    # 41 employees under the certificate while every demographic breakdown sums to 40.
    invalid = attrs.evolve(before, employees_14c=41)
    with pytest.raises(TransitionRefused) as refused:
        cw_program.amend(GRANT, invalid, cw_actors.employer("E1"), reason="headcount")
    assert any(c.startswith("15(b)(1)") for p in refused.value.problems for c in p.cites)
    assert [EventType.APPLIED] == [e.type for e in cw_program.events(GRANT)]
    assert before == cw_program.application(GRANT)
    assert 1 == cw_program.grant(GRANT).version


@pytest.mark.cite("15(b)", "15(h)")
@pytest.mark.parametrize("amount", ["60000.00", "9999.99"])
def test_an_amendment_asking_for_an_amount_outside_the_bounds_is_refused(
    cw_program: Program, cw_actors: Actors, amount: str
) -> None:
    register_and_apply(cw_program, "E1")
    amended = attrs.evolve(cw_program.application(GRANT), amount_requested=Decimal(amount))
    with pytest.raises(TransitionRefused) as refused:
        cw_program.amend(GRANT, amended, cw_actors.employer("E1"), reason="budget")
    assert [("15(h)",)] == [p.cites for p in refused.value.problems]
    assert Decimal("25000.00") == cw_program.grant(GRANT).amount_requested


@pytest.mark.cite("15(b)")
def test_an_amendment_that_changes_nothing_is_refused(
    cw_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(cw_program, "E1")
    same = cw_program.application(GRANT)
    with pytest.raises(TransitionRefused, match="changes nothing"):
        cw_program.amend(GRANT, same, cw_actors.employer("E1"), reason="no change")
    assert 1 == len(cw_program.events(GRANT))


@pytest.mark.cite("15(b)")
def test_an_amendment_cannot_move_the_application_to_another_employer(
    cw_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(cw_program, "E1")
    register_and_apply(cw_program, "E2")
    moved = attrs.evolve(cw_program.application(GRANT), employer_id="E2")
    with pytest.raises(TransitionRefused, match="employer E2"):
        cw_program.amend(GRANT, moved, cw_actors.employer("E1"), reason="move")
    assert "E1" == cw_program.application(GRANT).employer_id


@pytest.mark.cite("15(b)")
def test_another_employer_may_not_amend_an_application(
    cw_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(cw_program, "E1")
    amended = attrs.evolve(cw_program.application(GRANT), amount_requested=Decimal("30000.00"))
    with pytest.raises(NotPermitted):
        cw_program.amend(GRANT, amended, cw_actors.employer("E2"), reason="not mine")
    assert 1 == len(cw_program.events(GRANT))


@pytest.mark.cite("15(b)", "15(h)")
def test_the_director_approves_against_the_amended_request(
    cw_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(cw_program, "E1", amount="12000.00")
    amended = attrs.evolve(cw_program.application(GRANT), amount_requested=Decimal("40000.00"))
    cw_program.amend(GRANT, amended, cw_actors.employer("E1"), reason="underestimated")
    cw_program.open_cycle(1, cw_actors.director, appropriation="50000.00")
    selection = cw_program.select_awards(1, cw_actors.director)
    assert [(GRANT, Decimal("40000.00"))] == [(p.grant_id, p.amount) for p in selection.proposals]


# -- corrections of each correctable kind (20(a)(1)) -----------------------------------


@pytest.mark.cite("20(a)(1)", "15(l)")
def test_the_employer_corrects_a_wage_report_and_both_events_stay(
    reporting: Reporting, actors: Actors
) -> None:
    program, version = reporting.program, reporting.versions[EventType.WAGES_RECORDED]
    day = _today(reporting.clock)
    grant = program.correct(
        GRANT, actors.employer("E1"), corrects=version, reason="keyed 7.00 for 15.00",
        wages=[_wage(day, "15.00")],
    )  # fmt: skip
    corrected = program.events(GRANT)[-1]
    assert (EventType.CORRECTED, grant.version) == (corrected.type, corrected.version)
    assert version == corrected.payload["corrects"]
    assert EventType.WAGES_RECORDED == corrected.payload["corrects_type"]
    assert "keyed 7.00 for 15.00" == corrected.payload["reason"]
    original = program.events(GRANT)[version - 1]
    assert "7.00" == original.payload["records"][0]["hourly"]  # never edited
    last = program.records(GRANT, EventType.WAGES_RECORDED)[-1]
    assert (version, True, "15.00") == (
        last.event.version,
        last.corrected,
        last.payload["records"][0]["hourly"],
    )
    assert [Decimal("5.00"), Decimal("15.00")] == [w.hourly for w in program.wage_records(GRANT)]
    [note] = program.corrections(GRANT)
    assert (corrected.version, version, ("records",), "E1-user") == (
        note.version,
        note.corrects,
        note.fields,
        note.actor_id,
    )


@pytest.mark.cite("20(a)(1)", "15(f)")
def test_a_correction_marks_a_wage_report_as_the_final_one(
    reporting: Reporting, actors: Actors
) -> None:
    program, version = reporting.program, reporting.versions[EventType.WAGES_RECORDED]
    assert program.grant(GRANT).final_wages_version is None
    program.correct(
        GRANT, actors.employer("E1"), corrects=version, reason="it was the last", final=True
    )
    assert version == program.grant(GRANT).final_wages_version
    assert program.records(GRANT, EventType.WAGES_RECORDED)[-1].payload["final"] is True
    with pytest.raises(TransitionRefused, match="not unmarked"):
        program.correct(
            GRANT, actors.employer("E1"), corrects=version, reason="it was not", final=False
        )
    assert version == program.grant(GRANT).final_wages_version


@pytest.mark.cite("20(a)(1)", "15(f)")
def test_the_latest_final_wage_report_counts_and_none_is_unmarked(
    cw_program: Program, cw_clock: ManualClock, cw_actors: Actors
) -> None:
    register_and_apply(cw_program, "E1")
    approve_and_accept(cw_program, GRANT)
    employer = cw_actors.employer("E1")
    first = cw_program.record_wages(
        GRANT, employer, [_wage(_today(cw_clock), "16.00")], final=True
    ).version
    assert first == cw_program.grant(GRANT).final_wages_version
    second = cw_program.record_wages(
        GRANT, employer, [_wage(_today(cw_clock), "16.00", "w2")], final=True
    ).version
    assert second == cw_program.grant(GRANT).final_wages_version
    before = len(cw_program.events(GRANT))
    with pytest.raises(TransitionRefused, match="not unmarked"):
        cw_program.correct(GRANT, employer, corrects=second, reason="not the last", final=False)
    assert before == len(cw_program.events(GRANT))
    assert second == cw_program.grant(GRANT).final_wages_version


@pytest.mark.cite("20(a)(1)")
def test_the_employer_corrects_a_headcount(reporting: Reporting, actors: Actors) -> None:
    program, version = reporting.program, reporting.versions[EventType.HEADCOUNT_RECORDED]
    fixed = Headcount(
        quarter_start=_today(reporting.clock), employees=61, employees_with_disability=41,
        at_or_above_minimum=35,
    )  # fmt: skip
    program.correct(
        GRANT, actors.employer("E1"), corrects=version, reason="late hire", headcount=fixed
    )
    record = program.records(GRANT, EventType.HEADCOUNT_RECORDED)[-1]
    assert record.corrected
    assert 35 == record.payload["headcount"]["at_or_above_minimum"]
    assert 30 == record.event.payload["headcount"]["at_or_above_minimum"]


@pytest.mark.cite("15(c)", "20(a)(1)")
def test_the_evaluator_corrects_a_performance_record(reporting: Reporting, actors: Actors) -> None:
    program, version = reporting.program, reporting.versions[EventType.PERFORMANCE_RECORDED]
    program.correct(
        GRANT, actors.evaluator, corrects=version, reason="minutes, not hours",
        performance=[_performance(_today(reporting.clock), 45)],
    )  # fmt: skip
    record = program.records(GRANT, EventType.PERFORMANCE_RECORDED)[-1]
    assert record.corrected
    assert record.payload["records"] != record.event.payload["records"]
    assert "minutes, not hours" == record.corrections[0].reason


@pytest.mark.cite("90", "20(a)(1)")
def test_the_department_corrects_a_technical_assistance_description(
    reporting: Reporting, actors: Actors
) -> None:
    program, version = reporting.program, reporting.versions[EventType.TECHNICAL_ASSISTANCE]
    program.correct(
        GRANT, actors.department, corrects=version, reason="more precise",
        description="job coaching and benefits counseling",
    )  # fmt: skip
    record = program.records(GRANT, EventType.TECHNICAL_ASSISTANCE)[-1]
    assert "job coaching and benefits counseling" == record.payload["description"]
    assert "job coaching" == record.event.payload["description"]


@pytest.mark.cite("15(b)", "20(a)(1)")
def test_the_department_corrects_the_notes_of_its_review(
    reporting: Reporting, actors: Actors
) -> None:
    program, version = reporting.program, reporting.versions[EventType.REVIEWED]
    program.correct(GRANT, actors.department, corrects=version, reason="typo", notes="complete.")
    record = program.records(GRANT, EventType.REVIEWED)[-1]
    assert ("complete.", "complete") == (record.payload["notes"], record.event.payload["notes"])


@pytest.mark.cite("20(a)(1)", "20(a)(2)")
def test_the_evaluator_corrects_an_evaluation_by_hand(reporting: Reporting, actors: Actors) -> None:
    program = reporting.program
    program.evaluate(GRANT, actors.evaluator, evaluation={"summary": "first"})
    version = program.grant(GRANT).version
    program.correct(
        GRANT, actors.evaluator, corrects=version, reason="wrong summary",
        evaluation={"summary": "second"},
    )  # fmt: skip
    evaluation = program.evaluation(GRANT)
    assert evaluation is not None
    assert (True, {"summary": "second"}) == (evaluation.corrected, evaluation.payload["evaluation"])
    assert {"summary": "first"} == evaluation.event.payload["evaluation"]
    assert State.EVALUATED == program.grant(GRANT).state


# -- corrections refused -------------------------------------------------------------


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize(
    ("event_type", "hint"),
    [
        (EventType.APPLIED, "Amend the application"),
        (EventType.APPROVED, "An approval's amount was acted on"),
        (EventType.DISBURSED, "A payment was made"),
        (EventType.NOTICE_CONFIRMED, "48-hour window"),
        (EventType.ACCEPTED, "An acceptance cannot be undone"),
    ],
)
def test_a_fact_acted_upon_is_not_corrected_and_the_refusal_says_what_to_do(
    reporting: Reporting, actors: Actors, event_type: str, hint: str
) -> None:
    program = reporting.program
    version = reporting.versions[event_type]
    count = len(program.events(GRANT))
    with pytest.raises(TransitionRefused) as refused:
        program.correct(GRANT, actors.department, corrects=version, reason="r", notes="x")
    [problem] = refused.value.problems
    assert problem.reason.startswith(f"version {version} is a {event_type}, which is not")
    assert "corrects" == problem.field
    assert hint in problem.hint
    assert count == len(program.events(GRANT))


@pytest.mark.cite("20(a)(1)")
def test_a_correction_is_not_itself_corrected(reporting: Reporting, actors: Actors) -> None:
    program, version = reporting.program, reporting.versions[EventType.REVIEWED]
    correction = program.correct(
        GRANT, actors.department, corrects=version, reason="typo", notes="complete."
    ).version
    with pytest.raises(TransitionRefused, match="Correct the original event again"):
        program.correct(GRANT, actors.department, corrects=correction, reason="r", notes="x")


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize(
    ("role", "event_type", "kwargs"),
    [
        (Role.EMPLOYER, EventType.REVIEWED, {"notes": "mine"}),
        (Role.DEPARTMENT, EventType.HEADCOUNT_RECORDED, {"final": True}),
        (Role.EVALUATOR, EventType.TECHNICAL_ASSISTANCE, {"description": "x"}),
        (Role.EMPLOYER, EventType.PERFORMANCE_RECORDED, {"final": True}),
    ],
)
def test_a_role_that_does_not_record_a_fact_may_not_correct_it(
    reporting: Reporting, role: Role, event_type: str, kwargs: dict[str, Any]
) -> None:
    program = reporting.program
    actor = Actor("someone", role, employer_id="E1" if role is Role.EMPLOYER else None)
    count = len(program.events(GRANT))
    refused_before = len(program.events("security"))
    with pytest.raises(NotPermitted) as refused:
        program.correct(GRANT, actor, corrects=reporting.versions[event_type], reason="r", **kwargs)
    assert f"role {role.value} does not record a {event_type}" in refused.value.reason
    assert count == len(program.events(GRANT))
    # A refused permission is logged to the security stream, as for every command.
    security = program.events("security")
    assert refused_before + 1 == len(security)
    assert ("correct", GRANT) == (security[-1].payload["command"], security[-1].payload["target"])


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.AUDITOR, Role.SYSTEM])
def test_a_role_that_records_no_correctable_fact_may_not_correct(
    reporting: Reporting, role: Role
) -> None:
    program = reporting.program
    version = reporting.versions[EventType.REVIEWED]
    with pytest.raises(NotPermitted):
        program.correct(GRANT, Actor("x", role), corrects=version, reason="r", notes="x")
    assert 0 == len(program.corrections(GRANT))


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize("version", [0, 99, -1])
def test_a_correction_of_a_version_that_does_not_exist_is_refused(
    reporting: Reporting, actors: Actors, version: int
) -> None:
    program = reporting.program
    with pytest.raises(TransitionRefused) as refused:
        program.correct(GRANT, actors.department, corrects=version, reason="r", notes="x")
    assert f"has no event at version {version}" in _refusal(refused)
    assert 0 == len(program.corrections(GRANT))


@pytest.mark.cite("20(a)(1)")
def test_an_employer_may_not_correct_another_employers_grant(
    reporting: Reporting, actors: Actors
) -> None:
    program = reporting.program
    version = reporting.versions[EventType.WAGES_RECORDED]
    with pytest.raises(NotPermitted, match="another employer"):
        program.correct(
            GRANT, actors.employer("E2"), corrects=version, reason="r",
            wages=[_wage(_today(reporting.clock), "15.00")],
        )  # fmt: skip
    assert 0 == len(program.corrections(GRANT))
    refused = program.events("security")[-1]
    assert ("correct", "E2-user") == (refused.payload["command"], refused.actor_id)


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize("reason", ["", "  "])
def test_a_correction_without_a_reason_is_refused(
    reporting: Reporting, actors: Actors, reason: str
) -> None:
    program = reporting.program
    version = reporting.versions[EventType.REVIEWED]
    with pytest.raises(TransitionRefused) as refused:
        program.correct(GRANT, actors.department, corrects=version, reason=reason, notes="x")
    assert ["reason"] == [p.field for p in refused.value.problems]


@pytest.mark.cite("20(a)(1)")
def test_a_correction_replaces_only_the_fields_of_the_corrected_kind(
    reporting: Reporting, actors: Actors
) -> None:
    program = reporting.program
    version = reporting.versions[EventType.HEADCOUNT_RECORDED]
    with pytest.raises(TransitionRefused, match="replaces headcount, not notes"):
        program.correct(GRANT, actors.employer("E1"), corrects=version, reason="r", notes="x")
    with pytest.raises(TransitionRefused, match="nothing was given"):
        program.correct(GRANT, actors.employer("E1"), corrects=version, reason="r")
    assert 0 == len(program.corrections(GRANT))


@pytest.mark.cite("20(a)(1)", "15(c)")
def test_a_wage_report_is_not_corrected_with_performance_records(
    reporting: Reporting, actors: Actors
) -> None:
    # wages= and performance= both become the replacement's "records": a wage report
    # must not take performance records (nor the employer write break data, 15(c)).
    program = reporting.program
    version = reporting.versions[EventType.WAGES_RECORDED]
    wages = program.wage_records(GRANT)
    with pytest.raises(TransitionRefused):
        program.correct(
            GRANT, actors.employer("E1"), corrects=version, reason="wrong kind",
            performance=[_performance(_today(reporting.clock), 10)],
        )  # fmt: skip
    assert wages == program.wage_records(GRANT)


@pytest.mark.cite("20(a)(1)")
def test_a_corrected_record_is_not_dated_in_the_future(
    reporting: Reporting, actors: Actors
) -> None:
    program = reporting.program
    version = reporting.versions[EventType.WAGES_RECORDED]
    tomorrow = _today(reporting.clock) + dt.timedelta(days=1)
    with pytest.raises(TransitionRefused, match="after today"):
        program.correct(
            GRANT, actors.employer("E1"), corrects=version, reason="r",
            wages=[_wage(tomorrow, "15.00")],
        )  # fmt: skip


# -- a corrected wage changes the evaluation (20(a)(1), 15(l)) -------------------------


def _evaluated_wages(program: Program) -> dict[str, Any]:
    evaluation = program.evaluation(GRANT)
    assert evaluation is not None
    wages: dict[str, Any] = evaluation.payload["evaluation"]["wages"]
    return wages


@pytest.mark.cite("20(a)(1)", "15(l)")
def test_an_evaluation_computed_after_a_wage_correction_differs_from_one_without_it(
    actors: Actors,
) -> None:
    plain, corrected = _reporting(), _reporting()
    version = corrected.versions[EventType.WAGES_RECORDED]
    corrected.program.correct(
        GRANT, actors.employer("E1"), corrects=version, reason="keyed wrong",
        wages=[_wage(_today(corrected.clock), "15.00")],
    )  # fmt: skip
    for reporting in (plain, corrected):
        reporting.program.evaluate(GRANT, actors.evaluator)
    without, with_ = _evaluated_wages(plain.program), _evaluated_wages(corrected.program)
    assert ("7.00", 0) == (without["after"]["mean"], without["after"]["at_or_above_minimum"])
    assert ("15.00", 1) == (with_["after"]["mean"], with_["after"]["at_or_above_minimum"])
    assert without["before"] == with_["before"]
    types = [e.type for e in corrected.program.events(GRANT)]
    assert 2 == types.count(EventType.WAGES_RECORDED)
    assert 1 == types.count(EventType.CORRECTED)


@pytest.mark.cite("20(a)(1)", "15(l)", "15(a)(1)")
def test_reevaluate_corrects_the_evaluation_from_the_corrected_wages(
    reporting: Reporting, actors: Actors
) -> None:
    program = reporting.program
    program.evaluate(GRANT, actors.evaluator)
    evaluated = program.grant(GRANT).version
    assert [WageFindingKind.BELOW_FEDERAL_MINIMUM] == [f.kind for f in program.wage_findings(GRANT)]
    version = reporting.versions[EventType.WAGES_RECORDED]
    program.correct(
        GRANT, actors.employer("E1"), corrects=version, reason="keyed wrong",
        wages=[_wage(_today(reporting.clock), "15.00")],
    )  # fmt: skip
    assert () == program.wage_findings(GRANT)
    stale = program.evaluation(GRANT)
    assert stale is not None
    assert (False, "7.00") == (stale.corrected, _evaluated_wages(program)["after"]["mean"])

    program.reevaluate(GRANT, actors.evaluator, reason="wages corrected")
    fresh = program.evaluation(GRANT)
    assert fresh is not None
    assert (evaluated, True) == (fresh.event.version, fresh.corrected)
    assert ("15.00", 1) == (
        _evaluated_wages(program)["after"]["mean"],
        _evaluated_wages(program)["after"]["at_or_above_minimum"],
    )
    assert "7.00" == fresh.event.payload["evaluation"]["wages"]["after"]["mean"]
    last = program.events(GRANT)[-1]
    assert (EventType.CORRECTED, EventType.EVALUATED, evaluated, "evaluator") == (
        last.type,
        last.payload["corrects_type"],
        last.payload["corrects"],
        last.actor_role,
    )
    assert State.EVALUATED == program.grant(GRANT).state


@pytest.mark.cite("20(a)(1)")
def test_reevaluate_needs_an_evaluation_and_the_evaluator(
    reporting: Reporting, actors: Actors
) -> None:
    program = reporting.program
    with pytest.raises(TransitionRefused, match="no evaluation to correct"):
        program.reevaluate(GRANT, actors.evaluator, reason="r")
    program.evaluate(GRANT, actors.evaluator)
    with pytest.raises(NotPermitted, match="only the evaluator"):
        program.reevaluate(GRANT, actors.department, reason="r")
    with pytest.raises(TransitionRefused):
        program.reevaluate(GRANT, actors.evaluator, reason=" ")
    assert 0 == len(program.corrections(GRANT))


@pytest.mark.cite("20(a)(1)")
def test_a_correction_input_of_the_wrong_type_is_invalid_input(
    reporting: Reporting, actors: Actors
) -> None:
    program = reporting.program
    version = reporting.versions[EventType.WAGES_RECORDED]
    with pytest.raises(InvalidInput):
        program.correct(
            GRANT, actors.employer("E1"), corrects=version, reason="r",
            wages=[{"hourly": "15.00"}],  # type: ignore[list-item]  # a dict, on purpose
        )  # fmt: skip


# -- verify: corrections are listed, not findings; forged ones are found --------------


def _amended_and_corrected(store: Store) -> Program:
    reporting = _reporting(store)
    program, actors = reporting.program, Actors()
    register_and_apply(program, "E2", grant_id="G-E2")
    amended = attrs.evolve(program.application("G-E2"), amount_requested=Decimal("20000.00"))
    program.amend("G-E2", amended, actors.employer("E2"), reason="smaller budget")
    program.approve("G-E2", "20000.00", actors.director)
    program.correct(
        GRANT, actors.employer("E1"), corrects=reporting.versions[EventType.WAGES_RECORDED],
        reason="keyed wrong", wages=[_wage(_today(reporting.clock), "15.00")],
    )  # fmt: skip
    program.correct(
        GRANT, actors.department, corrects=reporting.versions[EventType.REVIEWED],
        reason="typo", notes="complete.",
    )  # fmt: skip
    program.evaluate(GRANT, actors.evaluator)
    program.reevaluate(GRANT, actors.evaluator, reason="wages corrected")
    return program


@pytest.fixture(name="sqlite_store")
def fixture_sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'corrections.sqlite'}")
    yield store
    store.dispose()


@pytest.mark.cite("20(a)(1)", "15(b)")
def test_verify_lists_amendments_and_corrections_and_finds_nothing(sqlite_store: SqlStore) -> None:
    program = _amended_and_corrected(sqlite_store)
    report = verify(sqlite_store)
    assert () == report.findings
    versions = {e.type: e.version for e in program.events(GRANT)}
    assert [
        ("G-E2", EventType.AMENDED, None, ("amount_requested",), "E2-user", "smaller budget"),
        (
            GRANT,
            EventType.CORRECTED,
            versions[EventType.WAGES_RECORDED],
            ("records",),
            "E1-user",
            "keyed wrong",
        ),
        (GRANT, EventType.CORRECTED, versions[EventType.REVIEWED], ("notes",), "dol", "typo"),
        (
            GRANT,
            EventType.CORRECTED,
            versions[EventType.EVALUATED],
            ("evaluation",),
            "evaluator",
            "wages corrected",
        ),
    ] == [
        (c.stream_id, c.kind, c.corrects, c.fields, c.actor_id, c.reason)
        for c in report.corrections
    ]
    assert program.grant(GRANT) == report.grants[GRANT]
    assert Decimal("20000.00") == report.grants["G-E2"].amount_requested


def _items(store: Store) -> list[Item]:
    return [Item(s.position, s.record, s.prev_hash, s.hash) for s in store.stored_events()]


def _forged(items: list[Item], stream_id: str, version: int, change: dict[str, Any]) -> list[Item]:
    """Change one event's payload and recompute its stream's chain (an insider's forgery)."""
    out, prev = [], GENESIS
    for item in items:
        record: dict[str, Any] = json.loads(item.record)
        if record["stream_id"] != stream_id:
            out.append(item)
            continue
        if record["version"] == version:
            record["payload"].update(change)
            item = attrs.evolve(item, record=canonical_json(record))
        digest = link(prev, item.record)
        out.append(attrs.evolve(item, prev_hash=prev, hash=digest))
        prev = digest
    return out


def _guard_findings(items: list[Item]) -> list[tuple[Kind, str, int, str]]:
    return [
        (f.kind, f.stream_id, f.version, f.message)
        for f in verify(items).findings
        if f.kind is not Kind.PROJECTION_MISMATCH
    ]


def _correction_version(program: Program, corrects_type: str) -> int:
    return next(
        e.version
        for e in program.events(GRANT)
        if e.type == EventType.CORRECTED and e.payload["corrects_type"] == corrects_type
    )


@pytest.mark.cite("20(a)(1)")
def test_verify_finds_a_correction_of_a_version_that_does_not_exist(
    sqlite_store: SqlStore,
) -> None:
    program = _amended_and_corrected(sqlite_store)
    items = _items(sqlite_store)
    assert [] == _guard_findings(items)  # the chain is recomputed the way verify reads it
    at = _correction_version(program, EventType.REVIEWED)
    findings = _guard_findings(_forged(items, GRANT, at, {"corrects": 99}))
    assert findings
    assert {(Kind.GUARD_FAILED, GRANT, at)} == {f[:3] for f in findings}
    assert any("version 99" in f[3] for f in findings)


@pytest.mark.cite("20(a)(1)")
def test_verify_finds_a_correction_that_lies_about_the_type_it_corrects(
    sqlite_store: SqlStore,
) -> None:
    program = _amended_and_corrected(sqlite_store)
    items = _items(sqlite_store)
    at = _correction_version(program, EventType.REVIEWED)
    lie = {"corrects_type": EventType.TECHNICAL_ASSISTANCE}
    findings = _guard_findings(_forged(items, GRANT, at, lie))
    assert (Kind.GUARD_FAILED, GRANT, at) in {f[:3] for f in findings}
    assert any("says it corrects a TechnicalAssistanceRecorded" in f[3] for f in findings)
    # A wage correction said to be of a headcount is found too (its records do not fit).
    at = _correction_version(program, EventType.WAGES_RECORDED)
    lie = {"corrects_type": EventType.HEADCOUNT_RECORDED}
    assert at in {f[2] for f in _guard_findings(_forged(items, GRANT, at, lie))}


@pytest.mark.cite("20(a)(1)")
def test_verify_finds_a_correction_by_a_role_that_does_not_record_the_fact(
    sqlite_store: SqlStore,
) -> None:
    program = _amended_and_corrected(sqlite_store)
    at = _correction_version(program, EventType.WAGES_RECORDED)
    items = _items(sqlite_store)
    index = next(
        i for i, item in enumerate(items)
        if (json.loads(item.record)["stream_id"], json.loads(item.record)["version"]) == (GRANT, at)
    )  # fmt: skip
    record = json.loads(items[index].record)
    record["actor_role"] = "evaluator"
    items[index] = attrs.evolve(items[index], record=canonical_json(record))
    findings = _guard_findings(_forged(items, GRANT, -1, {}))
    assert any(
        k is Kind.NOT_PERMITTED and v == at and "role evaluator does not record" in m
        for k, _, v, m in findings
    )


@pytest.mark.cite("15(i)")
def test_verify_finds_a_notice_sent_elsewhere_or_with_a_false_digest(
    sqlite_store: SqlStore,
) -> None:
    program = _amended_and_corrected(sqlite_store)
    program.send_notice("G-E2", Actors().department, channel="email")
    items = _items(sqlite_store)
    sent = program.events("G-E2")[-1]
    assert [] == _guard_findings(items)
    for change, words in (
        ({"to": "someone@elsewhere.example"}, "the notice went to 'someone@elsewhere.example'"),
        ({"sha256": "0" * 64}, "digest is not that of the notice"),
    ):
        findings = _guard_findings(_forged(items, "G-E2", sent.version, change))
        assert [(Kind.GUARD_FAILED, "G-E2", sent.version)] == [f[:3] for f in findings]
        assert words in findings[0][3]


@pytest.mark.cite("15(b)")
def test_verify_reports_an_amendment_it_cannot_read(sqlite_store: SqlStore) -> None:
    program = _amended_and_corrected(sqlite_store)
    at = next(e.version for e in program.events("G-E2") if e.type == EventType.AMENDED)
    items = _forged(_items(sqlite_store), "G-E2", at, {"changes": ["not", "a", "mapping"]})
    report = verify(items)  # no exception: a finding
    assert any(f.kind is Kind.MALFORMED and f.version == at for f in report.findings)


@pytest.mark.cite("20(a)(1)", "15(b)")
def test_reports_use_corrected_records_and_mark_each_correction(sqlite_store: SqlStore) -> None:
    from choice_workflow.reports import final_report, render
    from choice_workflow.reports.data import program_data
    from choice_workflow.reports.source import read_program_log
    from choice_workflow.reports.trajectories import wage_records

    program = _amended_and_corrected(sqlite_store)
    log = read_program_log(sqlite_store, as_of=program.clock.now())
    as_keyed = [
        Decimal(r["hourly"])
        for e in program.events(GRANT) if e.type == EventType.WAGES_RECORDED
        for r in e.payload["records"]
    ]  # fmt: skip
    shown = [w.hourly for w in wage_records(log, GRANT)]
    assert shown == [w.hourly for w in program.wage_records(GRANT)]
    assert shown != as_keyed
    assert Decimal("15.00") in shown
    assert Decimal("20000.00") == log.applications["G-E2"].amount_requested
    data = program_data(program)
    assert {
        ("G-E2", "application", ("amount_requested",), "smaller budget"),
        (GRANT, EventType.WAGES_RECORDED, ("records",), "keyed wrong"),
        (GRANT, EventType.REVIEWED, ("notes",), "typo"),
        (GRANT, EventType.EVALUATED, ("evaluation",), "wages corrected"),
    } == {(c.grant_id, c.kind, c.fields, c.reason) for c in data.corrections}
    assert sorted(c.corrects for c in program.corrections(GRANT)) == sorted(
        c.corrects for c in data.corrections if c.corrects is not None
    )
    markdown = render(final_report(program), "md")
    assert "Corrected records" in markdown
    assert "keyed wrong" in markdown
    assert f"{GRANT} (corrected)" in markdown  # its evaluation was corrected
