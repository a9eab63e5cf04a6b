"""Section 15(c): standard level work performance, aggregated, and who reads breaks."""

from __future__ import annotations

import datetime as dt
import json

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from choice_workflow.domain.actors import Role
from choice_workflow.domain.performance import (
    BreakData,
    DurationStats,
    PerformanceRecord,
    aggregate_performance,
    read_break_data,
    seconds_text,
)
from choice_workflow.errors import InvalidInput, NotPermitted

Q1 = (dt.date(2031, 1, 1), dt.date(2031, 3, 31))
Q2 = (dt.date(2031, 4, 1), dt.date(2031, 6, 30))


def minutes(*values: int) -> tuple[dt.timedelta, ...]:
    return tuple(dt.timedelta(minutes=m) for m in values)


def record(
    employee_id: str,
    period: tuple[dt.date, dt.date] = Q1,
    *,
    tasks: tuple[dt.timedelta, ...] = (),
    mental: tuple[dt.timedelta, ...] = (),
    physical: tuple[dt.timedelta, ...] = (),
) -> PerformanceRecord:
    return PerformanceRecord(
        period_start=period[0],
        period_end=period[1],
        employee_id=employee_id,
        task_durations=tasks,
        mental_health_breaks=mental,
        physical_health_breaks=physical,
    )


@pytest.fixture(name="records")
def fixture_records() -> list[PerformanceRecord]:
    return [
        record("emp-a", tasks=minutes(30, 50), mental=minutes(10), physical=minutes(5, 15)),
        record("emp-b", tasks=minutes(40), mental=minutes(20, 30), physical=()),
        record("emp-c", Q2, tasks=minutes(25), mental=(), physical=minutes(12)),
    ]


@pytest.mark.cite("15(c)")
def test_performance_is_aggregated_per_period_with_count_total_and_median(
    records: list[PerformanceRecord],
) -> None:
    first, second = aggregate_performance(records).periods

    assert (Q1[0], Q1[1], 2) == (first.period_start, first.period_end, first.employees)
    assert (
        DurationStats(count=3, total=dt.timedelta(minutes=120), median=dt.timedelta(minutes=40))
        == first.tasks
    )
    assert (
        DurationStats(count=3, total=dt.timedelta(minutes=60), median=dt.timedelta(minutes=20))
        == first.mental_health_breaks
    )
    assert (
        DurationStats(count=2, total=dt.timedelta(minutes=20), median=dt.timedelta(minutes=10))
        == first.physical_health_breaks
    )
    assert (Q2[0], 1) == (second.period_start, second.employees)
    assert DurationStats(count=0, total=dt.timedelta(0), median=None) == (
        second.mental_health_breaks
    )


@pytest.mark.cite("15(c)")
def test_the_summary_names_no_one(records: list[PerformanceRecord]) -> None:
    text = json.dumps(aggregate_performance(records).to_data())

    assert not any(r.employee_id in text for r in records)


@pytest.mark.cite("15(c)")
def test_several_records_of_one_employee_in_one_period_count_one_employee() -> None:
    (period,) = aggregate_performance(
        [record("emp-a", tasks=minutes(10)), record("emp-a", tasks=minutes(20))]
    ).periods

    assert period.tasks is not None
    assert (1, 2) == (period.employees, period.tasks.count)


@pytest.mark.cite("15(c)")
def test_pendulum_durations_and_timedeltas_mix() -> None:
    (period,) = aggregate_performance(
        [
            record(
                "emp-a",
                tasks=(pendulum.duration(hours=1), dt.timedelta(minutes=30)),
                mental=(pendulum.duration(weeks=1, microseconds=1),),
            )
        ]
    ).periods

    assert period.tasks is not None
    assert dt.timedelta(minutes=90) == period.tasks.total
    assert dt.timedelta(minutes=45) == period.tasks.median
    assert period.mental_health_breaks is not None
    assert dt.timedelta(days=7, microseconds=1) == period.mental_health_breaks.total


@pytest.mark.cite("15(c)")
def test_no_records_give_no_periods() -> None:
    assert () == aggregate_performance([]).periods


@pytest.mark.cite("15(c)")
def test_durations_turn_into_exact_seconds() -> None:
    assert "5400" == seconds_text(dt.timedelta(hours=1, minutes=30))
    assert "0.000001" == seconds_text(dt.timedelta(microseconds=1))
    assert "90.5" == seconds_text(dt.timedelta(seconds=90, milliseconds=500))
    assert "-1" == seconds_text(dt.timedelta(seconds=-1))


# -- who reads break data -------------------------------------------------------------


@pytest.mark.cite("15(c)")
@pytest.mark.parametrize("role", [Role.EVALUATOR, "evaluator"])
def test_the_evaluator_reads_break_durations(
    records: list[PerformanceRecord], role: Role | str
) -> None:
    data = read_break_data(records, role)

    assert (
        BreakData(
            employee_id="emp-a",
            period_start=Q1[0],
            period_end=Q1[1],
            mental_health_breaks=minutes(10),
            physical_health_breaks=minutes(5, 15),
        )
        == data[0]
    )
    assert 3 == len(data)


@pytest.mark.cite("15(c)")
@pytest.mark.parametrize(
    "role",
    [r for r in Role if r is not Role.EVALUATOR] + ["Evaluator", " evaluator", "", "nobody"],
)
def test_every_other_role_is_refused_break_data(
    records: list[PerformanceRecord], role: Role | str
) -> None:
    with pytest.raises(NotPermitted) as info:
        read_break_data(records, role, actor="user-17")

    assert "health data" in str(info.value)
    assert "user-17" == info.value.actor
    assert "15(c)" in str(info.value)


@pytest.mark.cite("15(c)")
def test_a_role_that_is_not_a_string_is_refused_break_data(
    records: list[PerformanceRecord],
) -> None:
    with pytest.raises(NotPermitted):
        read_break_data(records, None)  # type: ignore[arg-type]  # not a role, on purpose


# -- publishing -----------------------------------------------------------------------


def team(size: int, period: tuple[dt.date, dt.date]) -> list[PerformanceRecord]:
    return [
        record(f"emp-{k}", period, tasks=minutes(30), mental=minutes(5), physical=minutes(7))
        for k in range(size)
    ]


@pytest.mark.cite("15(c)")
@pytest.mark.parametrize(("size", "shown"), [(1, False), (10, False), (11, True), (40, True)])
def test_a_published_summary_shows_a_period_only_with_more_than_ten_employees(
    size: int, shown: bool
) -> None:
    (period,) = aggregate_performance(team(size, Q1)).published().periods

    assert (Q1[0], Q1[1]) == (period.period_start, period.period_end)
    assert shown is not period.suppressed
    assert shown == (period.employees == size)
    assert shown == (period.tasks is not None)
    assert shown == (period.mental_health_breaks is not None)
    assert shown == (period.physical_health_breaks is not None)


@pytest.mark.cite("15(c)")
def test_publishing_keeps_large_periods_and_suppresses_small_ones_in_the_same_summary() -> None:
    summary = aggregate_performance(team(3, Q1) + team(12, Q2))

    small, large = summary.published().periods
    assert small.suppressed
    assert large == summary.periods[1]
    assert json.loads(json.dumps(summary.published().to_data()))["periods"][0] == {
        "period_start": "2031-01-01",
        "period_end": "2031-03-31",
        "employees": None,
        "tasks": None,
        "mental_health_breaks": None,
        "physical_health_breaks": None,
        "suppressed": True,
    }


# -- the records ----------------------------------------------------------------------


@pytest.mark.cite("15(c)")
def test_a_record_refuses_a_period_that_ends_before_it_starts() -> None:
    with pytest.raises(InvalidInput) as info:
        record("emp-a", (Q1[1], Q1[0]))

    assert ["period_end"] == [p.field for p in info.value.problems]
    assert ("15(c)",) == info.value.problems[0].cites


@pytest.mark.cite("15(c)")
def test_a_record_refuses_negative_and_non_durations_at_once() -> None:
    with pytest.raises(InvalidInput) as info:
        PerformanceRecord(
            period_start=Q1[0],
            period_end=Q1[1],
            employee_id="",
            task_durations=[dt.timedelta(minutes=-1)],
            mental_health_breaks=[30],  # type: ignore[list-item]  # not a duration
            physical_health_breaks=(),
        )

    assert ["employee_id", "task_durations[0]", "mental_health_breaks[0]"] == [
        p.field for p in info.value.problems
    ]


@pytest.mark.cite("15(c)")
def test_a_record_refuses_durations_that_are_not_a_sequence() -> None:
    with pytest.raises(InvalidInput):
        record("emp-a", tasks=dt.timedelta(minutes=5))  # type: ignore[arg-type]  # one, not many


@pytest.mark.cite("15(c)")
def test_aggregating_refuses_what_is_not_a_record() -> None:
    with pytest.raises(InvalidInput) as info:
        aggregate_performance(["emp-a"])  # type: ignore[list-item]  # not a record

    assert "records[0]" == info.value.problems[0].field


# -- properties -----------------------------------------------------------------------

DURATIONS = st.lists(st.timedeltas(dt.timedelta(0), dt.timedelta(hours=8)), max_size=12)


@pytest.mark.cite("15(c)")
@given(durations=DURATIONS)
def test_duration_stats_count_sum_and_split_the_durations_in_half(
    durations: list[dt.timedelta],
) -> None:
    stats = DurationStats.of(durations)

    assert len(durations) == stats.count
    assert sum(durations, dt.timedelta(0)) == stats.total
    if durations:
        assert stats.median is not None
        assert min(durations) <= stats.median <= max(durations)
        assert sum(d <= stats.median for d in durations) >= len(durations) / 2
        assert sum(d >= stats.median for d in durations) >= len(durations) / 2
    else:
        assert stats.median is None


@pytest.mark.cite("15(c)")
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["emp-a", "emp-b", "emp-c"]), st.sampled_from([Q1, Q2]), DURATIONS
        ),
        max_size=8,
    )
)
def test_the_summary_accounts_for_every_duration_of_every_period(
    rows: list[tuple[str, tuple[dt.date, dt.date], list[dt.timedelta]]],
) -> None:
    records = [record(who, period, tasks=tuple(d), physical=tuple(d)) for who, period, d in rows]
    summary = aggregate_performance(records)

    assert sorted({period for _, period, _ in rows}) == [
        (p.period_start, p.period_end) for p in summary.periods
    ]
    for p in summary.periods:
        mine = [
            r for r in records if (r.period_start, r.period_end) == (p.period_start, p.period_end)
        ]
        assert len({r.employee_id for r in mine}) == p.employees
        assert p.tasks is not None
        assert p.physical_health_breaks is not None
        assert sum(len(r.task_durations) for r in mine) == p.tasks.count
        assert p.tasks == p.physical_health_breaks
