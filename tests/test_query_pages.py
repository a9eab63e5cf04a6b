"""Queries an integrator pages through: grants by state, employer and cycle with keyset
pagination, a stream's events and the whole log by position, due dates as instants."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pendulum
import pytest

from choice_workflow import InvalidInput, Program, Rules, State
from choice_workflow.simulate import simulate
from choice_workflow.store.base import Store
from choice_workflow.store.sql import SqlStore
from choice_workflow.time import (
    final_report_deadline,
    final_report_due,
    task_force_report_deadline,
    task_force_report_due,
)


@pytest.fixture(name="program")
def fixture_program(every_store: Store) -> Program:
    return simulate(6, store=every_store)


def test_grants_filter_by_state_employer_and_cycle_together(program: Program) -> None:
    everything = program.grants()
    assert len({g.cycle for g in everything}) == 2
    some = everything[len(everything) // 2]
    for state in (None, State.ACCEPTED, State.APPLIED, some.state):
        for cycle in (None, 1, 2):
            for employer in (None, some.employer_id):
                expected = [
                    g for g in everything
                    if (state is None or g.state is state) and (cycle is None or g.cycle == cycle)
                    and (employer is None or g.employer_id == employer)
                ]  # fmt: skip
                found = program.grants(state, employer_id=employer, cycle=cycle)
                assert [g.id for g in expected] == [g.id for g in found]
    assert [some.id] == [
        g.id for g in program.grants(some.state, employer_id=some.employer_id) if g.id == some.id
    ]


@pytest.mark.parametrize("size", [1, 3, 7])
def test_keyset_pages_of_grants_add_up_to_the_whole(program: Program, size: int) -> None:
    for cycle in (None, 2):
        pages, after = [], None
        while page := program.grants(cycle=cycle, after=after, limit=size):
            assert len(page) <= size
            pages.append(page)
            after = page[-1].id
        assert [g.id for g in program.grants(cycle=cycle)] == [g.id for p in pages for g in p]
        assert all(len(p) == size for p in pages[:-1])


def test_a_streams_events_and_the_log_page_by_version_and_position(program: Program) -> None:
    grant = max(program.grants(), key=lambda g: len(program.events(g.id)))
    stream = program.events(grant.id)
    assert stream[2:4] == program.events(grant.id, after=stream[1].version, limit=2)
    assert [] == program.events(grant.id, after=stream[-1].version)
    log, after = [], 0
    while page := program.log(after, limit=97):
        log += page
        after = page[-1].position
    assert [s.position for s in program.store.stored_events()] == [s.position for s in log]
    assert [s.record for s in program.store.stored_events()] == [s.record for s in log]


@pytest.mark.parametrize(
    ("call", "field"),
    [(lambda p: p.grants(limit=0), "limit"), (lambda p: p.grants(limit=10_001), "limit"),
     (lambda p: p.grants(cycle=0), "cycle"), (lambda p: p.grants(cycle="1"), "cycle"),
     (lambda p: p.grants("approved"), "state"), (lambda p: p.grants(after=3), "after"),
     (lambda p: p.grants(employer_id=7), "employer_id"), (lambda p: p.events("program", after=-1), "after"),
     (lambda p: p.log(limit=True), "limit"), (lambda p: p.log(after=1.5), "after")],
)  # fmt: skip
def test_a_query_refuses_a_filter_or_page_it_cannot_use(call: object, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        call(Program())  # type: ignore[operator]
    assert [field] == [p.field for p in refused.value.problems]


def test_a_page_of_one_cycles_grants_is_an_index_range(tmp_path: Path) -> None:
    db = tmp_path / "grants.sqlite"
    SqlStore(f"sqlite:///{db}").dispose()
    plans = {}
    with sqlite3.connect(db) as connection:
        for name, where in (("cycle", "cycle = 1 AND id > 'G'"), ("employer", "employer_id = 'E'")):
            rows = connection.execute(
                f"EXPLAIN QUERY PLAN SELECT * FROM grants WHERE {where} ORDER BY id LIMIT 10"
            )
            plans[name] = " ".join(str(r[-1]) for r in rows)
    assert "ix_grants_cycle" in plans["cycle"]
    assert "ix_grants_employer_id" in plans["employer"]


def test_the_reports_due_dates_as_instants_end_with_the_due_day_in_chicago() -> None:
    rules = Rules()
    assert pendulum.date(2031, 7, 1) == final_report_due(rules)
    deadline = final_report_deadline(rules)
    assert pendulum.datetime(2031, 7, 2, tz="America/Chicago") == deadline
    assert "UTC" == deadline.timezone_name
    assert pendulum.datetime(2031, 1, 2, tz="America/Chicago") == task_force_report_deadline(
        1, rules
    )
    assert (
        task_force_report_due(2, rules)
        == task_force_report_deadline(2, rules)
        .in_timezone("America/Chicago")
        .subtract(days=1)
        .date()
    )


def test_what_an_integrator_needs_is_exported_from_its_package() -> None:
    import choice_workflow
    from choice_workflow import events, time

    for name in ("Subscription", "PositionFile", "StoredEvent"):
        assert name in choice_workflow.__all__
    for name in ("merkle_root", "TreeHead", "InclusionProof", "ConsistencyProof"):
        assert name in events.__all__
    for name in ("final_report_deadline", "task_force_report_deadline"):
        assert name in time.__all__
