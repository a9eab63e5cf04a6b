"""The Act's calendar: instants, the 48-hour windows, fiscal years, quarters, due dates.

Expected values come from the Act's text, from the stdlib (zoneinfo and UTC arithmetic)
or are written out by hand; never from the code under test.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pendulum
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from choice_workflow.errors import InvalidInput
from choice_workflow.rules import Rules
from choice_workflow.time import (
    FiscalYear,
    acceptance_deadline,
    cycle_two_earliest,
    ensure_instant,
    final_report_due,
    first_award_instant,
    fiscal_year,
    grant_period_end,
    grant_quarter,
    grant_quarters,
    local_midnight,
    plus,
    previous_fiscal_years,
    task_force_report_due,
    to_local,
    to_utc,
    transition_start_window,
)

CHICAGO = ZoneInfo("America/Chicago")
RULES = Rules.illinois()
HOUR = dt.timedelta(hours=1)


def naive(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """A datetime without a zone: what the library refuses, and hypothesis' bounds."""
    return dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - naive on purpose


def chicago(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> dt.datetime:
    """A wall-clock time in Chicago (stdlib, so independent of the code under test)."""
    return dt.datetime(year, month, day, hour, minute, second, us, tzinfo=CHICAGO)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, us, tzinfo=dt.UTC)


def assert_utc(instant: dt.datetime) -> None:
    """An instant stored in UTC: aware, offset zero, and it stays so under arithmetic."""
    assert isinstance(instant, pendulum.DateTime)
    assert dt.timedelta(0) == instant.utcoffset()
    assert dt.timedelta(0) == (instant + HOUR).utcoffset()


@functools.cache
def dst_transitions(year: int) -> tuple[dt.datetime, ...]:
    """The UTC instants at which Chicago's offset changes in ``year``, found by scanning
    hours with zoneinfo."""
    found = []
    at = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    before = at.astimezone(CHICAGO).utcoffset()
    while at < end:
        at += HOUR
        offset = at.astimezone(CHICAGO).utcoffset()
        if offset != before:
            found.append(at)
            before = offset
    return tuple(found)


YEARS = range(2030, 2041)
# Offsets from each transition at which a 48-hour window starts: from more than 48 hours
# before (the window ends on the far side of the change) to after it.
AROUND = [dt.timedelta(minutes=m) for m in range(-50 * 60, 2 * 60 + 1, 30)] + [
    dt.timedelta(hours=-48, seconds=-1),
    dt.timedelta(hours=-48),
    dt.timedelta(hours=-48, seconds=1),
    dt.timedelta(seconds=-1),
    dt.timedelta(seconds=1),
]
NEAR_TRANSITIONS = sorted(t + d for year in YEARS for t in dst_transitions(year) for d in AROUND)


def oracle_deadline(start: dt.datetime) -> dt.datetime:
    """15(j) by the stdlib: 48 elapsed hours added in UTC."""
    return start.astimezone(dt.UTC) + dt.timedelta(hours=48)


def wall_clock(instant: dt.datetime) -> tuple[dt.datetime, dt.timedelta | None]:
    """What a Chicago clock shows, with its offset. (Aware stdlib datetimes in a repeated
    hour never compare equal across zones, PEP 495, so compare these instead.)"""
    local = instant.astimezone(CHICAGO)
    return local.replace(tzinfo=None), local.utcoffset()


def elapsed(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    return dt.timedelta(seconds=end.timestamp() - start.timestamp())


def test_chicago_changes_its_clock_twice_a_year_2030_to_2040() -> None:
    for year in YEARS:
        spring, fall = dst_transitions(year)
        assert dt.timedelta(hours=-5) == spring.astimezone(CHICAGO).utcoffset()
        assert dt.timedelta(hours=-6) == fall.astimezone(CHICAGO).utcoffset()
    assert utc(2030, 3, 10, 8) == dst_transitions(2030)[0]
    assert utc(2030, 11, 3, 7) == dst_transitions(2030)[1]


# -- ensure_instant ---------------------------------------------------------------------


AWARE_INPUTS = [
    pytest.param(utc(2030, 7, 1, 5), id="stdlib-utc"),
    pytest.param(chicago(2030, 7, 1), id="stdlib-chicago"),
    pytest.param(
        dt.datetime(2030, 7, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        id="stdlib-fixed-offset",
    ),
    pytest.param(pendulum.datetime(2030, 7, 1, tz="America/Chicago"), id="pendulum-chicago"),
    pytest.param(pendulum.datetime(2030, 7, 1, 5, tz="UTC"), id="pendulum-utc"),
    # pendulum instances that keep the stdlib timezone.utc lost their tzinfo on
    # "+ timedelta" (pendulum 3.3): the regression this case guards.
    pytest.param(pendulum.DateTime(2030, 7, 1, 5, tzinfo=dt.UTC), id="pendulum-stdlib-utc"),
    pytest.param(pendulum.instance(utc(2030, 7, 1, 5)), id="pendulum-instance-of-stdlib"),
]


@pytest.mark.parametrize("value", AWARE_INPUTS)
def test_ensure_instant_keeps_the_instant_in_utc(value: dt.datetime) -> None:
    instant = ensure_instant(value)
    assert utc(2030, 7, 1, 5) == instant
    assert_utc(instant)
    assert utc(2030, 7, 1, 6) == instant + HOUR


@pytest.mark.parametrize("value", AWARE_INPUTS)
def test_plus_adds_elapsed_time_and_stays_in_utc(value: dt.datetime) -> None:
    later = plus(ensure_instant(value), dt.timedelta(hours=48))
    assert utc(2030, 7, 3, 5) == later
    assert_utc(later)


@given(
    st.datetimes(
        min_value=naive(2000, 1, 1),
        max_value=naive(2060, 1, 1),
        timezones=st.timezones(),
        allow_imaginary=True,
    )
)
@example(dt.datetime(2031, 3, 9, 2, 30, tzinfo=CHICAGO))  # a wall time the spring skips
@example(dt.datetime(2031, 3, 9, 2, 30, fold=1, tzinfo=CHICAGO))
@example(dt.datetime(2030, 11, 3, 1, 30, tzinfo=CHICAGO))  # a wall time the fall repeats
@example(dt.datetime(2030, 11, 3, 1, 30, fold=1, tzinfo=CHICAGO))
def test_ensure_instant_names_the_instant_of_the_values_own_utc_offset(
    value: dt.datetime,
) -> None:
    instant = ensure_instant(value)
    offset = value.utcoffset()
    assert offset is not None
    assert value.replace(tzinfo=None) - offset == instant.replace(tzinfo=None)
    assert_utc(instant)


def test_to_utc_and_to_local_show_one_instant_in_two_zones() -> None:
    instant = utc(2030, 7, 1, 5)
    assert "2030-07-01T05:00:00+00:00" == to_utc(chicago(2030, 7, 1)).isoformat()
    assert "2030-07-01T00:00:00-05:00" == to_local(instant).isoformat()
    assert "2030-07-01T01:00:00-04:00" == to_local(instant, "America/New_York").isoformat()


NAIVE = naive(2030, 7, 1, 9)


def _all_instant_takers(with_plus: bool = True) -> list[Any]:
    def call(name: str, cite: str, fn: Callable[[Any], object]) -> Any:
        return pytest.param(fn, cite, id=name)

    return [
        call("ensure_instant", "99", ensure_instant),
        call("to_utc", "99", to_utc),
        call("to_local", "99", to_local),
        *([call("plus", "99", lambda v: plus(v, HOUR))] if with_plus else []),
        call("acceptance_deadline", "15(j)", lambda v: acceptance_deadline(v, RULES)),
        call("transition_start_window", "15(i)", lambda v: transition_start_window(v, RULES)),
        call("cycle_two_earliest", "15(f)", lambda v: cycle_two_earliest(v, RULES)),
        call("grant_period_end", "15(f)", lambda v: grant_period_end(v, RULES)),
        call("grant_quarter", "15(f)", lambda v: grant_quarter(v, 1, RULES)),
        call("grant_quarters", "15(f)", lambda v: grant_quarters(v, RULES)),
        call("fiscal_year", "99", lambda v: fiscal_year(v, RULES)),
        call("previous_fiscal_years", "99", lambda v: previous_fiscal_years(v, RULES)),
    ]


@pytest.mark.parametrize(("fn", "cite"), _all_instant_takers())
@pytest.mark.parametrize(
    "naive",
    [pytest.param(NAIVE, id="stdlib"), pytest.param(pendulum.naive(2030, 7, 1, 9), id="pendulum")],
)
def test_a_naive_datetime_is_refused_everywhere_with_a_hint_about_the_time_zone(
    fn: Callable[[Any], object], cite: str, naive: dt.datetime
) -> None:
    with pytest.raises(InvalidInput) as info:
        fn(naive)
    (problem,) = info.value.problems
    assert (cite,) == problem.cites
    assert "time zone" in str(info.value)
    assert "tz=" in problem.hint


@pytest.mark.parametrize(("fn", "cite"), _all_instant_takers(with_plus=False))
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2030-07-01T09:00:00-05:00", id="iso-string"),
        pytest.param(1_909_000_000, id="timestamp"),
        pytest.param(None, id="none"),
    ],
)
def test_what_is_not_a_datetime_is_refused_everywhere(
    fn: Callable[[Any], object], cite: str, value: object
) -> None:
    with pytest.raises(InvalidInput) as info:
        fn(value)
    (problem,) = info.value.problems
    assert (cite,) == problem.cites
    assert type(value).__name__ in problem.reason


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(ensure_instant, id="ensure_instant"),
        pytest.param(lambda v: acceptance_deadline(v, RULES), id="acceptance_deadline"),
        pytest.param(lambda v: grant_period_end(v, RULES), id="grant_period_end"),
    ],
)
def test_a_date_without_a_time_is_not_an_instant(fn: Callable[[Any], object]) -> None:
    with pytest.raises(InvalidInput):
        fn(dt.date(2030, 7, 1))


# -- 15(j): the acceptance deadline ---------------------------------------------------------


@pytest.mark.cite("15(j)")
@pytest.mark.parametrize(
    ("confirmed", "expected"),
    [
        pytest.param(
            chicago(2030, 11, 2, 12), "2030-11-04T11:00:00-06:00", id="across-the-fall-change"
        ),
        pytest.param(
            chicago(2031, 3, 8, 18), "2031-03-10T19:00:00-05:00", id="across-the-spring-change"
        ),
        pytest.param(chicago(2030, 7, 1, 9), "2030-07-03T09:00:00-05:00", id="summer"),
        pytest.param(chicago(2031, 1, 15, 23, 59, 59), "2031-01-17T23:59:59-06:00", id="winter"),
    ],
)
def test_the_acceptance_deadline_is_48_elapsed_hours_after_the_notice(
    confirmed: dt.datetime, expected: str
) -> None:
    deadline = acceptance_deadline(confirmed, RULES)
    assert expected == deadline.in_timezone("America/Chicago").isoformat()
    assert dt.timedelta(hours=48) == elapsed(confirmed, deadline)
    assert_utc(deadline)


@pytest.fixture(name="rules_72h")
def fixture_rules_72h() -> Rules:
    return attrs.evolve(RULES, acceptance_window=dt.timedelta(hours=72))


@pytest.mark.cite("15(j)")
def test_the_acceptance_window_follows_the_rules(rules_72h: Rules) -> None:
    deadline = acceptance_deadline(chicago(2030, 11, 2, 12), rules_72h)
    assert chicago(2030, 11, 5, 11) == deadline


@pytest.mark.cite("15(j)")
@given(
    st.datetimes(
        min_value=naive(2030, 1, 1),
        max_value=naive(2040, 12, 31, 23, 59, 59),
        timezones=st.just(dt.UTC),
    )
    | st.sampled_from(NEAR_TRANSITIONS),
    st.sampled_from([dt.UTC, CHICAGO, ZoneInfo("Asia/Kolkata")]),
)
def test_the_acceptance_deadline_agrees_with_stdlib_utc_arithmetic(
    start: dt.datetime, shown_in: ZoneInfo | dt.timezone
) -> None:
    expected = oracle_deadline(start)
    actual = acceptance_deadline(start.astimezone(shown_in), RULES)
    assert expected == actual
    assert wall_clock(expected) == wall_clock(actual)
    assert_utc(actual)


@pytest.mark.cite("15(j)")
@pytest.mark.parametrize("year", YEARS)
def test_the_acceptance_deadline_agrees_with_stdlib_around_both_clock_changes(
    year: int,
) -> None:
    transitions = dst_transitions(year)
    assert 2 == len(transitions)
    for transition in transitions:
        for offset in AROUND:
            start = (transition + offset).astimezone(CHICAGO)
            expected = oracle_deadline(start)
            actual = acceptance_deadline(start, RULES)
            assert expected == actual, start
            assert wall_clock(expected) == wall_clock(actual), start


# -- 15(i): the transition start window -----------------------------------------------------


@pytest.mark.cite("15(i)")
def test_a_transition_may_start_48_hours_before_the_notice_with_no_upper_bound() -> None:
    earliest, latest = transition_start_window(chicago(2030, 11, 4, 11), RULES)
    # 48 elapsed hours before 11:00 CST is 12:00 CDT, across the fall change.
    assert chicago(2030, 11, 2, 12) == earliest
    assert "2030-11-02T12:00:00-05:00" == earliest.in_timezone("America/Chicago").isoformat()
    assert latest is None
    assert_utc(earliest)


@pytest.mark.cite("15(i)")
def test_the_transition_start_window_follows_the_rules() -> None:
    rules = attrs.evolve(
        RULES,
        transition_start_before=dt.timedelta(hours=24),
        transition_start_after=dt.timedelta(days=30),
    )
    confirmed = chicago(2030, 7, 10, 9)
    earliest, latest = transition_start_window(confirmed, rules)
    assert chicago(2030, 7, 9, 9) == earliest
    assert chicago(2030, 8, 9, 9) == latest
    assert latest is not None
    assert_utc(latest)


@pytest.mark.cite("15(i)")
def test_a_zero_lead_time_starts_the_window_at_the_notice() -> None:
    rules = attrs.evolve(
        RULES, transition_start_before=dt.timedelta(0), transition_start_after=dt.timedelta(0)
    )
    confirmed = chicago(2030, 7, 10, 9)
    assert (confirmed, confirmed) == transition_start_window(confirmed, rules)


# -- 15(a), 15(f): award dates and cycles ---------------------------------------------------------


@pytest.mark.cite("15(a)")
def test_the_first_award_instant_is_midnight_july_1_2030_in_chicago() -> None:
    first = first_award_instant(RULES)
    assert chicago(2030, 7, 1) == first
    assert utc(2030, 7, 1, 5) == first
    assert_utc(first)


@pytest.mark.cite("15(a)")
def test_one_second_before_midnight_is_before_the_first_award_instant() -> None:
    first = first_award_instant(RULES)
    assert pendulum.datetime(2030, 6, 30, 23, 59, 59, tz="America/Chicago") < first
    assert pendulum.datetime(2030, 7, 1, 0, 0, 0, tz="America/Chicago") == first
    assert not first < pendulum.datetime(2030, 7, 1, 0, 0, 0, tz="America/Chicago")


@pytest.mark.cite("15(a)")
def test_the_first_award_instant_follows_the_rules() -> None:
    rules = attrs.evolve(RULES, first_award_date=dt.date(2030, 12, 1))
    assert chicago(2030, 12, 1) == first_award_instant(rules)
    assert utc(2030, 12, 1, 6) == first_award_instant(rules)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2030, 3, 10), utc(2030, 3, 10, 6)),  # the spring change happens at 2:00
        (dt.date(2030, 3, 11), utc(2030, 3, 11, 5)),
        (dt.date(2030, 11, 3), utc(2030, 11, 3, 5)),  # the fall change happens at 2:00
        (dt.date(2030, 11, 4), utc(2030, 11, 4, 6)),
    ],
)
def test_local_midnight_is_the_start_of_the_day_in_chicago(
    day: dt.date, expected: dt.datetime
) -> None:
    assert expected == local_midnight(day, RULES)
    assert_utc(local_midnight(day, RULES))


@pytest.mark.cite("15(f)")
def test_cycle_two_opens_two_years_after_cycle_one() -> None:
    opening = first_award_instant(RULES)
    earliest = cycle_two_earliest(opening, RULES)
    assert chicago(2032, 7, 1) == earliest
    assert_utc(earliest)


@pytest.mark.cite("15(f)")
def test_cycle_two_keeps_the_wall_clock_time_across_the_calendar() -> None:
    # A winter opening two years later is still 09:00 CST; a summer one still 09:00 CDT.
    assert chicago(2032, 12, 1, 9) == cycle_two_earliest(chicago(2030, 12, 1, 9), RULES)
    assert chicago(2033, 7, 1, 9) == cycle_two_earliest(
        chicago(2030, 7, 1, 9), attrs.evolve(RULES, second_cycle_after_years=3)
    )


# -- 15(f), 15(b)(9): grant period and quarters ------------------------------------------------


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    """The same Chicago wall-clock time ``months`` later, clipped to the month's end."""
    local = start.astimezone(CHICAGO)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return local.replace(year=year, month=month, day=min(local.day, last_day), fold=0)


@pytest.mark.cite("15(f)")
def test_the_grant_period_is_three_years_on_the_local_calendar() -> None:
    end = grant_period_end(chicago(2030, 7, 15, 10), RULES)
    assert chicago(2033, 7, 15, 10) == end
    assert chicago(2034, 1, 15, 10) == grant_period_end(chicago(2031, 1, 15, 10), RULES)
    assert_utc(end)


@pytest.mark.cite("15(f)", "15(b)(9)")
def test_a_grant_period_has_twelve_quarters_of_three_calendar_months() -> None:
    start = chicago(2030, 7, 15, 10)
    quarters = grant_quarters(start, RULES)
    assert list(range(1, 13)) == [q.number for q in quarters]
    expected = [(add_months(start, 3 * k), add_months(start, 3 * k + 3)) for k in range(12)]
    assert expected == [(q.start, q.end) for q in quarters]
    assert chicago(2030, 10, 15, 10) == quarters[0].end
    assert chicago(2031, 1, 15, 10) == quarters[1].end  # CST by then: still 10:00 local


@pytest.mark.cite("15(f)", "15(b)(9)")
@given(
    st.datetimes(
        min_value=naive(2030, 1, 1),
        max_value=naive(2036, 12, 31, 23, 59, 59),
        timezones=st.just(dt.UTC),
    )
)
@example(utc(2030, 8, 31, 15))  # month ends: Nov 30, Feb 28, May 31 ...
@example(utc(2030, 12, 9, 8, 30))  # 02:30 CST; three months later 02:30 does not exist
@example(utc(2030, 8, 3, 6, 30))  # 01:30 CDT; three months later 01:30 happens twice
def test_quarters_are_contiguous_and_fill_the_grant_period(start: dt.datetime) -> None:
    quarters = grant_quarters(start, RULES)
    assert 12 == len(quarters)
    assert start == quarters[0].start
    assert grant_period_end(start, RULES) == quarters[-1].end
    for earlier, later in itertools.pairwise(quarters):
        assert earlier.end == later.start
    for quarter in quarters:
        assert_utc(quarter.start)
        length = quarter.end - quarter.start
        # Jan 31 -> Apr 30 is 89 days less the spring hour; Jul 31 -> Oct 31 is 92 days.
        assert dt.timedelta(days=89, hours=-1) <= length <= dt.timedelta(days=92, hours=1)
        assert quarter == grant_quarter(start, quarter.number, RULES)


@pytest.mark.cite("15(f)")
@pytest.mark.parametrize("number", [0, 13, -1, True, "1", 1.0])
def test_a_quarter_outside_1_to_12_is_refused(number: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        grant_quarter(chicago(2030, 7, 15), number, RULES)
    (problem,) = info.value.problems
    assert ("15(f)",) == problem.cites
    assert "number" == problem.field
    assert "1 to 12" in problem.hint


@pytest.mark.cite("15(f)")
def test_a_two_year_period_has_eight_quarters() -> None:
    rules = attrs.evolve(RULES, grant_period_years=2)
    start = chicago(2030, 7, 15)
    assert 8 == len(grant_quarters(start, rules))
    assert chicago(2032, 7, 15) == grant_quarters(start, rules)[-1].end
    with pytest.raises(InvalidInput):
        grant_quarter(start, 9, rules)


# -- 15(b)(5), (6): fiscal years ---------------------------------------------------------------


@pytest.mark.cite("15(b)(5)", "15(b)(6)")
@pytest.mark.parametrize(
    ("when", "expected"),
    [
        pytest.param(chicago(2030, 6, 30, 23, 59, 59, 999999), 2030, id="last-microsecond"),
        pytest.param(chicago(2030, 7, 1), 2031, id="first-instant"),
        pytest.param(utc(2030, 7, 1, 3), 2030, id="utc-july-1-is-june-30-in-chicago"),
        pytest.param(utc(2030, 7, 1, 5), 2031, id="utc-midnight-cdt"),
        pytest.param(dt.date(2030, 6, 30), 2030, id="date-june-30"),
        pytest.param(dt.date(2030, 7, 1), 2031, id="date-july-1"),
        pytest.param(pendulum.date(2031, 6, 30), 2031, id="pendulum-date"),
    ],
)
def test_the_state_fiscal_year_turns_on_july_1_in_chicago(when: dt.date, expected: int) -> None:
    assert expected == fiscal_year(when, RULES).name


@pytest.mark.cite("15(b)(5)")
def test_fy2031_runs_from_july_1_2030_to_june_30_2031() -> None:
    fy = fiscal_year(dt.date(2031, 1, 1), RULES)
    assert FiscalYear(2031, dt.date(2030, 7, 1), dt.date(2031, 6, 30)) == fy
    assert "FY2031" == str(fy)
    assert dt.date(2030, 7, 1) in fy
    assert dt.date(2031, 7, 1) not in fy
    assert "2031-01-01" not in fy


@pytest.mark.cite("15(b)(5)", "15(b)(6)")
def test_the_five_previous_fiscal_years_are_oldest_first() -> None:
    years = previous_fiscal_years(chicago(2030, 9, 1), RULES)
    assert [2026, 2027, 2028, 2029, 2030] == [fy.name for fy in years]
    assert dt.date(2025, 7, 1) == years[0].first
    assert dt.date(2030, 6, 30) == years[-1].last


def expected_fiscal_year(day: dt.date, month: int, start_day: int) -> tuple[int, dt.date, dt.date]:
    """The fiscal year holding ``day``: it starts on the latest (month, start_day) not after
    ``day``, ends the day before the next one, and is named by the year it ends in."""
    first = dt.date(day.year, month, start_day)
    if first > day:
        first = dt.date(day.year - 1, month, start_day)
    last = dt.date(first.year + 1, month, start_day) - dt.timedelta(days=1)
    return last.year, first, last


fiscal_starts = st.sampled_from([(7, 1)]) | st.tuples(
    st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=28)
)


@pytest.mark.cite("15(b)(5)", "15(b)(6)")
@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31)),
    fiscal_starts,
)
@example(dt.date(2030, 6, 30), (7, 1))
@example(dt.date(2030, 7, 1), (7, 1))
@example(dt.date(2030, 12, 31), (1, 1))
@example(dt.date(2030, 1, 1), (1, 1))
@example(dt.date(2030, 9, 30), (10, 1))
def test_every_date_lies_in_exactly_its_fiscal_year(day: dt.date, start: tuple[int, int]) -> None:
    rules = attrs.evolve(RULES, fiscal_year_start_month=start[0], fiscal_year_start_day=start[1])
    fy = fiscal_year(day, rules)
    assert expected_fiscal_year(day, *start) == (fy.name, fy.first, fy.last)
    assert day in fy
    following = fiscal_year(fy.last + dt.timedelta(days=1), rules)
    preceding = fiscal_year(fy.first - dt.timedelta(days=1), rules)
    assert (fy.name + 1, fy.last + dt.timedelta(days=1)) == (following.name, following.first)
    assert (fy.name - 1, fy.first - dt.timedelta(days=1)) == (preceding.name, preceding.last)
    assert day not in following
    assert day not in preceding


@pytest.mark.cite("15(b)(5)", "15(b)(6)")
@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31)),
    fiscal_starts,
)
def test_previous_fiscal_years_are_the_five_consecutive_years_before(
    day: dt.date, start: tuple[int, int]
) -> None:
    rules = attrs.evolve(RULES, fiscal_year_start_month=start[0], fiscal_year_start_day=start[1])
    current = fiscal_year(day, rules)
    years = previous_fiscal_years(day, rules)
    assert [current.name - k for k in range(5, 0, -1)] == [fy.name for fy in years]
    for older, newer in zip(years, (*years[1:], current), strict=True):
        assert older.last + dt.timedelta(days=1) == newer.first
    assert all(day not in fy for fy in years)
    assert [fiscal_year(fy.first, rules) for fy in years] == list(years)


@pytest.mark.cite("15(b)(5)")
@given(
    st.datetimes(
        min_value=naive(2030, 1, 1),
        max_value=naive(2040, 12, 31),
        timezones=st.just(dt.UTC),
    )
)
@example(utc(2030, 7, 1, 4, 59, 59, 999999))
@example(utc(2030, 7, 1, 5))
def test_an_instant_is_in_the_fiscal_year_of_its_chicago_date(instant: dt.datetime) -> None:
    local_day = instant.astimezone(CHICAGO).date()
    assert expected_fiscal_year(local_day, 7, 1)[0] == fiscal_year(instant, RULES).name


@pytest.mark.cite("15(b)(5)")
def test_previous_fiscal_years_takes_a_count() -> None:
    years = previous_fiscal_years(dt.date(2030, 9, 1), RULES, count=2)
    assert [2029, 2030] == [fy.name for fy in years]


# -- 20(b), 35(c): report due dates --------------------------------------------------------------


@pytest.mark.cite("20(b)")
def test_the_final_report_is_due_july_1_2031() -> None:
    assert dt.date(2031, 7, 1) == final_report_due(RULES)


@pytest.mark.cite("20(b)", "99")
def test_the_final_report_due_date_derives_from_the_effective_date() -> None:
    rules = attrs.evolve(RULES, effective_date=dt.date(2029, 8, 31))
    assert dt.date(2031, 2, 28) == final_report_due(rules)


@pytest.mark.cite("35(c)")
@pytest.mark.parametrize(
    ("number", "expected"),
    [(1, dt.date(2031, 1, 1)), (2, dt.date(2032, 1, 1)), (10, dt.date(2040, 1, 1))],
)
def test_the_task_force_reports_one_year_after_the_effective_date_then_yearly(
    number: int, expected: dt.date
) -> None:
    assert expected == task_force_report_due(number, RULES)


@pytest.mark.cite("35(c)")
@pytest.mark.parametrize("number", [0, -1, True, "1"])
def test_a_task_force_report_number_below_1_is_refused(number: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        task_force_report_due(number, RULES)
    assert [("35(c)",)] == [p.cites for p in info.value.problems]
