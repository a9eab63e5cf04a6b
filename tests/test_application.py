"""The application of Section 15(b): every item checked, every problem cited."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from choice_workflow.cites import CITES
from choice_workflow.domain import (
    DISABILITY_CATEGORIES,
    NOT_REPORTED,
    Application,
    Collaboration,
    FiscalYearCount,
    IntegratedSetting,
    QuarterPlan,
    SettingKind,
    WageHistoryYear,
    WageSummary,
    application_from_data,
    application_to_data,
    validate_application,
)
from choice_workflow.errors import InvalidInput, Problem, Severity
from choice_workflow.rules import Rules
from tests.strategies import (
    AT,
    CHICAGO,
    RULES,
    json_values,
    money,
    replace_path,
    submitted_applications,
    valid_application,
    valid_employer,
    wage_summaries,
)


def problems_of(app: Application, at: dt.datetime = AT, **kwargs: Any) -> tuple[Problem, ...]:
    """The problems of ``app`` made at ``at``, with no employer record unless given."""
    kwargs.setdefault("employer", None)
    kwargs.setdefault("rules", RULES)
    return validate_application(app, at=at, **kwargs)


def fields_of(problems: tuple[Problem, ...]) -> list[str]:
    return [p.field for p in problems]


@pytest.fixture(name="app")
def fixture_app() -> Application:
    """A complete application made at AT (FY2031: history FY2026-FY2030)."""
    return valid_application()


@pytest.mark.cite(
    "15(b)(1)",
    "15(b)(2)",
    "15(b)(3)",
    "15(b)(4)",
    "15(b)(5)",
    "15(b)(6)",
    "15(b)(7)",
    "15(b)(8)",
    "15(b)(9)",
    "15(b)(10)",
    "15(b)(11)",
    "15(b)(12)",
    "15(b)(13)",
    "15(b)(14)",
    "15(h)",
)
@given(case=submitted_applications())
def test_a_complete_application_has_no_problems(
    case: tuple[pendulum.DateTime, Application],
) -> None:
    at, app = case
    employer = valid_employer(
        at=at, employee_count=max(app.employees_14c, RULES.small_employer_warning_below)
    )
    assert () == problems_of(app, at, employer=employer)


@pytest.mark.cite("15(b)(1)", "15(b)(3)", "15(b)(9)", "15(b)(11)")
def test_every_problem_is_reported_at_once(app: Application) -> None:
    broken = attrs.evolve(
        app,
        employees_14c=-1,
        wages_14c=attrs.evolve(app.wages_14c, range=Decimal("0.01")),
        timeline=app.timeline[:-1],
        assurances=attrs.evolve(app.assurances, accurate_and_truthful=False),
    )
    expected = [
        "employees_14c",
        "wages_14c.range",
        "timeline",
        "assurances.accurate_and_truthful",
    ]
    assert expected == fields_of(problems_of(broken))


# -- 15(b)(1), 10 "Disability" ---------------------------------------------------------


@pytest.mark.cite("15(b)(1)")
@pytest.mark.parametrize(("count", "ok"), [(-1, False), (0, True), (1, True)])
def test_the_number_of_14c_employees_is_not_negative(
    app: Application, count: int, ok: bool
) -> None:
    zeroes = attrs.evolve(
        app.demographics,
        gender={NOT_REPORTED: count},
        race={NOT_REPORTED: count},
        ethnicity={NOT_REPORTED: count},
        disability={NOT_REPORTED: count},
    )
    problems = problems_of(attrs.evolve(app, employees_14c=count, demographics=zeroes))
    assert ok == ("employees_14c" not in fields_of(problems))


@pytest.mark.cite("15(b)(1)")
@pytest.mark.parametrize("breakdown", ["gender", "race", "ethnicity", "disability"])
@pytest.mark.parametrize("off_by", [-1, 1])
def test_each_breakdown_sums_to_the_employee_count(
    app: Application, breakdown: str, off_by: int
) -> None:
    counts = dict(getattr(app.demographics, breakdown))
    counts[NOT_REPORTED] += off_by
    broken = attrs.evolve(app, demographics=replace_path(app.demographics, breakdown, counts))
    problems = problems_of(broken)
    assert [f"demographics.{breakdown}"] == fields_of(problems)
    assert f"sums to {app.employees_14c + off_by}, not {app.employees_14c}" in problems[0].reason


@pytest.mark.cite("15(b)(1)")
def test_not_reported_and_two_or_more_let_every_breakdown_sum(app: Application) -> None:
    demographics = attrs.evolve(
        app.demographics,
        race={"two or more": 10, NOT_REPORTED: 8},
        gender={NOT_REPORTED: 18},
        ethnicity={NOT_REPORTED: 18},
        disability={"combination": 10, NOT_REPORTED: 8},
    )
    assert () == problems_of(attrs.evolve(app, demographics=demographics))


@pytest.mark.cite("15(b)(1)")
def test_a_negative_count_in_a_breakdown_is_a_problem(app: Application) -> None:
    race = {
        **app.demographics.race,
        "Asian": -1,
        NOT_REPORTED: app.demographics.race[NOT_REPORTED] + 1,
    }
    problems = problems_of(
        attrs.evolve(app, demographics=attrs.evolve(app.demographics, race=race))
    )
    assert ["demographics.race['Asian']"] == fields_of(problems)


@pytest.mark.cite('10 "Disability"')
def test_the_disability_categories_are_the_four_of_the_act_and_not_reported() -> None:
    expected = (
        "developmental disability",
        "mental illness",
        "physical disability",
        "combination",
        "not reported",
    )
    assert expected == DISABILITY_CATEGORIES


@pytest.mark.cite('10 "Disability"', "15(b)(1)")
@pytest.mark.parametrize("category", ["autism", "Physical disability", "none", ""])
def test_a_disability_category_outside_the_act_is_refused(app: Application, category: str) -> None:
    disability = dict(app.demographics.disability)
    disability[NOT_REPORTED] -= 1
    disability[category] = 1
    broken = attrs.evolve(app, demographics=attrs.evolve(app.demographics, disability=disability))
    (problem,) = problems_of(broken)
    assert f"demographics.disability[{category!r}]" == problem.field
    assert ("15(b)(1)", '10 "Disability"') == problem.cites


# -- 15(b)(2) --------------------------------------------------------------------------


@pytest.mark.cite("15(b)(2)")
@pytest.mark.parametrize(
    ("count", "ok"), [(-1, False), (0, True), (7, True), ("7", False), (None, False)]
)
def test_employees_without_a_registered_disability_are_a_non_negative_integer(
    app: Application, count: Any, ok: bool
) -> None:
    problems = problems_of(attrs.evolve(app, employees_without_disability_14c=count))
    assert ([] if ok else ["employees_without_disability_14c"]) == fields_of(problems)
    assert all(("15(b)(2)",) == p.cites for p in problems)


# -- 15(b)(3), (4) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        pytest.param("wages_14c", marks=pytest.mark.cite("15(b)(3)")),
        pytest.param("wages_all", marks=pytest.mark.cite("15(b)(4)")),
    ],
)
class TestWageSummaries:
    def test_equal_minimum_average_and_maximum_with_range_zero_are_consistent(
        self, app: Application, field: str
    ) -> None:
        flat = WageSummary.of(
            minimum=Decimal("8.00"), average=Decimal("8.00"), maximum=Decimal("8.00")
        )
        assert () == problems_of(replace_path(app, field, flat))

    @pytest.mark.parametrize(
        ("minimum", "average", "maximum", "wrong"),
        [
            ("5.00", "4.99", "9.00", "average"),
            ("5.00", "9.01", "9.00", "average"),
            ("9.01", "9.00", "9.00", "minimum"),
        ],
    )
    def test_the_average_lies_between_the_minimum_and_the_maximum(
        self, app: Application, field: str, minimum: str, average: str, maximum: str, wrong: str
    ) -> None:
        summary = WageSummary.of(
            minimum=Decimal(minimum), average=Decimal(average), maximum=Decimal(maximum)
        )
        assert [f"{field}.{wrong}"] == fields_of(problems_of(replace_path(app, field, summary)))

    @pytest.mark.parametrize("delta", ["-0.01", "0.01"])
    def test_the_range_is_the_maximum_minus_the_minimum(
        self, app: Application, field: str, delta: str
    ) -> None:
        summary = getattr(app, field)
        broken = attrs.evolve(summary, range=summary.range + Decimal(delta))
        problems = problems_of(replace_path(app, field, broken))
        assert [f"{field}.range"] == fields_of(problems)
        assert f"Set the range to {summary.range}." == problems[0].hint

    def test_a_float_wage_is_refused_with_a_hint_to_use_decimal_or_a_string(
        self, app: Application, field: str
    ) -> None:
        summary = attrs.evolve(getattr(app, field), average=6.1)
        (problem,) = problems_of(replace_path(app, field, summary))
        assert f"{field}.average" == problem.field
        assert "float" in problem.reason
        assert "Decimal" in problem.hint
        assert "string" in problem.hint

    def test_wages_given_as_strings_of_dollars_and_cents_are_accepted(
        self, app: Application, field: str
    ) -> None:
        text: dict[str, Any] = {
            "average": "6.10",
            "minimum": "3.85",
            "maximum": "9.40",
            "range": "5.55",
        }
        summary = WageSummary(**text)
        assert () == problems_of(replace_path(app, field, summary))

    def test_a_negative_wage_is_a_problem(self, app: Application, field: str) -> None:
        summary = WageSummary.of(
            minimum=Decimal("-1.00"), average=Decimal("6.00"), maximum=Decimal("9.00")
        )
        assert [f"{field}.minimum"] == fields_of(problems_of(replace_path(app, field, summary)))


@pytest.mark.cite("15(b)(3)")
@given(summary=wage_summaries())
def test_any_consistent_wage_summary_validates_clean(summary: WageSummary) -> None:
    assert () == problems_of(valid_application(wages_14c=summary))


@pytest.mark.cite("15(b)(3)")
@given(
    summary=wage_summaries(),
    delta=money(Decimal("0.01"), Decimal("20.00")),
    sign=st.sampled_from([-1, 1]),
)
def test_a_range_off_by_any_amount_is_exactly_one_range_problem(
    summary: WageSummary, delta: Decimal, sign: int
) -> None:
    broken = attrs.evolve(summary, range=summary.range + sign * delta)
    assert ["wages_14c.range"] == fields_of(problems_of(valid_application(wages_14c=broken)))


@pytest.mark.cite("15(b)(3)")
@given(
    summary=wage_summaries(), delta=money(Decimal("0.01"), Decimal("20.00")), above=st.booleans()
)
def test_an_average_outside_the_bounds_is_exactly_one_average_problem(
    summary: WageSummary, delta: Decimal, above: bool
) -> None:
    average = summary.maximum + delta if above else summary.minimum - delta
    broken = attrs.evolve(summary, average=average)
    assert ["wages_14c.average"] == fields_of(problems_of(valid_application(wages_14c=broken)))


@pytest.mark.cite("15(b)(3)")
@given(summary=wage_summaries())
def test_a_minimum_above_the_maximum_is_exactly_one_minimum_problem(summary: WageSummary) -> None:
    if summary.minimum == summary.maximum:
        summary = attrs.evolve(summary, maximum=summary.maximum + 1, range=summary.range + 1)
    swapped = attrs.evolve(summary, minimum=summary.maximum, maximum=summary.minimum)
    assert ["wages_14c.minimum"] == fields_of(problems_of(valid_application(wages_14c=swapped)))


# -- 15(b)(5), (6) ---------------------------------------------------------------------


def _rows(field: str, years: range) -> tuple[WageHistoryYear, ...] | tuple[FiscalYearCount, ...]:
    if field == "history_5":
        return tuple(
            WageHistoryYear(fiscal_year=y, below_minimum_wage=3, below_customary_rate=2)
            for y in years
        )
    return tuple(FiscalYearCount(fiscal_year=y, count=1) for y in years)


@pytest.mark.parametrize(
    "field",
    [
        pytest.param("history_5", marks=pytest.mark.cite("15(b)(5)")),
        pytest.param("transitions_6", marks=pytest.mark.cite("15(b)(6)")),
    ],
)
class TestFiscalYears:
    def test_the_five_fiscal_years_before_the_application_are_complete(
        self, app: Application, field: str
    ) -> None:
        assert () == problems_of(replace_path(app, field, _rows(field, range(2026, 2031))))

    def test_a_missing_fiscal_year_is_a_problem(self, app: Application, field: str) -> None:
        problems = problems_of(replace_path(app, field, _rows(field, range(2027, 2031))))
        assert [field] == fields_of(problems)
        assert "FY2026 is missing" == problems[0].reason

    def test_a_repeated_fiscal_year_is_a_problem(self, app: Application, field: str) -> None:
        rows = _rows(field, range(2026, 2031))
        problems = problems_of(replace_path(app, field, (*rows, rows[2])))
        assert [f"{field}[5].fiscal_year"] == fields_of(problems)
        assert "FY2028 appears again" in problems[0].reason

    @pytest.mark.parametrize(
        ("years", "outside", "missing"), [((2025, 2030), 2025, 2030), ((2027, 2032), 2031, 2026)]
    )
    def test_a_year_on_either_side_of_the_five_is_a_problem(
        self, app: Application, field: str, years: tuple[int, int], outside: int, missing: int
    ) -> None:
        rows = _rows(field, range(*years))
        problems = problems_of(replace_path(app, field, rows))
        index = [r.fiscal_year for r in rows].index(outside)
        assert [f"{field}[{index}].fiscal_year", field] == fields_of(problems)
        assert f"FY{missing} is missing" == problems[1].reason

    @pytest.mark.parametrize(
        ("at", "years"),
        [
            (pendulum.datetime(2031, 6, 30, 23, 59, 59, tz=CHICAGO), range(2026, 2031)),
            (pendulum.datetime(2031, 7, 1, 0, 0, 0, tz=CHICAGO), range(2027, 2032)),
        ],
    )
    def test_the_five_years_follow_the_state_fiscal_year_of_the_application_instant(
        self, field: str, at: pendulum.DateTime, years: range
    ) -> None:
        app = valid_application(at)
        assert () == problems_of(replace_path(app, field, _rows(field, years)), at)

    def test_the_employers_fiscal_year_is_a_setting(self, field: str) -> None:
        calendar_years = attrs.evolve(RULES, fiscal_year_start_month=1)
        app = valid_application(AT, rules=calendar_years)
        fixed = replace_path(app, field, _rows(field, range(2025, 2030)))
        assert () == problems_of(fixed, rules=calendar_years)

    def test_a_negative_count_is_a_problem(self, app: Application, field: str) -> None:
        name = "below_customary_rate" if field == "history_5" else "count"
        broken = replace_path(app, f"{field}[1].{name}", -3)
        assert [f"{field}[1].{name}"] == fields_of(problems_of(broken))


# -- 15(b)(7), 10 "Integrated setting" ---------------------------------------------------


@pytest.mark.cite('10 "Integrated setting"', "15(b)(7)")
@pytest.mark.parametrize("kind", [k for k in SettingKind if k is not SettingKind.OTHER])
def test_each_kind_of_integrated_setting_of_the_act_is_accepted(
    app: Application, kind: SettingKind
) -> None:
    model = attrs.evolve(app.business_model, integrated_settings=(IntegratedSetting(kind=kind),))
    assert () == problems_of(attrs.evolve(app, business_model=model))


@pytest.mark.cite('10 "Integrated setting"', "15(b)(7)")
@pytest.mark.parametrize(
    ("description", "ok"), [("", False), ("   ", False), ("Mobile work crew", True)]
)
def test_another_integrated_setting_needs_a_description(
    app: Application, description: str, ok: bool
) -> None:
    other = IntegratedSetting(kind=SettingKind.OTHER, description=description)
    model = attrs.evolve(app.business_model, integrated_settings=(other,))
    problems = problems_of(attrs.evolve(app, business_model=model))
    assert ([] if ok else ["business_model.integrated_settings[0].description"]) == fields_of(
        problems
    )
    assert all(("15(b)(7)", '10 "Integrated setting"') == p.cites for p in problems)


@pytest.mark.cite("15(b)(7)", '10 "Integrated setting"')
def test_a_business_model_without_an_integrated_setting_is_refused(app: Application) -> None:
    model = attrs.evolve(app.business_model, integrated_settings=())
    (problem,) = problems_of(attrs.evolve(app, business_model=model))
    assert ("15(b)(7)", '10 "Integrated setting"') == problem.cites


@pytest.mark.cite("15(b)(7)")
@pytest.mark.parametrize("part", ["budget_and_funding", "human_resources"])
def test_the_budget_and_the_human_resource_structure_are_described(
    app: Application, part: str
) -> None:
    model = replace_path(app.business_model, part, " ")
    assert [f"business_model.{part}"] == fields_of(
        problems_of(attrs.evolve(app, business_model=model))
    )


@pytest.mark.cite("15(b)(7)")
def test_a_setting_kind_given_as_text_is_refused_with_the_kinds_to_use(app: Application) -> None:
    kind: Any = "job shadowing"
    setting = IntegratedSetting(kind=kind)
    model = attrs.evolve(app.business_model, integrated_settings=(setting,))
    (problem,) = problems_of(attrs.evolve(app, business_model=model))
    assert "business_model.integrated_settings[0].kind" == problem.field
    assert "JOB_SHADOWING" in problem.hint


# -- 15(b)(8) --------------------------------------------------------------------------


@pytest.mark.cite("15(b)(8)")
@pytest.mark.parametrize(
    "path",
    [
        "activities.business_model",
        "activities.integrated_services",
        "activities.funding_structure",
        "activities.transportation_needed",
        "activities.transportation_provided",
        "activities.process.contracts",
        "activities.process.funding_sources",
        "activities.process.staff_training",
        "activities.process.stakeholder_input",
        "activities.process.responsible",
    ],
)
@pytest.mark.parametrize("empty", ["", " \n", None])
def test_every_part_of_the_activities_is_present_and_non_empty(
    app: Application, path: str, empty: Any
) -> None:
    (problem,) = problems_of(replace_path(app, path, empty))
    assert path == problem.field
    assert ("15(b)(8)",) == problem.cites


@pytest.mark.cite("15(b)(8)")
@pytest.mark.parametrize(
    ("count", "severity"), [(-1, Severity.ERROR), (0, Severity.WARNING), (1, None)]
)
def test_the_employees_after_the_transformation_are_counted(
    app: Application, count: int, severity: Severity | None
) -> None:
    problems = problems_of(replace_path(app, "activities.employees_after", count))
    assert ([] if severity is None else [severity]) == [p.severity for p in problems]


# -- 15(b)(9) --------------------------------------------------------------------------


@pytest.mark.cite("15(b)(9)", "15(f)")
class TestTimeline:
    def test_eleven_quarters_miss_the_twelfth(self, app: Application) -> None:
        problems = problems_of(attrs.evolve(app, timeline=app.timeline[:11]))
        assert ["quarter 12 is missing"] == [p.reason for p in problems]
        assert ("15(b)(9)", "15(f)") == problems[0].cites

    @pytest.mark.parametrize(("number", "ok"), [(0, False), (1, True), (12, True), (13, False)])
    def test_quarters_are_numbered_one_to_twelve(
        self, app: Application, number: int, ok: bool
    ) -> None:
        extra = QuarterPlan(quarter=number, activities=("More",))
        timeline = (*(q for q in app.timeline if q.quarter != number), extra)
        problems = problems_of(attrs.evolve(app, timeline=timeline))
        assert ([] if ok else ["timeline[12].quarter"]) == fields_of(problems)

    def test_a_repeated_quarter_is_a_problem(self, app: Application) -> None:
        problems = problems_of(attrs.evolve(app, timeline=(*app.timeline, app.timeline[4])))
        assert ["timeline[12].quarter"] == fields_of(problems)

    @pytest.mark.parametrize(
        ("activities", "goals", "ok"),
        [
            ((), (), False),
            (("",), (" ",), False),
            (("Hire a coach",), (), True),
            ((), ("Half at minimum wage",), True),
        ],
    )
    def test_each_quarter_has_an_activity_or_a_goal(
        self, app: Application, activities: tuple[str, ...], goals: tuple[str, ...], ok: bool
    ) -> None:
        plan = QuarterPlan(quarter=7, activities=activities, goals=goals)
        timeline = tuple(plan if q.quarter == 7 else q for q in app.timeline)
        problems = problems_of(attrs.evolve(app, timeline=timeline))
        assert ([] if ok else ["timeline[6]"]) == fields_of(problems)


# -- 15(b)(10), (11), (12) ---------------------------------------------------------------


@pytest.mark.cite("15(b)(10)")
@pytest.mark.parametrize(
    ("text", "ok"), [("", False), ("\t", False), (None, False), ("With DHS.", True)]
)
def test_the_coordination_with_state_programs_is_described(
    app: Application, text: Any, ok: bool
) -> None:
    assert ([] if ok else ["coordination"]) == fields_of(
        problems_of(attrs.evolve(app, coordination=text))
    )


@pytest.mark.cite("15(b)(11)")
@pytest.mark.parametrize(
    "assurance",
    [
        "transformation",
        "competitive_employment",
        "accurate_and_truthful",
        "cooperate_with_evaluation",
        "standard_work_performance",
    ],
)
@pytest.mark.parametrize("given", [False, None, 1, "yes"])
def test_all_five_assurances_are_affirmed(app: Application, assurance: str, given: Any) -> None:
    assurances = replace_path(app.assurances, assurance, given)
    (problem,) = problems_of(attrs.evolve(app, assurances=assurances))
    assert f"assurances.{assurance}" == problem.field
    assert ("15(b)(11)",) == problem.cites


@pytest.mark.cite("15(b)(12)")
def test_assurances_of_collaboration_are_required(app: Application) -> None:
    (problem,) = problems_of(attrs.evolve(app, collaboration=()))
    assert ("collaboration", Severity.ERROR) == (problem.field, problem.severity)


@pytest.mark.cite("15(b)(12)")
def test_an_assurance_from_neither_dhs_nor_the_state_board_is_a_warning(app: Application) -> None:
    only = (
        Collaboration(entity="Illinois Council on Developmental Disabilities", assurance="Letter"),
    )
    (problem,) = problems_of(attrs.evolve(app, collaboration=only))
    assert ("collaboration", Severity.WARNING) == (problem.field, problem.severity)


@pytest.mark.cite("15(b)(12)")
@pytest.mark.parametrize("part", ["entity", "assurance"])
def test_each_collaboration_names_its_entity_and_assurance(app: Application, part: str) -> None:
    problems = problems_of(replace_path(app, f"collaboration[1].{part}", ""))
    assert f"collaboration[1].{part}" in fields_of(problems)


# -- 15(b)(13) -------------------------------------------------------------------------


@pytest.mark.cite("15(b)(13)", "15(f)")
@pytest.mark.parametrize(
    ("at", "day", "severity"),
    [
        # After the first award date: the period would run from the application.
        (AT, dt.date(2030, 9, 14), Severity.ERROR),
        (AT, dt.date(2030, 9, 15), None),
        (AT, dt.date(2033, 9, 15), None),
        (AT, dt.date(2033, 9, 16), Severity.WARNING),
        # Before it: from July 1, 2030, so it ends June 30, 2033.
        (pendulum.datetime(2030, 3, 2, 9, tz=CHICAGO), dt.date(2033, 6, 30), None),
        (pendulum.datetime(2030, 3, 2, 9, tz=CHICAGO), dt.date(2033, 7, 1), Severity.WARNING),
    ],
)
def test_the_full_minimum_wage_date_is_not_before_the_application_and_a_late_one_is_a_warning(
    at: pendulum.DateTime, day: dt.date, severity: Severity | None
) -> None:
    problems = problems_of(valid_application(at, full_minimum_wage_on=day), at)
    assert ([] if severity is None else [("full_minimum_wage_on", severity)]) == [
        (p.field, p.severity) for p in problems
    ]


@pytest.mark.cite("15(b)(13)")
def test_the_application_date_is_read_in_illinois(app: Application) -> None:
    # 11:30 pm in Chicago on September 15 is already September 16 in UTC.
    late = pendulum.datetime(2030, 9, 15, 23, 30, tz=CHICAGO)
    assert () == problems_of(attrs.evolve(app, full_minimum_wage_on=dt.date(2030, 9, 15)), late)


@pytest.mark.cite("15(b)(13)")
@pytest.mark.parametrize("value", [pendulum.datetime(2032, 1, 1, tz=CHICAGO), "2032-01-01", None])
def test_the_full_minimum_wage_date_is_a_date(app: Application, value: Any) -> None:
    assert ["full_minimum_wage_on"] == fields_of(
        problems_of(attrs.evolve(app, full_minimum_wage_on=value))
    )


# -- 15(b)(14) -------------------------------------------------------------------------


@pytest.mark.cite("15(b)(14)")
@pytest.mark.parametrize(
    ("other", "missing"),
    [
        ({}, ["other['audit_letter']", "other['board_resolution']"]),
        ({"audit_letter": "On file", "board_resolution": " "}, ["other['board_resolution']"]),
        ({"audit_letter": "On file", "board_resolution": "Adopted 2030-08-01"}, []),
        ({"audit_letter": "On file", "board_resolution": "Adopted", "extra": "Fine"}, []),
    ],
)
def test_the_fields_the_director_requires_are_present(
    app: Application, other: dict[str, str], missing: list[str]
) -> None:
    problems = problems_of(
        attrs.evolve(app, other=other), required_other=("audit_letter", "board_resolution")
    )
    assert missing == fields_of(problems)
    assert all(("15(b)(14)",) == p.cites for p in problems)


@pytest.mark.cite("15(b)(14)")
def test_other_information_is_optional_unless_required(app: Application) -> None:
    assert () == problems_of(attrs.evolve(app, other={"notes": "Anything"}))


# -- 15(h) -----------------------------------------------------------------------------


@pytest.mark.cite("15(h)")
@pytest.mark.parametrize(
    ("amount", "ok"),
    [
        (Decimal("9999.99"), False),
        (Decimal("10000.00"), True),
        (Decimal("50000.00"), True),
        (Decimal("50000.01"), False),
        ("25000.00", True),
        (25000, True),
        (25000.0, False),
        (Decimal("25000.001"), False),
    ],
)
def test_the_amount_requested_is_within_the_bounds_of_the_act(
    app: Application, amount: Any, ok: bool
) -> None:
    problems = problems_of(attrs.evolve(app, amount_requested=amount))
    assert ([] if ok else [("amount_requested", ("15(h)",))]) == [
        (p.field, p.cites) for p in problems
    ]


@pytest.mark.cite("15(h)")
def test_the_bounds_come_from_the_rules(app: Application) -> None:
    rules = attrs.evolve(RULES, max_award=Decimal("20000.00"))
    assert ["amount_requested"] == fields_of(problems_of(app, rules=rules))


# -- the employer's record -------------------------------------------------------------


@pytest.mark.cite('10 "Eligible employer"')
@pytest.mark.parametrize(("employees", "warned"), [(3, True), (4, False)])
def test_an_employer_with_fewer_than_four_employees_is_a_warning(
    app: Application, employees: int, warned: bool
) -> None:
    problems = problems_of(app, employer=valid_employer(employee_count=employees))
    warnings = [p for p in problems if p.field == "employer.employee_count"]
    assert ([Severity.WARNING] if warned else []) == [p.severity for p in warnings]


@pytest.mark.cite('10 "Eligible employer"')
def test_an_application_under_another_employers_id_is_refused(app: Application) -> None:
    (problem,) = problems_of(app, employer=valid_employer("E-2"))
    assert ("employer_id", Severity.ERROR) == (problem.field, problem.severity)


@pytest.mark.cite("15(b)(1)")
def test_more_14c_employees_than_the_employer_has_is_a_warning(app: Application) -> None:
    (problem,) = problems_of(app, employer=valid_employer(employee_count=app.employees_14c - 1))
    assert ("employees_14c", Severity.WARNING) == (problem.field, problem.severity)


# -- malformed input -------------------------------------------------------------------

_COUNTS = [
    "employees_14c",
    "employees_without_disability_14c",
    "history_5[0].below_minimum_wage",
    "history_5[4].below_customary_rate",
    "transitions_6[2].count",
    "activities.employees_after",
    "demographics.race['Asian']",
]
_YEARS = ["history_5[0].fiscal_year", "transitions_6[3].fiscal_year", "timeline[0].quarter"]
_MONEY = [
    "amount_requested",
    "wages_14c.minimum",
    "wages_14c.average",
    "wages_14c.maximum",
    "wages_14c.range",
    "wages_all.average",
]
_TEXTS = [
    "employer_id",
    "coordination",
    "business_model.budget_and_funding",
    "business_model.human_resources",
    "activities.business_model",
    "activities.process.responsible",
    "collaboration[0].entity",
    "business_model.integrated_settings[1].description",
]
_RECORDS = [
    "demographics",
    "wages_14c",
    "wages_all",
    "history_5[1]",
    "transitions_6[1]",
    "business_model",
    "business_model.integrated_settings[0]",
    "activities",
    "activities.process",
    "timeline[3]",
    "assurances",
    "collaboration[1]",
]
_SEQUENCES = [
    "history_5",
    "transitions_6",
    "timeline",
    "collaboration",
    "business_model.integrated_settings",
    "timeline[2].activities",
]
_MAPPINGS = ["demographics.gender", "demographics.disability", "other"]
_FLAGS = ["assurances.transformation", "assurances.standard_work_performance"]
_HUGE = 10**30
_BAD: dict[str, tuple[object, ...]] = {
    "count": (None, "12", 1.5, float("nan"), -1, _HUGE, True, Decimal(3)),
    "year": (None, "2029", 2029.0, -1, _HUGE, False),
    "money": (
        None,
        "twelve",
        6.1,
        float("nan"),
        float("inf"),
        Decimal("NaN"),
        Decimal("-1.00"),
        Decimal(_HUGE),
        Decimal("6.105"),
        True,
        [],
    ),
    "text": (None, 12, 1.5, b"bytes", ["text"]),
    "record": (None, "x", 12, {}, ()),
    "sequence": (None, "abc", 12, {"a": 1}, (None,)),
    "mapping": (None, "x", [("a", 1)], {1: 2}, {"a": None}),
    "flag": (None, "yes", 1, 0.0, False),
    "date": (None, "2032-01-01", 20320101, AT),
}
_PATHS = {
    "count": _COUNTS,
    "year": _YEARS,
    "money": _MONEY,
    "text": _TEXTS,
    "record": _RECORDS,
    "sequence": _SEQUENCES,
    "mapping": _MAPPINGS,
    "flag": _FLAGS,
    "date": ["full_minimum_wage_on"],
}
_MALFORMED = [
    (path, value) for kind, paths in _PATHS.items() for path in paths for value in _BAD[kind]
]


@pytest.mark.cite(
    "15(b)(1)",
    "15(b)(2)",
    "15(b)(3)",
    "15(b)(4)",
    "15(b)(5)",
    "15(b)(6)",
    "15(b)(7)",
    "15(b)(8)",
    "15(b)(9)",
    "15(b)(10)",
    "15(b)(11)",
    "15(b)(12)",
    "15(b)(13)",
    "15(b)(14)",
    "15(h)",
)
@pytest.mark.parametrize(
    ("path", "value"), _MALFORMED, ids=[f"{p}={v!r}"[:60] for p, v in _MALFORMED]
)
def test_every_malformed_field_is_a_cited_problem_never_an_exception(
    app: Application, path: str, value: object
) -> None:
    problems = problems_of(replace_path(app, path, value))
    mine = [p for p in problems if p.field.startswith(path.split("[")[0])]
    assert mine, f"no problem for {path}"
    for problem in problems:
        assert problem.cites
        assert set(problem.cites) <= set(CITES)
        assert problem.reason
        assert problem.hint
    assert any(p.severity is Severity.ERROR for p in mine)


@pytest.mark.cite("15(b)(1)", "15(b)(13)")
def test_a_naive_application_instant_is_refused(app: Application) -> None:
    with pytest.raises(InvalidInput, match="naive"):
        problems_of(app, dt.datetime(2030, 9, 15, 10, 30))  # noqa: DTZ001 - the naive instant under test


# -- data ------------------------------------------------------------------------------


@pytest.mark.cite("15(b)(1)", "15(b)(5)", "15(b)(9)", "15(b)(13)", "15(h)")
@given(case=submitted_applications())
def test_an_application_survives_json_exactly(case: tuple[pendulum.DateTime, Application]) -> None:
    _, app = case
    assert app == application_from_data(json.loads(json.dumps(application_to_data(app))))


@pytest.mark.cite("15(b)(3)", "15(h)")
def test_money_is_written_as_a_string_of_dollars_and_cents(app: Application) -> None:
    data = application_to_data(app)
    assert ("25000.00", "6.10") == (data["amount_requested"], data["wages_14c"]["average"])


@pytest.mark.cite("15(b)(1)", "15(b)(13)", "15(h)")
def test_malformed_data_lists_every_problem_with_its_path_and_cite(app: Application) -> None:
    data = application_to_data(app)
    data["amount_requested"] = 25000.5
    data["employees_14c"] = "18"
    data["full_minimum_wage_on"] = "someday"
    data["history_5"][2]["fiscal_year"] = None
    del data["coordination"]
    data["surplus"] = 1
    with pytest.raises(InvalidInput) as caught:
        application_from_data(data)
    expected = [
        ("surplus", ("15(b)(14)",)),
        ("amount_requested", ("15(h)",)),
        ("employees_14c", ("15(b)(1)",)),
        ("history_5[2].fiscal_year", ("15(b)(5)",)),
        ("coordination", ("15(b)(10)",)),
        ("full_minimum_wage_on", ("15(b)(13)",)),
    ]
    assert expected == [(p.field, p.cites) for p in caught.value.problems]


@pytest.mark.cite("15(b)(3)", "15(h)")
def test_an_application_that_does_not_hold_its_declared_types_is_not_written(
    app: Application,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        application_to_data(replace_path(app, "wages_14c.average", 6.1))
    assert ["wages_14c.average"] == [p.field for p in caught.value.problems]


@pytest.mark.cite("15(b)(1)", "15(b)(7)", "15(b)(9)")
@given(
    key=st.sampled_from([f.name for f in attrs.fields(Application)] + ["unknown"]),
    value=json_values(),
)
def test_reading_any_json_value_in_any_field_raises_nothing_but_invalid_input(
    key: str, value: object
) -> None:
    data = application_to_data(valid_application())
    data[key] = value
    problems: tuple[Problem, ...] = ()
    try:
        application_from_data(data)
    except InvalidInput as error:
        problems = error.problems
    assert all(set(p.cites) <= set(CITES) for p in problems)


@pytest.mark.cite("15(b)(1)")
@pytest.mark.parametrize("data", [None, [], "application", 12])
def test_data_that_is_not_an_object_is_refused(data: object) -> None:
    with pytest.raises(InvalidInput):
        application_from_data(data)


@pytest.mark.cite("15(b)(9)", "15(f)")
def test_the_quarters_follow_the_grant_period_of_the_rules(app: Application) -> None:
    two_years = attrs.evolve(Rules.illinois(), grant_period_years=2)
    problems = problems_of(app, rules=two_years)
    assert [f"timeline[{i}].quarter" for i in range(8, 12)] == fields_of(problems)
