"""Rules: the Act's numbers and dates, the readings, validation and the canonical form."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from choice_workflow.errors import ChoiceWorkflowError, InvalidInput, RulesError
from choice_workflow.rules import (
    FEDERAL_MINIMUM_WAGE,
    ILLINOIS_COUNTIES_V1,
    ILLINOIS_MINIMUM_WAGE,
    LEGACY,
    AwardCounts,
    Base2,
    FundsLeft,
    NextApplicant,
    PeriodStart,
    PhaseStep,
    Rules,
    Shortfall,
    WageStep,
    WindowStart,
)


@pytest.fixture(name="rules")
def fixture_rules() -> Rules:
    return Rules.illinois()


# -- the Act as written ---------------------------------------------------------------


@pytest.mark.cite("99")
def test_the_act_takes_effect_on_january_1_2030_read_in_chicago(rules: Rules) -> None:
    assert dt.date(2030, 1, 1) == rules.effective_date
    assert "America/Chicago" == rules.timezone


@pytest.mark.cite("15(a)")
def test_the_first_award_date_is_july_1_2030(rules: Rules) -> None:
    assert dt.date(2030, 7, 1) == rules.first_award_date


@pytest.mark.cite("15(h)")
def test_an_award_is_between_10000_and_50000_dollars(rules: Rules) -> None:
    assert Decimal("10000.00") == rules.min_award
    assert Decimal("50000.00") == rules.max_award
    assert isinstance(rules.min_award, Decimal)
    assert isinstance(rules.max_award, Decimal)


@pytest.mark.cite("15(f)")
def test_a_grant_runs_3_years_of_12_quarters_in_2_cycles_the_second_after_2_years(
    rules: Rules,
) -> None:
    assert 3 == rules.grant_period_years
    assert 12 == rules.quarters
    assert PeriodStart.ACCEPTANCE == rules.grant_period_starts
    assert 2 == rules.cycles
    assert 2 == rules.second_cycle_after_years


@pytest.mark.cite("15(j)")
def test_the_acceptance_window_is_48_hours_from_the_confirmed_notice(rules: Rules) -> None:
    assert dt.timedelta(hours=48) == rules.acceptance_window
    assert WindowStart.NOTICE == rules.acceptance_window_starts


@pytest.mark.cite("15(i)")
def test_a_transition_may_start_48_hours_before_the_notice_with_no_upper_bound(
    rules: Rules,
) -> None:
    assert dt.timedelta(hours=48) == rules.transition_start_before
    assert rules.transition_start_after is None


@pytest.mark.cite("15(l)")
def test_the_phase_out_floors_are_60_then_70_80_90_percent(rules: Rules) -> None:
    assert Decimal("60") == rules.base1_percent
    assert (
        PhaseStep(1, Decimal("70")),
        PhaseStep(2, Decimal("80")),
        PhaseStep(3, Decimal("90")),
    ) == rules.phase_steps
    assert rules.federal_act_enacted is None
    assert rules.federal_act_rate is None
    assert Base2.APPLICABLE_MINIMUM == rules.base2


@pytest.mark.cite("10(3)", "15(g)")
def test_by_default_an_approval_counts_as_the_one_grant(rules: Rules) -> None:
    assert AwardCounts.APPROVED == rules.award_counts


@pytest.mark.cite("10(1)")
def test_by_default_the_state_authorization_is_required(rules: Rules) -> None:
    assert rules.require_state_authorization is True


@pytest.mark.cite("15(b)(5)", "15(b)(6)")
def test_fiscal_years_start_on_july_1(rules: Rules) -> None:
    assert (7, 1) == (rules.fiscal_year_start_month, rules.fiscal_year_start_day)


@pytest.mark.cite("20(b)")
def test_the_final_report_is_due_18_months_after_the_effective_date(rules: Rules) -> None:
    assert 18 == rules.final_report_months


@pytest.mark.cite("35(c)")
def test_the_task_force_reports_every_year(rules: Rules) -> None:
    assert 1 == rules.task_force_report_years


@pytest.mark.cite('10 "Eligible employer"')
def test_fewer_than_4_employees_is_the_small_employer_warning(rules: Rules) -> None:
    assert 4 == rules.small_employer_warning_below


# -- minimum wages ----------------------------------------------------------------------


@pytest.mark.cite("15(a)(1)", "15(l)")
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2009, 7, 23), Decimal("6.55")),
        (dt.date(2009, 7, 24), Decimal("7.25")),
        (dt.date(2030, 7, 1), Decimal("7.25")),
    ],
)
def test_the_federal_minimum_wage_is_725_from_july_24_2009(
    rules: Rules, day: dt.date, expected: Decimal
) -> None:
    assert expected == rules.federal_minimum_on(day)


@pytest.mark.cite("15(a)(1)")
def test_a_day_before_the_federal_table_is_refused(rules: Rules) -> None:
    with pytest.raises(RulesError) as info:
        rules.federal_minimum_on(dt.date(2007, 7, 23))
    assert [("15(a)(1)",)] == [p.cites for p in info.value.problems]
    assert "federal_minimum_wage" == info.value.problems[0].field


@pytest.mark.cite("15(b)(5)", "15(l)")
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2008, 6, 30), None),
        (dt.date(2024, 12, 31), Decimal("14.00")),
        (dt.date(2025, 1, 1), Decimal("15.00")),
        (dt.date(2035, 1, 1), Decimal("15.00")),
    ],
)
def test_the_illinois_minimum_wage_is_15_from_january_1_2025(
    rules: Rules, day: dt.date, expected: Decimal | None
) -> None:
    assert expected == rules.illinois_minimum_on(day)


@pytest.mark.cite("15(b)(5)", "15(l)")
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Before the Illinois table starts only the federal rate is known.
        (dt.date(2008, 6, 30), Decimal("5.85")),
        (dt.date(2024, 12, 31), Decimal("14.00")),
        (dt.date(2030, 7, 1), Decimal("15.00")),
    ],
)
def test_the_applicable_minimum_is_the_higher_of_federal_and_illinois(
    rules: Rules, day: dt.date, expected: Decimal
) -> None:
    assert expected == rules.applicable_minimum_on(day)


@pytest.mark.cite("15(b)(5)", "15(l)")
def test_the_federal_rate_applies_where_it_is_the_higher(rules: Rules) -> None:
    low_state = attrs.evolve(
        rules, illinois_minimum_wage=(WageStep(dt.date(2009, 1, 1), Decimal("5.00")),)
    )
    assert Decimal("5.00") == low_state.illinois_minimum_on(dt.date(2030, 7, 1))
    assert Decimal("7.25") == low_state.applicable_minimum_on(dt.date(2030, 7, 1))


# -- validation -------------------------------------------------------------------------


# Floats where Decimals belong: typed Any so that the type checker lets the mistake through,
# as it would in a caller's untyped code.
FLOAT_RATE: Any = 15.0
FLOAT_PERCENT: Any = 70.0


def _too_early_table() -> tuple[WageStep, ...]:
    return (
        WageStep(dt.date(2025, 1, 1), Decimal("15.00")),
        WageStep(dt.date(2024, 1, 1), Decimal("14.00")),
    )


INVALID: list[Any] = [
    pytest.param({"min_award": Decimal("60000.00")}, ("15(h)",), "min_award", id="min-above-max"),
    pytest.param({"min_award": 10000.0}, ("15(h)",), "min_award", id="float-min"),
    pytest.param({"max_award": 50000}, ("15(h)",), "max_award", id="int-max"),
    pytest.param({"max_award": Decimal("50000.005")}, ("15(h)",), "max_award", id="sub-cent"),
    pytest.param({"min_award": Decimal("-1.00")}, ("15(h)",), "min_award", id="negative-min"),
    pytest.param({"max_award": Decimal("NaN")}, ("15(h)",), "max_award", id="nan-max"),
    pytest.param({"max_award": Decimal("1E+40")}, ("15(h)",), "max_award", id="huge-max"),
    pytest.param({"grant_period_years": 0}, ("15(f)",), "grant_period_years", id="period-0"),
    pytest.param({"grant_period_years": 3.0}, ("15(f)",), "grant_period_years", id="period-float"),
    pytest.param({"cycles": 3}, ("15(f)",), "cycles", id="3-cycles"),
    pytest.param({"cycles": 0}, ("15(f)",), "cycles", id="0-cycles"),
    pytest.param(
        {"second_cycle_after_years": -1}, ("15(f)",), "second_cycle_after_years", id="cycle-2-early"
    ),
    pytest.param(
        {"grant_period_starts": "approval"}, ("15(f)",), "grant_period_starts", id="period-str"
    ),
    pytest.param(
        {"acceptance_window": dt.timedelta(hours=-1)},
        ("15(j)",),
        "acceptance_window",
        id="negative-window",
    ),
    pytest.param(
        {"acceptance_window": dt.timedelta(hours=48, microseconds=1)},
        ("15(j)",),
        "acceptance_window",
        id="window-microsecond",
    ),
    pytest.param({"acceptance_window": 48}, ("15(j)",), "acceptance_window", id="window-int"),
    pytest.param(
        {"acceptance_window_starts": "notice"},
        ("15(j)",),
        "acceptance_window_starts",
        id="window-start-str",
    ),
    pytest.param(
        {"transition_start_before": dt.timedelta(seconds=-1)},
        ("15(i)",),
        "transition_start_before",
        id="negative-before",
    ),
    pytest.param(
        {"transition_start_after": dt.timedelta(hours=-2)},
        ("15(i)",),
        "transition_start_after",
        id="negative-after",
    ),
    pytest.param(
        {"transition_start_after": 3600}, ("15(i)",), "transition_start_after", id="after-int"
    ),
    pytest.param({"base1_percent": Decimal("0")}, ("15(l)",), "base1_percent", id="percent-0"),
    pytest.param({"base1_percent": Decimal("101")}, ("15(l)",), "base1_percent", id="pct-101"),
    pytest.param({"base1_percent": 60.0}, ("15(l)",), "base1_percent", id="percent-float"),
    pytest.param(
        {"phase_steps": (PhaseStep(2, Decimal("80")), PhaseStep(1, Decimal("70")))},
        ("15(l)",),
        "phase_steps",
        id="steps-unsorted",
    ),
    pytest.param(
        {"phase_steps": (PhaseStep(1, Decimal("70")), PhaseStep(1, Decimal("80")))},
        ("15(l)",),
        "phase_steps",
        id="steps-repeated",
    ),
    pytest.param(
        {"phase_steps": (PhaseStep(1, FLOAT_PERCENT),)}, ("15(l)",), "phase_steps", id="step-float"
    ),
    pytest.param(
        {"phase_steps": (PhaseStep(1, Decimal("120")),)}, ("15(l)",), "phase_steps", id="step-120"
    ),
    pytest.param(
        {"federal_act_enacted": dt.date(2031, 1, 1)},
        ("15(l)",),
        "federal_act_rate",
        id="enacted-without-rate",
    ),
    pytest.param(
        {"federal_act_rate": Decimal("9.00")},
        ("15(l)",),
        "federal_act_rate",
        id="rate-without-enacted",
    ),
    pytest.param(
        {"federal_act_enacted": dt.date(2031, 1, 1), "federal_act_rate": 9.0},
        ("15(l)",),
        "federal_act_rate",
        id="rate-float",
    ),
    pytest.param(
        {"federal_act_enacted": "2031-01-01", "federal_act_rate": Decimal("9.00")},
        ("15(l)",),
        "federal_act_enacted",
        id="enacted-str",
    ),
    pytest.param({"base2": "federal_minimum"}, ("15(l)",), "base2", id="base2-str"),
    pytest.param(
        {"illinois_minimum_wage": _too_early_table()},
        ("15(l)",),
        "illinois_minimum_wage",
        id="unsorted-wage-table",
    ),
    pytest.param(
        {"federal_minimum_wage": ()}, ("15(l)",), "federal_minimum_wage", id="empty-wage-table"
    ),
    pytest.param(
        {
            "federal_minimum_wage": (
                WageStep(dt.date(2009, 7, 24), Decimal("7.25")),
                WageStep(dt.date(2009, 7, 24), Decimal("7.50")),
            )
        },
        ("15(l)",),
        "federal_minimum_wage",
        id="repeated-wage-date",
    ),
    pytest.param(
        {"illinois_minimum_wage": (WageStep(dt.date(2025, 1, 1), FLOAT_RATE),)},
        ("15(l)",),
        "illinois_minimum_wage",
        id="float-wage-rate",
    ),
    pytest.param(
        {"illinois_minimum_wage": [WageStep(dt.date(2025, 1, 1), Decimal("15.00"))]},
        ("15(l)",),
        "illinois_minimum_wage",
        id="wage-table-list",
    ),
    pytest.param({"award_counts": "accepted"}, ("15(g)", "10(3)"), "award_counts", id="counts-str"),
    pytest.param(
        {"require_state_authorization": "no"},
        ("10(1)",),
        "require_state_authorization",
        id="authorization-str",
    ),
    pytest.param(
        {"fiscal_year_start_month": 13}, ("15(b)(5)",), "fiscal_year_start_month", id="month-13"
    ),
    pytest.param(
        {"fiscal_year_start_month": "7"}, ("15(b)(5)",), "fiscal_year_start_month", id="month-str"
    ),
    pytest.param(
        {"fiscal_year_start_day": 29}, ("15(b)(5)",), "fiscal_year_start_day", id="day-29"
    ),
    pytest.param({"final_report_months": -1}, ("20(b)",), "final_report_months", id="report-neg"),
    pytest.param(
        {"task_force_report_years": 0}, ("35(c)",), "task_force_report_years", id="task-force-0"
    ),
    pytest.param(
        {"small_employer_warning_below": -1},
        ('10 "Eligible employer"',),
        "small_employer_warning_below",
        id="small-employer-negative",
    ),
    pytest.param({"timezone": "Mars/Olympus_Mons"}, ("99",), "timezone", id="bad-timezone"),
    pytest.param({"timezone": ""}, ("99",), "timezone", id="empty-timezone"),
    pytest.param({"timezone": None}, ("99",), "timezone", id="no-timezone"),
    pytest.param(
        {"effective_date": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)},
        ("99",),
        "effective_date",
        id="effective-datetime",
    ),
    pytest.param({"effective_date": "2030-01-01"}, ("99",), "effective_date", id="effective-str"),
    pytest.param(
        {"first_award_date": dt.date(2029, 12, 31)},
        ("15(a)",),
        "first_award_date",
        id="award-before-effective",
    ),
    pytest.param(
        {"first_award_date": dt.datetime(2030, 7, 1, tzinfo=dt.UTC)},
        ("15(a)",),
        "first_award_date",
        id="award-datetime",
    ),
]


@pytest.mark.cite("99")
@pytest.mark.parametrize(("changes", "cites", "field"), INVALID)
def test_an_invalid_setting_is_refused_with_its_cite_and_field(
    changes: dict[str, Any], cites: tuple[str, ...], field: str
) -> None:
    with pytest.raises(RulesError) as info:
        Rules(**changes)
    assert [(cites, field)] == [(p.cites, p.field) for p in info.value.problems]
    assert all(p.hint for p in info.value.problems)
    assert field in str(info.value)


@pytest.mark.cite("99")
@pytest.mark.parametrize(("changes", "cites", "field"), INVALID)
def test_evolve_refuses_the_same_invalid_setting(
    rules: Rules, changes: dict[str, Any], cites: tuple[str, ...], field: str
) -> None:
    with pytest.raises(RulesError) as info:
        attrs.evolve(rules, **changes)
    assert [(cites, field)] == [(p.cites, p.field) for p in info.value.problems]


@pytest.mark.cite("15(h)", "15(f)", "99")
def test_every_invalid_setting_is_reported_at_once() -> None:
    with pytest.raises(RulesError) as info:
        Rules(
            first_award_date=dt.date(2029, 1, 1),
            min_award=Decimal("60000.00"),
            cycles=3,
            timezone="Nowhere/Town",
        )
    expected = [
        ("15(a)", "first_award_date"),
        ("15(h)", "min_award"),
        ("15(f)", "cycles"),
        ("99", "timezone"),
    ]
    assert expected == [(p.cites[0], p.field) for p in info.value.problems]
    assert "(and 3 more)" in str(info.value)


def test_a_rules_error_is_an_invalid_input_of_the_library() -> None:
    with pytest.raises(RulesError) as info:
        Rules(cycles=3)
    assert isinstance(info.value, InvalidInput)
    assert isinstance(info.value, ChoiceWorkflowError)
    assert isinstance(info.value, ValueError)


@pytest.mark.cite("15(f)", "15(h)", "15(l)")
def test_the_boundary_values_the_act_allows_are_accepted() -> None:
    rules = Rules(
        cycles=1,
        min_award=Decimal("50000.00"),
        second_cycle_after_years=0,
        acceptance_window=dt.timedelta(0),
        transition_start_after=dt.timedelta(0),
        base1_percent=Decimal("100"),
        phase_steps=(),
        federal_act_enacted=dt.date(2031, 1, 1),
        federal_act_rate=Decimal("9.00"),
        fiscal_year_start_month=1,
        fiscal_year_start_day=28,
        small_employer_warning_below=0,
    )
    assert 1 == rules.cycles
    assert rules.min_award == rules.max_award


# -- readings ---------------------------------------------------------------------------


@pytest.mark.cite("10(3)", "15(g)", "10(1)", "15(j)")
def test_evolve_adopts_another_reading_and_leaves_the_original_alone(rules: Rules) -> None:
    other = attrs.evolve(
        rules,
        award_counts=AwardCounts.ACCEPTED,
        require_state_authorization=False,
        acceptance_window_starts=WindowStart.APPROVAL,
    )
    assert AwardCounts.ACCEPTED == other.award_counts
    assert other.require_state_authorization is False
    assert WindowStart.APPROVAL == other.acceptance_window_starts
    assert AwardCounts.APPROVED == rules.award_counts
    assert Rules.illinois() == rules
    assert rules != other
    unchanged = {"award_counts", "require_state_authorization", "acceptance_window_starts"}
    for field in attrs.fields(Rules):
        if field.name not in unchanged:
            assert getattr(rules, field.name) == getattr(other, field.name)


def test_rules_are_frozen(rules: Rules) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rules.cycles = 1  # type: ignore[misc]  # assigning to a frozen field is the point


# -- canonical form and fingerprint -------------------------------------------------------

ONE_CHANGE: dict[str, dict[str, Any]] = {
    "effective_date": {"effective_date": dt.date(2029, 7, 1)},
    "timezone": {"timezone": "America/New_York"},
    "first_award_date": {"first_award_date": dt.date(2030, 8, 1)},
    "min_award": {"min_award": Decimal("10000.01")},
    "max_award": {"max_award": Decimal("49999.99")},
    "grant_period_years": {"grant_period_years": 2},
    "grant_period_starts": {"grant_period_starts": PeriodStart.APPROVAL},
    "cycles": {"cycles": 1},
    "second_cycle_after_years": {"second_cycle_after_years": 3},
    "acceptance_window": {"acceptance_window": dt.timedelta(hours=48, seconds=1)},
    "acceptance_window_starts": {"acceptance_window_starts": WindowStart.APPROVAL},
    "transition_start_before": {"transition_start_before": dt.timedelta(hours=24)},
    "transition_start_after": {"transition_start_after": dt.timedelta(0)},
    "base1_percent": {"base1_percent": Decimal("60.5")},
    "phase_steps": {
        "phase_steps": (
            PhaseStep(1, Decimal("70")),
            PhaseStep(2, Decimal("80")),
            PhaseStep(3, Decimal("95")),
        )
    },
    "federal_act": {
        "federal_act_enacted": dt.date(2031, 1, 1),
        "federal_act_rate": Decimal("9.00"),
    },
    "base2": {"base2": Base2.FEDERAL_MINIMUM},
    "award_counts": {"award_counts": AwardCounts.ACCEPTED},
    "require_state_authorization": {"require_state_authorization": False},
    "fiscal_year_start_month": {"fiscal_year_start_month": 10},
    "fiscal_year_start_day": {"fiscal_year_start_day": 2},
    "final_report_months": {"final_report_months": 24},
    "task_force_report_years": {"task_force_report_years": 2},
    "small_employer_warning_below": {"small_employer_warning_below": 5},
    "required_other": {"required_other": ("board_resolution",)},
    "size_band_edges": {"size_band_edges": (5, 50)},
    "auto_approve_next": {"auto_approve_next": True},
    "shortfall": {"shortfall": Shortfall.PRO_RATA},
    "next_applicant": {"next_applicant": NextApplicant.WAITLIST},
    "funds_left": {"funds_left": FundsLeft.FURTHEST_BELOW},
    "county_table": {"county_table": ILLINOIS_COUNTIES_V1},
    "disbursement_quarters": {"disbursement_quarters": 6},
    "retention_years": {"retention_years": 7},
    "reviewer_cannot_approve": {"reviewer_cannot_approve": False},
    "dual_authorization_above": {"dual_authorization_above": Decimal("35000.00")},
    "federal_minimum_wage": {
        "federal_minimum_wage": (
            *FEDERAL_MINIMUM_WAGE,
            WageStep(dt.date(2031, 1, 1), Decimal("8.00")),
        )
    },
    "illinois_minimum_wage": {
        "illinois_minimum_wage": (
            *ILLINOIS_MINIMUM_WAGE[:-1],
            WageStep(dt.date(2025, 1, 1), Decimal("15.01")),
        )
    },
}


def test_the_fingerprint_cases_change_every_setting() -> None:
    changed = {name for changes in ONE_CHANGE.values() for name in changes}
    assert {f.name for f in attrs.fields(Rules)} == changed


def test_canonical_names_every_setting_with_json_values(rules: Rules) -> None:
    canonical = rules.canonical()
    assert {f.name for f in attrs.fields(Rules)} == set(canonical)
    # JSON-ready: no default= needed, and Decimals and dates are strings.
    assert canonical == json.loads(json.dumps(canonical))
    assert isinstance(canonical["min_award"], str)
    assert Decimal("10000") == Decimal(canonical["min_award"])
    assert "2030-01-01" == canonical["effective_date"]


def test_canonical_bytes_are_sorted_key_compact_json(rules: Rules) -> None:
    data = rules.canonical_bytes()
    decoded = json.loads(data.decode("utf-8"))
    assert sorted(decoded) == list(decoded)
    assert rules.canonical() == decoded
    expected = json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert expected.encode("utf-8") == data
    assert b": " not in data
    assert b", " not in data
    assert b"\n" not in data


def test_the_fingerprint_is_the_sha256_of_the_canonical_bytes(rules: Rules) -> None:
    assert hashlib.sha256(rules.canonical_bytes()).hexdigest() == rules.fingerprint
    assert 64 == len(rules.fingerprint)


def test_equal_rules_have_one_fingerprint(rules: Rules) -> None:
    assert rules.fingerprint == Rules.illinois().fingerprint
    same_values = Rules(
        min_award=Decimal("10000"),
        max_award=Decimal("50000.000"),
        base1_percent=Decimal("60.0"),
        phase_steps=(
            PhaseStep(1, Decimal("70.00")),
            PhaseStep(2, Decimal("80")),
            PhaseStep(3, Decimal("9E+1")),
        ),
    )
    assert rules == same_values
    assert rules.fingerprint == same_values.fingerprint
    there_and_back = attrs.evolve(attrs.evolve(rules, cycles=1), cycles=2)
    assert rules.fingerprint == there_and_back.fingerprint


@pytest.mark.parametrize("name", sorted(ONE_CHANGE))
def test_any_single_changed_setting_changes_the_fingerprint(rules: Rules, name: str) -> None:
    other = attrs.evolve(rules, **ONE_CHANGE[name])
    assert rules != other
    assert rules.fingerprint != other.fingerprint


def test_every_changed_setting_has_its_own_fingerprint(rules: Rules) -> None:
    fingerprints = {rules.fingerprint} | {
        attrs.evolve(rules, **changes).fingerprint for changes in ONE_CHANGE.values()
    }
    assert len(ONE_CHANGE) + 1 == len(fingerprints)


@pytest.mark.parametrize("name", sorted(ONE_CHANGE))
def test_evolved_rules_round_trip_through_their_canonical_json(rules: Rules, name: str) -> None:
    other = attrs.evolve(rules, **ONE_CHANGE[name])
    rebuilt = Rules.from_canonical(json.loads(other.canonical_bytes()))
    assert other == rebuilt
    assert other.fingerprint == rebuilt.fingerprint
    for field in attrs.fields(Rules):
        assert type(getattr(other, field.name)) is type(getattr(rebuilt, field.name))


def test_the_illinois_rules_round_trip(rules: Rules) -> None:
    assert rules == Rules.from_canonical(rules.canonical())


@pytest.mark.cite("99")
def test_from_canonical_refuses_unknown_settings(rules: Rules) -> None:
    data = rules.canonical() | {"zz_newer": 1, "aa_newer": 2}
    with pytest.raises(RulesError) as info:
        Rules.from_canonical(data)
    assert [(("99",), "rules")] == [(p.cites, p.field) for p in info.value.problems]
    assert "aa_newer, zz_newer" in str(info.value)


def test_from_canonical_fills_missing_settings_with_the_defaults(rules: Rules) -> None:
    older = attrs.evolve(rules, cycles=1, award_counts=AwardCounts.ACCEPTED)
    data = older.canonical()
    del data["small_employer_warning_below"]
    del data["illinois_minimum_wage"]
    rebuilt = Rules.from_canonical(data)
    assert older == rebuilt
    assert 1 == rebuilt.cycles
    assert attrs.evolve(rules, **LEGACY_VALUES) == Rules.from_canonical({})


LEGACY_VALUES: dict[str, Any] = {
    "shortfall": Shortfall.PRO_RATA,
    "funds_left": FundsLeft.FURTHEST_BELOW,
    "next_applicant": NextApplicant.WAITLIST,
    "county_table": ILLINOIS_COUNTIES_V1,
}


@pytest.mark.cite("15(j)")
def test_a_log_that_records_no_queue_settings_runs_by_what_older_versions_did(
    rules: Rules,
) -> None:
    data = rules.canonical()
    for name in LEGACY:
        del data[name]
    older = Rules.from_canonical(data)
    assert attrs.evolve(rules, **LEGACY_VALUES) == older
    assert older.fingerprint != rules.fingerprint
    assert set(LEGACY) == set(LEGACY_VALUES)


@pytest.mark.cite("99")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("min_award", "ten thousand"),
        ("effective_date", "January 1"),
        ("base2", "something_else"),
        ("phase_steps", [[1]]),
        ("acceptance_window", "48h"),
    ],
)
def test_from_canonical_refuses_an_unreadable_value(name: str, value: object) -> None:
    with pytest.raises(RulesError) as info:
        Rules.from_canonical({name: value})
    assert [(("99",), name)] == [(p.cites, p.field) for p in info.value.problems]


@pytest.mark.cite("15(f)")
def test_from_canonical_validates_what_it_reads(rules: Rules) -> None:
    with pytest.raises(RulesError) as info:
        Rules.from_canonical(rules.canonical() | {"cycles": 3})
    assert ["cycles"] == [p.field for p in info.value.problems]


# -- properties over many valid Rules -------------------------------------------------------


def _padded(value: Decimal, extra_places: int) -> Decimal:
    """The same number (of at most 2 places) written with more places: equal, other text."""
    return value.quantize(Decimal(1).scaleb(-2 - extra_places))


@st.composite
def valid_rules(draw: st.DrawFn) -> Rules:
    cents = st.integers(min_value=1, max_value=10_000_000)
    low, high = sorted(draw(st.lists(cents, min_size=2, max_size=2)))
    years = draw(st.lists(st.integers(0, 10), unique=True, max_size=4).map(sorted))
    percents = st.integers(1, 10_000).map(lambda n: Decimal(n).scaleb(-2))
    enacted = draw(st.none() | st.dates(dt.date(2030, 1, 1), dt.date(2040, 1, 1)))
    return Rules(
        min_award=Decimal(low).scaleb(-2),
        max_award=Decimal(high).scaleb(-2),
        grant_period_years=draw(st.integers(1, 5)),
        grant_period_starts=draw(st.sampled_from(PeriodStart)),
        cycles=draw(st.integers(1, 2)),
        second_cycle_after_years=draw(st.integers(0, 5)),
        acceptance_window=dt.timedelta(seconds=draw(st.integers(0, 10**7))),
        acceptance_window_starts=draw(st.sampled_from(WindowStart)),
        transition_start_before=dt.timedelta(seconds=draw(st.integers(0, 10**7))),
        transition_start_after=draw(
            st.none() | st.integers(0, 10**7).map(lambda s: dt.timedelta(seconds=s))
        ),
        base1_percent=draw(percents),
        phase_steps=tuple(PhaseStep(y, draw(percents)) for y in years),
        federal_act_enacted=enacted,
        federal_act_rate=None if enacted is None else Decimal(draw(cents)).scaleb(-2),
        base2=draw(st.sampled_from(Base2)),
        award_counts=draw(st.sampled_from(AwardCounts)),
        require_state_authorization=draw(st.booleans()),
        fiscal_year_start_month=draw(st.integers(1, 12)),
        fiscal_year_start_day=draw(st.integers(1, 28)),
        final_report_months=draw(st.integers(0, 60)),
        task_force_report_years=draw(st.integers(1, 3)),
        small_employer_warning_below=draw(st.integers(0, 10)),
        timezone=draw(st.sampled_from(["America/Chicago", "UTC", "America/New_York"])),
    )


@given(valid_rules())
def test_any_valid_rules_round_trip_through_canonical_json(rules: Rules) -> None:
    rebuilt = Rules.from_canonical(json.loads(rules.canonical_bytes()))
    assert rules == rebuilt
    assert rules.fingerprint == rebuilt.fingerprint


@given(valid_rules(), valid_rules())
def test_two_rules_share_a_fingerprint_exactly_when_they_are_equal(a: Rules, b: Rules) -> None:
    assert (a == b) == (a.fingerprint == b.fingerprint)


@given(valid_rules(), st.integers(min_value=1, max_value=4))
def test_the_same_amounts_written_with_more_places_keep_the_fingerprint(
    rules: Rules, extra: int
) -> None:
    same = attrs.evolve(
        rules,
        min_award=_padded(rules.min_award, extra),
        max_award=_padded(rules.max_award, extra),
        base1_percent=_padded(rules.base1_percent, extra),
        phase_steps=tuple(PhaseStep(s.years, _padded(s.percent, extra)) for s in rules.phase_steps),
        illinois_minimum_wage=tuple(
            WageStep(s.since, _padded(s.hourly, extra)) for s in rules.illinois_minimum_wage
        ),
    )
    assert rules == same
    assert rules.fingerprint == same.fingerprint
