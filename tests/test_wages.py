"""Section 15(l): the phase-out floor, and the findings of check_wages."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from choice_workflow.cites import CITES
from choice_workflow.domain.wages import (
    Floor,
    Headcount,
    WageFinding,
    WageFindingKind,
    WageRecord,
    check_wages,
    floor_on,
    years_after,
)
from choice_workflow.errors import InvalidInput
from choice_workflow.rules import Base2, Rules

ILLINOIS = Rules.illinois()
FEDERAL_BASE = attrs.evolve(ILLINOIS, base2=Base2.FEDERAL_MINIMUM)
COMPETITIVE = ('10 "Competitive employment"', "15(a)(2)")


def wage(
    hourly: str,
    paid_on: dt.date = dt.date(2031, 6, 1),
    *,
    employee_id: str = "emp-0001",
    has_disability: bool = True,
    **fields: object,
) -> WageRecord:
    return WageRecord(
        employee_id=employee_id,
        paid_on=paid_on,
        hourly=Decimal(hourly),
        has_disability=has_disability,
        **fields,  # type: ignore[arg-type]  # the optional fields, typed by WageRecord
    )


def floor(day: dt.date, rules: Rules = ILLINOIS, committed: dt.date | None = None) -> Floor:
    return floor_on(day, rules, committed_full_minimum_on=committed)


def check(
    *records: WageRecord,
    rules: Rules = ILLINOIS,
    committed: dt.date | None = None,
    started: dt.date | None = None,
) -> tuple[WageFinding, ...]:
    return check_wages(
        records, rules=rules, committed_full_minimum_on=committed, transition_started_on=started
    )


def kinds(findings: tuple[WageFinding, ...]) -> list[WageFindingKind]:
    return [f.kind for f in findings]


# -- the floor ------------------------------------------------------------------------


@pytest.mark.cite("15(l)")
def test_nine_dollars_in_june_2031_is_below_the_floor_on_the_illinois_base() -> None:
    day = dt.date(2031, 6, 1)

    assert Decimal("10.50") == floor(day).amount  # 70% of $15.00
    (finding,) = check(wage("9.00", day))

    assert WageFindingKind.BELOW_FLOOR == finding.kind
    assert ("15(l)",) == finding.cites
    assert (Decimal("9.00"), Decimal("10.50")) == (finding.amount, finding.floor)
    assert ("emp-0001", day) == (finding.employee_id, finding.paid_on)
    assert "$10.50" in finding.message
    assert "70% of $15.00" in finding.message


@pytest.mark.cite("15(l)")
def test_nine_dollars_in_june_2031_is_above_the_floor_on_the_federal_base() -> None:
    day = dt.date(2031, 6, 1)
    result = floor(day, FEDERAL_BASE)

    assert Decimal("5.08") == result.amount  # 70% of $7.25 = $5.075, rounded up
    assert "15(l)(2)" == result.item
    assert () == check(wage("9.00", day), rules=FEDERAL_BASE)


@pytest.mark.cite("15(l)")
@pytest.mark.parametrize("rules", [ILLINOIS, FEDERAL_BASE], ids=["illinois", "federal"])
def test_before_the_first_anniversary_the_floor_is_sixty_percent_of_the_federal_minimum(
    rules: Rules,
) -> None:
    result = floor(dt.date(2030, 6, 1), rules)

    assert Decimal("4.35") == result.amount  # 60% of $7.25
    assert ("15(l)(1)", "15(l)") == (result.item, result.cite)
    assert "the federal minimum wage" == result.governing.basis


@pytest.mark.cite("15(l)")
def test_a_floor_that_is_not_a_whole_cent_is_rounded_up() -> None:
    # 90% of $7.25 is $6.525.
    assert Decimal("6.53") == floor(dt.date(2033, 1, 1), FEDERAL_BASE).amount


ANNIVERSARIES = [
    # day, Illinois base (amount, item), federal base (amount, item)
    ("2030-12-31", "4.35", "15(l)(1)", "4.35", "15(l)(1)"),
    ("2031-01-01", "10.50", "15(l)(2)", "5.08", "15(l)(2)"),
    ("2031-12-31", "10.50", "15(l)(2)", "5.08", "15(l)(2)"),
    ("2032-01-01", "12.00", "15(l)(3)", "5.80", "15(l)(3)"),
    ("2032-12-31", "12.00", "15(l)(3)", "5.80", "15(l)(3)"),
    ("2033-01-01", "13.50", "15(l)(4)", "6.53", "15(l)(4)"),
]


@pytest.mark.cite("15(l)")
@pytest.mark.parametrize(("day", "illinois", "item", "federal", "federal_item"), ANNIVERSARIES)
def test_each_phase_step_starts_on_its_anniversary_and_not_the_day_before(
    day: str, illinois: str, item: str, federal: str, federal_item: str
) -> None:
    on = dt.date.fromisoformat(day)

    assert (Decimal(illinois), item) == (floor(on).amount, floor(on).item)
    assert (Decimal(federal), federal_item) == (
        floor(on, FEDERAL_BASE).amount,
        floor(on, FEDERAL_BASE).item,
    )


@pytest.mark.cite("15(l)")
@pytest.mark.parametrize(
    ("day", "at_floor", "below"),
    [
        ("2030-12-31", "4.35", "4.34"),
        ("2031-01-01", "10.50", "10.49"),
        ("2032-01-01", "12.00", "11.99"),
        ("2033-01-01", "13.50", "13.49"),
    ],
)
def test_a_wage_at_the_floor_is_allowed_and_one_cent_below_is_a_finding(
    day: str, at_floor: str, below: str
) -> None:
    on = dt.date.fromisoformat(day)

    assert () == check(wage(at_floor, on))
    assert [WageFindingKind.BELOW_FLOOR] == kinds(check(wage(below, on)))


@pytest.mark.cite("15(l)")
def test_ten_dollars_on_new_years_eve_2030_is_fine_and_on_new_years_day_2031_is_not() -> None:
    assert () == check(wage("10.00", dt.date(2030, 12, 31)))
    assert [WageFindingKind.BELOW_FLOOR] == kinds(check(wage("10.00", dt.date(2031, 1, 1))))


@pytest.mark.cite("15(l)")
def test_every_item_in_force_is_listed_in_the_order_of_the_act() -> None:
    result = floor(dt.date(2033, 1, 1))

    assert ["15(l)(1)", "15(l)(2)", "15(l)(3)", "15(l)(4)"] == [t.label for t in result.terms]
    assert [Decimal("4.35"), Decimal("10.50"), Decimal("12.00"), Decimal("13.50")] == [
        t.amount for t in result.terms
    ]
    assert [dt.date(2030, 1, 1), dt.date(2031, 1, 1), dt.date(2032, 1, 1)] == [
        t.since for t in result.terms[:3]
    ]


@pytest.mark.cite("15(b)(13)", "15(l)")
def test_the_committed_date_raises_the_floor_to_the_full_minimum_from_that_day() -> None:
    committed = dt.date(2032, 6, 1)
    before = floor(dt.date(2032, 5, 31), committed=committed)
    on = floor(committed, committed=committed)

    assert (Decimal("12.00"), "15(l)(3)") == (before.amount, before.item)
    assert (Decimal("15.00"), "15(b)(13)", "15(b)(13)") == (on.amount, on.item, on.cite)


@pytest.mark.cite("15(b)(13)", "15(l)")
def test_below_the_full_minimum_after_the_committed_date_cites_both_clauses() -> None:
    committed = dt.date(2032, 6, 1)

    assert () == check(wage("14.00", dt.date(2032, 5, 31)), committed=committed)
    (finding,) = check(wage("14.99", committed), committed=committed)
    assert ("15(b)(13)", "15(l)") == finding.cites
    assert Decimal("15.00") == finding.floor


@pytest.mark.cite("15(b)(13)")
def test_the_committed_item_uses_the_applicable_minimum_even_on_the_federal_base() -> None:
    committed = dt.date(2031, 3, 1)

    assert Decimal("15.00") == floor(committed, FEDERAL_BASE, committed).amount


@pytest.mark.cite("15(l)")
def test_base_one_is_the_federal_acts_rate_from_its_enactment() -> None:
    rules = attrs.evolve(
        ILLINOIS, federal_act_enacted=dt.date(2030, 7, 1), federal_act_rate=Decimal("12.00")
    )
    before, on = floor(dt.date(2030, 6, 30), rules), floor(dt.date(2030, 7, 1), rules)

    assert Decimal("4.35") == before.amount
    assert Decimal("7.20") == on.amount  # 60% of $12.00
    assert "federal Competitive Integrated Employment" in on.governing.basis


@pytest.mark.cite("15(l)", "99")
def test_there_is_no_floor_before_the_act_takes_effect() -> None:
    with pytest.raises(InvalidInput) as info:
        floor(dt.date(2029, 12, 31))

    assert ("15(l)", "99") == info.value.problems[0].cites
    assert () == check(wage("1.00", dt.date(2029, 12, 31), baseline_14c=Decimal("3.00")))


@pytest.mark.cite("15(l)")
def test_a_datetime_is_not_a_day() -> None:
    with pytest.raises(InvalidInput) as info:
        floor_on(dt.datetime(2031, 1, 1, tzinfo=dt.UTC), ILLINOIS, committed_full_minimum_on=None)

    assert "day" == info.value.problems[0].field


@pytest.mark.cite("15(l)")
def test_one_year_after_a_leap_day_is_february_28() -> None:
    assert dt.date(2033, 2, 28) == years_after(dt.date(2032, 2, 29), 1)
    assert dt.date(2033, 1, 1) == years_after(dt.date(2030, 1, 1), 3)


@pytest.mark.cite("15(l)")
def test_only_employees_with_a_disability_are_judged_against_the_phase_out_floor() -> None:
    assert () == check(wage("9.00", has_disability=False))


# -- the 14(c) baseline ---------------------------------------------------------------


@pytest.mark.cite("15(l)")
def test_a_wage_below_the_employees_own_baseline_is_a_finding() -> None:
    record = wage("11.00", baseline_14c=Decimal("11.25"))

    (finding,) = check(record)
    assert WageFindingKind.BELOW_BASELINE == finding.kind
    assert ("15(l)",) == finding.cites
    assert Decimal("11.25") == finding.floor
    assert "not reduced below that baseline" in finding.message
    assert "shall not be changed" in finding.message


@pytest.mark.cite("15(l)")
@pytest.mark.parametrize("hourly", ["11.25", "12.00"])
def test_a_wage_at_or_above_the_baseline_is_no_change_the_act_forbids(hourly: str) -> None:
    assert () == check(wage(hourly, baseline_14c=Decimal("11.25")))


# -- after the transition: 15(a) ------------------------------------------------------


@pytest.mark.cite("15(a)(1)")
def test_below_the_federal_minimum_is_a_finding_from_the_day_the_transition_started() -> None:
    started = dt.date(2030, 8, 1)
    before = wage("7.00", dt.date(2030, 7, 31), has_disability=False)
    on = wage("7.00", started, has_disability=False)

    assert () == check(before, started=started)
    (finding,) = check(on, started=started)
    assert (WageFindingKind.BELOW_FEDERAL_MINIMUM, ("15(a)(1)",)) == (finding.kind, finding.cites)
    assert Decimal("7.25") == finding.floor
    assert () == check(on)  # no transition, no 15(a)(1) finding


@pytest.mark.cite('10 "Competitive employment"', "15(a)(2)")
def test_below_the_customary_rate_after_the_transition_is_a_finding() -> None:
    record = wage("15.00", dt.date(2032, 6, 1), customary_rate=Decimal("16.50"))

    assert () == check(record)
    (finding,) = check(record, started=dt.date(2032, 1, 1))
    assert (WageFindingKind.BELOW_CUSTOMARY_RATE, COMPETITIVE) == (finding.kind, finding.cites)
    assert Decimal("16.50") == finding.floor
    assert () == check(
        wage("16.50", dt.date(2032, 6, 1), customary_rate=Decimal("16.50")),
        started=dt.date(2032, 1, 1),
    )


@pytest.mark.cite('10 "Competitive employment"', "15(a)(2)")
def test_a_benefit_package_below_the_common_one_after_the_transition_is_a_finding() -> None:
    unequal = wage("15.00", dt.date(2032, 6, 1), benefits_equal=False)
    started = dt.date(2032, 1, 1)

    (finding,) = check(unequal, started=started)
    assert (WageFindingKind.BENEFITS_NOT_EQUAL, COMPETITIVE, None) == (
        finding.kind,
        finding.cites,
        finding.floor,
    )
    assert "cost of care for a disability" in finding.message
    assert () == check(attrs.evolve(unequal, benefits_equal=True), started=started)
    assert () == check(attrs.evolve(unequal, benefits_equal=None), started=started)
    assert () == check(unequal)


@pytest.mark.cite("15(l)", "15(a)(1)", '10 "Competitive employment"', "15(a)(2)")
def test_one_record_can_carry_every_finding_in_a_fixed_order() -> None:
    record = wage(
        "7.00",
        dt.date(2031, 6, 1),
        baseline_14c=Decimal("7.10"),
        customary_rate=Decimal("15.00"),
        benefits_equal=False,
    )

    assert [
        WageFindingKind.BELOW_FLOOR,
        WageFindingKind.BELOW_BASELINE,
        WageFindingKind.BELOW_FEDERAL_MINIMUM,
        WageFindingKind.BELOW_CUSTOMARY_RATE,
        WageFindingKind.BENEFITS_NOT_EQUAL,
    ] == kinds(check(record, started=dt.date(2031, 1, 1)))


@pytest.mark.cite("15(l)")
def test_every_cite_of_a_finding_is_a_cite_of_the_act() -> None:
    record = wage(
        "7.00", baseline_14c=Decimal("8.00"), customary_rate=Decimal("15.00"), benefits_equal=False
    )
    findings = check(record, committed=dt.date(2031, 1, 1), started=dt.date(2031, 1, 1))

    assert 5 == len(findings)
    assert all(c in CITES for f in findings for c in f.cites)


@pytest.mark.cite("15(l)")
def test_a_finding_turns_into_json_ready_data() -> None:
    (finding,) = check(wage("9.00"))

    data = json.loads(json.dumps(finding.to_data()))
    assert {
        "employee_id": "emp-0001",
        "paid_on": "2031-06-01",
        "kind": "below_floor",
        "cites": ["15(l)"],
        "message": finding.message,
        "amount": "9.00",
        "floor": "10.50",
    } == data


# -- 15(m): nothing here touches a certificate ----------------------------------------


@pytest.mark.cite("15(m)", "25")
def test_check_wages_returns_findings_only_and_leaves_its_inputs_unchanged() -> None:
    records = [
        wage("9.00", baseline_14c=Decimal("9.50"), benefits_equal=False),
        wage("20.00", employee_id="emp-0002"),
    ]
    kept = copy.deepcopy(records)
    fingerprint = ILLINOIS.fingerprint

    findings = check(*records, started=dt.date(2031, 1, 1))

    assert isinstance(findings, tuple)
    assert findings
    assert all(isinstance(f, WageFinding) for f in findings)
    assert kept == records
    assert fingerprint == ILLINOIS.fingerprint
    assert findings == check(*records, started=dt.date(2031, 1, 1))


# -- the records ----------------------------------------------------------------------


@pytest.mark.cite("15(l)")
def test_a_wage_record_refuses_a_float_a_blank_id_and_an_instant_at_once() -> None:
    with pytest.raises(InvalidInput) as info:
        WageRecord(
            employee_id=" ",
            paid_on=dt.datetime(2031, 6, 1, tzinfo=dt.UTC),
            hourly=9.0,  # type: ignore[arg-type]  # a float, refused on purpose
            has_disability=True,
        )

    assert ["employee_id", "paid_on", "hourly"] == [p.field for p in info.value.problems]
    assert "Decimal" in info.value.problems[2].hint


@pytest.mark.cite("15(l)", '10 "Competitive employment"')
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hourly": Decimal("-1.00")}, "hourly"),
        ({"hourly": Decimal("9.001")}, "hourly"),
        ({"baseline_14c": Decimal("NaN")}, "baseline_14c"),
        ({"customary_rate": "15.00"}, "customary_rate"),
        ({"has_disability": 1}, "has_disability"),
        ({"benefits_equal": "yes"}, "benefits_equal"),
    ],
)
def test_a_wage_record_refuses_each_malformed_field(fields: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "employee_id": "emp-0001",
        "paid_on": dt.date(2031, 6, 1),
        "hourly": Decimal("15.00"),
        "has_disability": True,
        **fields,
    }
    with pytest.raises(InvalidInput) as info:
        WageRecord(**values)  # type: ignore[arg-type]  # malformed on purpose

    assert [field] == [p.field for p in info.value.problems]


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ((10, 11, 0), "employees_with_disability"),
        ((10, 5, 6), "at_or_above_minimum"),
        ((-1, 0, 0), "employees"),
        ((10, True, 0), "employees_with_disability"),
    ],
)
def test_a_headcount_refuses_counts_that_do_not_nest(
    counts: tuple[int, int, int], field: str
) -> None:
    employees, with_disability, at_minimum = counts
    with pytest.raises(InvalidInput) as info:
        Headcount(
            quarter_start=dt.date(2031, 1, 1),
            employees=employees,
            employees_with_disability=with_disability,
            at_or_above_minimum=at_minimum,
        )

    assert field == info.value.problems[0].field


@pytest.mark.cite("15(l)")
def test_check_wages_refuses_what_is_not_a_wage_record() -> None:
    with pytest.raises(InvalidInput) as info:
        check_wages(
            [{"hourly": "9.00"}],  # type: ignore[list-item]  # not a record, on purpose
            rules=ILLINOIS,
            committed_full_minimum_on=None,
            transition_started_on=None,
        )

    assert "records[0]" == info.value.problems[0].field


# -- properties -----------------------------------------------------------------------

DAYS = st.dates(dt.date(2030, 1, 1), dt.date(2037, 12, 31))


@st.composite
def phase_out_rules(draw: st.DrawFn) -> Rules:
    """The Act's Rules with any base (2) reading and, maybe, an enacted federal Act whose
    rate is not below the federal minimum wage."""
    rules = attrs.evolve(ILLINOIS, base2=draw(st.sampled_from(Base2)))
    if draw(st.booleans()):
        cents = draw(st.integers(725, 3000))
        rules = attrs.evolve(
            rules,
            federal_act_enacted=draw(st.dates(dt.date(2025, 1, 1), dt.date(2037, 12, 31))),
            federal_act_rate=Decimal(cents) / 100,
        )
    return rules


@pytest.mark.cite("15(l)")
@given(
    rules=phase_out_rules(),
    committed=st.none() | st.dates(dt.date(2030, 7, 1), dt.date(2036, 12, 31)),
    days=st.lists(DAYS, min_size=2, max_size=2).map(sorted),
)
def test_the_floor_never_decreases_over_time(
    rules: Rules, committed: dt.date | None, days: list[dt.date]
) -> None:
    earlier, later = days

    assert floor(earlier, rules, committed).amount <= floor(later, rules, committed).amount


@pytest.mark.cite("15(l)")
@given(
    rules=phase_out_rules(),
    committed=st.none() | st.dates(dt.date(2030, 7, 1), dt.date(2036, 12, 31)),
    day=DAYS,
)
def test_the_floor_is_never_below_sixty_percent_of_the_federal_minimum(
    rules: Rules, committed: dt.date | None, day: dt.date
) -> None:
    result = floor(day, rules, committed)

    assert result.amount >= Decimal("0.60") * rules.federal_minimum_on(day)
    assert result.amount == max(t.amount for t in result.terms)
    assert result.amount == result.amount.quantize(Decimal("0.01"))


@pytest.mark.cite("15(l)")
@given(day=DAYS, cents=st.integers(0, 3000))
def test_a_floor_finding_exactly_when_the_wage_is_below_the_floor(day: dt.date, cents: int) -> None:
    hourly = Decimal(cents) / 100
    findings = check(wage(str(hourly), day))

    assert (hourly < floor(day).amount) == (WageFindingKind.BELOW_FLOOR in kinds(findings))
