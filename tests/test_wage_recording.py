"""Wages, headcounts and work performance recorded on a grant; the computed evaluation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pendulum
import pytest

from choice_workflow import (
    Actor,
    ManualClock,
    NotPermitted,
    Program,
    Role,
    State,
    TransitionRefused,
)
from choice_workflow.audit import verify
from choice_workflow.domain import Headcount, PerformanceRecord, WageRecord
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.sql import SqlStore

DEPARTMENT = Actor("dol", Role.DEPARTMENT)
DIRECTOR = Actor("director", Role.DIRECTOR)
EVALUATOR = Actor("evaluator", Role.EVALUATOR)
AUDITOR = Actor("auditor", Role.AUDITOR)
E1 = Actor("e1", Role.EMPLOYER, employer_id="E1")
E2 = Actor("e2", Role.EMPLOYER, employer_id="E2")


def wages(day: dt.date, hourly: str, n: int = 12) -> list[WageRecord]:
    return [
        WageRecord(
            employee_id=f"P{i:02d}", paid_on=day, hourly=Decimal(hourly), has_disability=True,
            baseline_14c=Decimal("6.50"),
        )
        for i in range(n)
    ]  # fmt: skip


def performance(n: int = 12) -> list[PerformanceRecord]:
    return [
        PerformanceRecord(
            period_start=dt.date(2031, 4, 1), period_end=dt.date(2031, 6, 30), employee_id=f"P{i:02d}",
            task_durations=[dt.timedelta(minutes=30 + i)], mental_health_breaks=[dt.timedelta(minutes=10)],
            physical_health_breaks=[dt.timedelta(minutes=5)],
        )
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture(name="program")
def fixture_program(tmp_path: Path) -> Program:
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    program = Program(SqlStore(f"sqlite:///{tmp_path / 'w.sqlite'}"), clock=clock)
    program.open_cycle(1, DIRECTOR, appropriation="100000.00")
    for eid, actor in (("E1", E1), ("E2", E2)):
        program.register_employer(sample_employer(eid, at=clock.now()), DEPARTMENT)
        program.apply(sample_application(eid, at=clock.now()), actor, grant_id=f"G-{eid}")
        program.approve(f"G-{eid}", "25000.00", DIRECTOR)
        program.confirm_notice(f"G-{eid}", DEPARTMENT, channel="email", confirmed_at=clock.now())
        program.accept(f"G-{eid}", actor)
    program.record_wages("G-E1", E1, wages(dt.date(2030, 6, 30), "6.50"))
    program.record_headcount(
        "G-E1",
        E1,
        Headcount(
            quarter_start=dt.date(2030, 4, 1),
            employees=40,
            employees_with_disability=12,
            at_or_above_minimum=0,
        ),
    )
    program.begin_transition("G-E1", E1, started_at=clock.now())
    return program


def later(program: Program, days: int) -> None:
    clock = program.clock
    assert isinstance(clock, ManualClock)
    clock.advance(days=days)


@pytest.mark.cite("15(l)")
def test_a_wage_of_9_dollars_on_2031_06_01_is_below_the_70_percent_floor(program: Program) -> None:
    later(program, 340)  # 2031-06-06
    program.record_wages("G-E1", E1, wages(dt.date(2031, 6, 1), "9.00", n=1))
    findings = [f for f in program.wage_findings("G-E1") if "15(l)" in f.cites]
    assert 1 == len(findings)
    assert Decimal("10.50") == findings[0].floor


@pytest.mark.cite("20(a)(1)")
def test_records_dated_after_today_are_refused(program: Program) -> None:
    with pytest.raises(TransitionRefused) as refused:
        program.record_wages("G-E1", E1, wages(dt.date(2030, 7, 2), "15.00", n=1))
    assert ("20(a)(1)",) == refused.value.cites
    with pytest.raises(TransitionRefused, match="nothing to record"):
        program.record_wages("G-E1", E1, [])


@pytest.mark.cite("20(a)(1)")
def test_an_employer_records_wages_for_its_own_grant_only(program: Program) -> None:
    with pytest.raises(NotPermitted):
        program.record_wages("G-E1", E2, wages(dt.date(2030, 6, 30), "15.00", n=1))
    with pytest.raises(NotPermitted):
        program.record_wages("G-E1", DEPARTMENT, wages(dt.date(2030, 6, 30), "15.00", n=1))
    with pytest.raises(NotPermitted):
        program.record_performance("G-E1", E1, performance())


@pytest.mark.cite("15(c)")
@pytest.mark.parametrize("actor", [AUDITOR, DEPARTMENT, E1, DIRECTOR], ids=lambda a: a.role.value)
def test_only_the_evaluator_reads_break_durations(program: Program, actor: Actor) -> None:
    later(program, 400)
    program.record_performance("G-E1", EVALUATOR, performance())
    with pytest.raises(NotPermitted, match="health data"):
        program.break_data("G-E1", actor)
    assert "read_break_data" == program.events("security")[-1].payload["command"]
    assert 12 == len(program.break_data("G-E1", EVALUATOR))


@pytest.mark.cite("20(a)(1)", "20(a)(2)")
def test_the_evaluation_is_computed_from_the_audit_trail(program: Program) -> None:
    later(program, 400)
    program.record_wages("G-E1", E1, wages(dt.date(2031, 7, 1), "15.00"))
    program.record_headcount(
        "G-E1",
        E1,
        Headcount(
            quarter_start=dt.date(2031, 7, 1),
            employees=41,
            employees_with_disability=12,
            at_or_above_minimum=12,
        ),
    )
    program.record_performance("G-E1", EVALUATOR, performance())
    grant = program.evaluate("G-E1", EVALUATOR)
    assert State.EVALUATED == grant.state
    evaluation = program.events("G-E1")[-1].payload["evaluation"]
    assert ("6.50", "15.00", 12) == (
        evaluation["wages"]["before"]["median"],
        evaluation["wages"]["after"]["median"],
        evaluation["wages"]["moved_to_minimum"],
    )
    kinds = [a["kind"] for a in evaluation["actions"]]
    assert "began the transition" in kinds
    assert "reported wages" in kinds
    assert evaluation["performance"] is not None
    assert () == verify(program.store).findings
