"""The Act's calendar: award dates, fiscal years, windows, grant quarters, due dates.

Elapsed-time rules (the 48 hours of 15(i) and 15(j)) are computed on the UTC instant,
so across a daylight-saving change they end one wall-clock hour off. Calendar rules
(years, quarters, fiscal years, due dates) are computed on the America/Chicago calendar.
"""

from __future__ import annotations

import datetime as dt
import functools

import attrs
import pendulum

from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.rules import Rules
from choice_workflow.time.instants import ensure_instant, plus, zone


def local_midnight(day: dt.date, rules: Rules) -> pendulum.DateTime:
    """The instant (UTC) at which ``day`` begins in the Rules' time zone."""
    return pendulum.datetime(day.year, day.month, day.day, tz=zone(rules.timezone)).in_timezone(
        "UTC"
    )


def first_award_instant(rules: Rules) -> pendulum.DateTime:
    """15(a): the first instant at which a grant may be awarded (July 1, 2030, 00:00 CDT)."""
    return _first_award_instant(rules.first_award_date, rules.timezone)


@functools.lru_cache(maxsize=64)
def _first_award_instant(day: dt.date, timezone: str) -> pendulum.DateTime:
    # Asked by every approval's guards; the same few Rules every time.
    return pendulum.datetime(day.year, day.month, day.day, tz=zone(timezone)).in_timezone("UTC")


def cycle_two_earliest(cycle_one_opening: dt.datetime, rules: Rules) -> pendulum.DateTime:
    """15(f): the earliest instant of a cycle-2 award: cycle 1's opening plus 2 years, on
    the local calendar (the same wall-clock time, two years later)."""
    opening = ensure_instant(cycle_one_opening, "cycle_one_opening", "15(f)")
    local = opening.in_timezone(zone(rules.timezone))
    return local.add(years=rules.second_cycle_after_years).in_timezone("UTC")


@attrs.frozen(order=True)
class FiscalYear:
    """A fiscal year, named by the calendar year it ends in (FY2031 = July 1, 2030 -
    June 30, 2031 for the State of Illinois). ``last`` is inclusive."""

    name: int
    first: dt.date
    last: dt.date

    def __contains__(self, day: object) -> bool:
        # A datetime is a date subclass but has no calendar day until a zone is chosen:
        # use fiscal_year(instant, rules) for instants.
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            return False
        return self.first <= day <= self.last

    def __str__(self) -> str:
        return f"FY{self.name}"


def _fy_bounds(name: int, rules: Rules) -> FiscalYear:
    month, day = rules.fiscal_year_start_month, rules.fiscal_year_start_day
    if (month, day) == (1, 1):
        return FiscalYear(name, dt.date(name, 1, 1), dt.date(name, 12, 31))
    first = dt.date(name - 1, month, day)
    last = dt.date(name, month, day) - dt.timedelta(days=1)
    return FiscalYear(name, first, last)


def fiscal_year(when: dt.date | dt.datetime, rules: Rules) -> FiscalYear:
    """15(b)(5), (6): the fiscal year that contains ``when`` (an aware instant, read on
    the local calendar, or a date)."""
    day = _local_date(when, rules)
    month, start_day = rules.fiscal_year_start_month, rules.fiscal_year_start_day
    if (month, start_day) == (1, 1):
        return _fy_bounds(day.year, rules)
    name = day.year + 1 if (day.month, day.day) >= (month, start_day) else day.year
    return _fy_bounds(name, rules)


def previous_fiscal_years(
    when: dt.date | dt.datetime, rules: Rules, count: int = 5
) -> tuple[FiscalYear, ...]:
    """15(b)(5), (6): the ``count`` fiscal years before the one containing ``when``,
    oldest first."""
    current = fiscal_year(when, rules).name
    return tuple(_fy_bounds(current - k, rules) for k in range(count, 0, -1))


def acceptance_deadline(window_start: dt.datetime, rules: Rules) -> pendulum.DateTime:
    """15(j): the last instant of the acceptance window: exactly 48 elapsed hours after
    ``window_start`` (the confirmed notice by default). Accepting at this instant is in
    time; one microsecond later is not."""
    start = ensure_instant(window_start, "window_start", "15(j)")
    return plus(start, rules.acceptance_window)


def transition_start_window(
    confirmed_at: dt.datetime, rules: Rules
) -> tuple[pendulum.DateTime, pendulum.DateTime | None]:
    """15(i): the earliest and latest instants (``None``: no upper bound) at which a
    grantee's transition to the minimum wage may start, around the confirmed notice."""
    confirmed = ensure_instant(confirmed_at, "confirmed_at", "15(i)")
    earliest = plus(confirmed, -rules.transition_start_before)
    after = rules.transition_start_after
    latest = None if after is None else plus(confirmed, after)
    return earliest, latest


def grant_period_end(period_start: dt.datetime, rules: Rules) -> pendulum.DateTime:
    """15(f): the end (exclusive) of the 3-year grant period that starts at
    ``period_start``, on the local calendar."""
    start = ensure_instant(period_start, "period_start", "15(f)").in_timezone(zone(rules.timezone))
    return start.add(years=rules.grant_period_years).in_timezone("UTC")


@attrs.frozen
class GrantQuarter:
    """Quarter ``number`` (1-12) of a grant period: ``start`` inclusive, ``end`` exclusive."""

    number: int
    start: pendulum.DateTime
    end: pendulum.DateTime


def grant_quarter(period_start: dt.datetime, number: int, rules: Rules) -> GrantQuarter:
    """15(f), 15(b)(9): quarter ``number`` of the grant period starting at ``period_start``.

    Quarters are 3 calendar months each on the local calendar; quarter 12 ends where
    the period ends.
    """
    n: object = number  # checked at run time: callers may pass anything
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= rules.quarters:
        raise InvalidInput(
            problems=[
                Problem(
                    ("15(f)",),
                    f"quarter {number!r} is outside the grant period",
                    f"Use a quarter from 1 to {rules.quarters}.",
                    "number",
                )
            ]
        )
    start = ensure_instant(period_start, "period_start", "15(f)").in_timezone(zone(rules.timezone))
    q_start = start.add(months=3 * (number - 1)).in_timezone("UTC")
    q_end = start.add(months=3 * number).in_timezone("UTC")
    return GrantQuarter(number, q_start, q_end)


def grant_quarters(period_start: dt.datetime, rules: Rules) -> tuple[GrantQuarter, ...]:
    """All quarters 1-12 of a grant period."""
    return tuple(grant_quarter(period_start, k, rules) for k in range(1, rules.quarters + 1))


def final_report_due(rules: Rules) -> dt.date:
    """20(b): the final report's due date, 18 months after the effective date (July 1,
    2031 for the Act as written)."""
    return pendulum.date(
        rules.effective_date.year, rules.effective_date.month, rules.effective_date.day
    ).add(months=rules.final_report_months)


def task_force_report_due(number: int, rules: Rules) -> dt.date:
    """35(c): the due date of the ``number``-th Task Force progress report (1 = one year
    after the effective date, then every year)."""
    n: object = number  # checked at run time: callers may pass anything
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InvalidInput(
            problems=[
                Problem(
                    ("35(c)",),
                    f"report number {number!r} must be >= 1",
                    "Number reports from 1.",
                    "number",
                )
            ]
        )
    eff = rules.effective_date
    return pendulum.date(eff.year, eff.month, eff.day).add(
        years=rules.task_force_report_years * number
    )


def final_report_deadline(rules: Rules) -> pendulum.DateTime:
    """20(b): the instant (UTC) the final report's due day ends in the Rules' time zone:
    a report delivered before it is on time. Compare instants with this, never with the
    date of :func:`final_report_due` (a date and an instant do not compare)."""
    return local_midnight(final_report_due(rules) + dt.timedelta(days=1), rules)


def task_force_report_deadline(number: int, rules: Rules) -> pendulum.DateTime:
    """35(c): the instant (UTC) the ``number``-th Task Force report's due day ends in
    the Rules' time zone."""
    return local_midnight(task_force_report_due(number, rules) + dt.timedelta(days=1), rules)


def _local_date(when: dt.date | dt.datetime, rules: Rules) -> dt.date:
    if isinstance(when, dt.datetime):
        local = ensure_instant(when, "when").in_timezone(zone(rules.timezone))
        return dt.date(local.year, local.month, local.day)
    if isinstance(when, dt.date):
        return when
    raise InvalidInput(
        problems=[
            Problem(
                ("99",),
                f"expected a date or an aware datetime, got {type(when).__name__}",
                "Pass a datetime.date.",
                "when",
            )
        ]
    )
