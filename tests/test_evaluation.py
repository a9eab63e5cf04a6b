"""Section 20(a): changes in wages and employment, compliance actions, plain data."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choice_workflow.domain.evaluation import (
    ComplianceAction,
    EmploymentChange,
    Evaluation,
    WageGroup,
    evaluate_wages,
)
from choice_workflow.domain.performance import PerformanceRecord, aggregate_performance
from choice_workflow.domain.wages import Headcount, WageRecord
from choice_workflow.errors import InvalidInput
from choice_workflow.rules import Rules

RULES = Rules.illinois()
ON = dt.date(2032, 6, 30)
BEFORE = dt.date(2030, 6, 1)
AFTER = dt.date(2032, 6, 1)


def wage(
    employee_id: str, hourly: str, paid_on: dt.date, *, has_disability: bool = True
) -> WageRecord:
    return WageRecord(
        employee_id=employee_id,
        paid_on=paid_on,
        hourly=Decimal(hourly),
        has_disability=has_disability,
    )


def headcount(start: dt.date, employees: int, with_disability: int, at_minimum: int) -> Headcount:
    return Headcount(
        quarter_start=start,
        employees=employees,
        employees_with_disability=with_disability,
        at_or_above_minimum=at_minimum,
    )


@pytest.fixture(name="before")
def fixture_before() -> list[WageRecord]:
    return [
        wage("emp-1", "4.00", BEFORE),
        wage("emp-2", "6.00", BEFORE),
        wage("emp-3", "15.00", BEFORE),
        wage("emp-9", "30.00", BEFORE, has_disability=False),
    ]


@pytest.fixture(name="after")
def fixture_after() -> list[WageRecord]:
    return [
        wage("emp-1", "12.00", dt.date(2031, 6, 1)),
        wage("emp-1", "15.00", AFTER),  # the latest record of emp-1
        wage("emp-2", "14.00", AFTER),
        wage("emp-3", "15.50", AFTER),
        wage("emp-4", "15.25", AFTER),
        wage("emp-9", "31.00", AFTER, has_disability=False),
    ]


@pytest.mark.cite("20(a)(1)")
def test_wages_of_employees_with_disabilities_before_and_after(
    before: list[WageRecord], after: list[WageRecord]
) -> None:
    result = evaluate_wages(before, after, rules=RULES, on=ON)

    assert Decimal("15.00") == result.minimum
    assert (
        WageGroup(count=3, median=Decimal("6.00"), mean=Decimal("8.33"), at_or_above_minimum=1)
        == result.before
    )
    assert (
        WageGroup(count=4, median=Decimal("15.13"), mean=Decimal("14.94"), at_or_above_minimum=3)
        == result.after
    )
    assert 1 == result.moved_to_minimum  # emp-1; emp-2 is still below, emp-4 is new
    assert result.employment is None


@pytest.mark.cite("20(a)(1)")
def test_each_employee_counts_once_at_the_latest_record(after: list[WageRecord]) -> None:
    shuffled = list(reversed(after))

    assert evaluate_wages([], after, rules=RULES, on=ON) == evaluate_wages(
        [], shuffled, rules=RULES, on=ON
    )


@pytest.mark.cite("20(a)(1)")
def test_an_empty_side_has_no_median_or_mean() -> None:
    result = evaluate_wages(
        [], [wage("emp-9", "20.00", AFTER, has_disability=False)], rules=RULES, on=ON
    )

    assert WageGroup(count=0, median=None, mean=None, at_or_above_minimum=0) == result.before
    assert result.after.count == 0


@pytest.mark.cite("20(a)(1)")
def test_the_minimum_is_the_applicable_one_on_the_evaluation_date() -> None:
    early = evaluate_wages([], [], rules=RULES, on=dt.date(2024, 6, 30))

    assert Decimal("14.00") == early.minimum


@pytest.mark.cite("20(a)(1)")
def test_a_change_in_employment_comes_from_two_head_counts(
    before: list[WageRecord], after: list[WageRecord]
) -> None:
    first = headcount(dt.date(2030, 7, 1), 40, 20, 2)
    last = headcount(dt.date(2032, 4, 1), 44, 22, 15)

    result = evaluate_wages(
        before, after, rules=RULES, on=ON, headcount_before=first, headcount_after=last
    )

    assert EmploymentChange(before=first, after=last) == result.employment
    assert result.employment is not None
    assert (4, 2, 13) == (
        result.employment.employees,
        result.employment.employees_with_disability,
        result.employment.at_or_above_minimum,
    )


@pytest.mark.cite("20(a)(1)")
def test_one_head_count_alone_is_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        evaluate_wages(
            [], [], rules=RULES, on=ON, headcount_before=headcount(dt.date(2030, 7, 1), 1, 1, 0)
        )

    assert "headcount_after" == info.value.problems[0].field


@pytest.mark.cite("20(a)(1)")
def test_what_is_not_a_wage_record_or_a_date_is_refused_at_once() -> None:
    with pytest.raises(InvalidInput) as info:
        evaluate_wages(
            ["emp-1"],  # type: ignore[list-item]  # not a record, on purpose
            [],
            rules=RULES,
            on=dt.datetime(2032, 6, 30, tzinfo=dt.UTC),
        )

    assert ["on", "before[0]"] == [p.field for p in info.value.problems]


# -- 20(a)(2) -------------------------------------------------------------------------


@pytest.mark.cite("20(a)(2)")
def test_a_compliance_action_names_a_cite_of_the_act() -> None:
    action = ComplianceAction(
        kind="wage_raise",
        date=dt.date(2031, 1, 1),
        cite="15(l)",
        description="Raised every wage to the 70% floor.",
    )

    assert {
        "kind": "wage_raise",
        "date": "2031-01-01",
        "cite": "15(l)",
        "description": "Raised every wage to the 70% floor.",
    } == action.to_data()


@pytest.mark.cite("20(a)(2)")
@pytest.mark.parametrize("cite", ["15(k)", "15(l)(2)", "", None])
def test_a_compliance_action_with_an_unknown_cite_is_refused(cite: object) -> None:
    with pytest.raises(InvalidInput) as info:
        ComplianceAction(
            kind="wage_raise",
            date=dt.date(2031, 1, 1),
            cite=cite,  # type: ignore[arg-type]  # malformed on purpose
            description="",
        )

    assert ["cite"] == [p.field for p in info.value.problems]


# -- the container --------------------------------------------------------------------


@pytest.mark.cite("20(a)(1)", "20(a)(2)", "15(c)")
def test_an_evaluation_turns_into_plain_json_data(
    before: list[WageRecord], after: list[WageRecord]
) -> None:
    performance = aggregate_performance(
        [
            PerformanceRecord(
                period_start=dt.date(2031, 1, 1),
                period_end=dt.date(2031, 3, 31),
                employee_id="emp-1",
                task_durations=(dt.timedelta(minutes=30),),
                mental_health_breaks=(),
                physical_health_breaks=(dt.timedelta(seconds=90, milliseconds=500),),
            )
        ]
    )
    evaluation = Evaluation(
        wages=evaluate_wages(
            before,
            after,
            rules=RULES,
            on=ON,
            headcount_before=headcount(dt.date(2030, 7, 1), 40, 20, 2),
            headcount_after=headcount(dt.date(2032, 4, 1), 44, 22, 15),
        ),
        actions=(
            ComplianceAction(
                kind="consent", date=dt.date(2030, 6, 1), cite="10(4)", description="Consented."
            ),
        ),
        performance=performance.published(),
    )

    data = evaluation.to_data()

    assert data == json.loads(json.dumps(data))
    assert {
        "on": "2032-06-30",
        "minimum": "15.00",
        "before": {"count": 3, "median": "6.00", "mean": "8.33", "at_or_above_minimum": 1},
        "after": {"count": 4, "median": "15.13", "mean": "14.94", "at_or_above_minimum": 3},
        "moved_to_minimum": 1,
    } == {k: v for k, v in data["wages"].items() if k != "employment"}
    assert {"employees": 4, "employees_with_disability": 2, "at_or_above_minimum": 13} == (
        data["wages"]["employment"]["change"]
    )
    assert [
        {"kind": "consent", "date": "2030-06-01", "cite": "10(4)", "description": "Consented."}
    ] == (data["actions"])
    assert [None, True] == [
        data["performance"]["periods"][0]["tasks"],
        data["performance"]["periods"][0]["suppressed"],
    ]
    assert "emp-1" not in json.dumps(data)


@pytest.mark.cite("20(a)(1)")
def test_an_evaluation_without_actions_or_performance_is_plain_data_too() -> None:
    data = Evaluation(wages=evaluate_wages([], [], rules=RULES, on=ON)).to_data()

    assert ([], None) == (data["actions"], data["performance"])
    assert {"count": 0, "median": None, "mean": None, "at_or_above_minimum": 0} == (
        data["wages"]["before"]
    )


# -- properties -----------------------------------------------------------------------

CENTS = st.integers(0, 5000).map(lambda c: Decimal(c) / 100)


@pytest.mark.cite("20(a)(1)")
@given(
    before=st.lists(CENTS, max_size=12),
    after=st.lists(CENTS, max_size=12),
)
def test_the_wage_summary_lies_within_the_wages_and_moves_no_more_than_were_below(
    before: list[Decimal], after: list[Decimal]
) -> None:
    result = evaluate_wages(
        [wage(f"emp-{i}", str(w), BEFORE) for i, w in enumerate(before)],
        [wage(f"emp-{i}", str(w), AFTER) for i, w in enumerate(after)],
        rules=RULES,
        on=ON,
    )

    for wages, group in ((before, result.before), (after, result.after)):
        assert len(wages) == group.count
        if wages:
            assert group.median is not None
            assert group.mean is not None
            assert min(wages) <= group.median <= max(wages)
            assert min(wages) <= group.mean <= max(wages)
            assert group.mean == group.mean.quantize(Decimal("0.01"))
    below = sum(1 for w in before if w < result.minimum)
    assert 0 <= result.moved_to_minimum <= min(below, result.after.at_or_above_minimum)
