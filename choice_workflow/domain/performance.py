"""Section 15(c): the standard level work performance, and who may read it.

Employees with disabilities of a grantee "shall be evaluated on a standard level work
performance" that includes (1) the duration of completion of task, (2) the duration of
mental health breaks and (3) the duration of physical health breaks. A
:class:`PerformanceRecord` holds them for one employee and one evaluation period, as
durations (:class:`datetime.timedelta` or :class:`pendulum.Duration`).

Break durations are health data. :func:`read_break_data` gives them to the evaluator
role only (DESIGN.md "Who may do what"); everyone else gets aggregates per grantee and
period (:func:`aggregate_performance`), never per person, and a published summary
(:meth:`PerformanceSummary.published`) shows the aggregates of a period only when more
than 10 employees were evaluated in it (the small-cell rule of
:mod:`~choice_workflow.domain.privacy`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from choice_workflow.domain.actors import Role
from choice_workflow.errors import InvalidInput, NotPermitted, Problem

CITE = "15(c)"
SMALL_CELL_HIGH = 10
"""Groups of 1 to this many people are small cells: their aggregates are not published."""


def _short(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _durations(value: Iterable[dt.timedelta]) -> tuple[dt.timedelta, ...]:
    """The durations as a tuple (a list is accepted); what is not iterable is refused."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput(
            problems=[
                Problem(
                    (CITE,),
                    f"durations must be a sequence of timedeltas, got {_short(value)}",
                    "Pass a tuple of datetime.timedelta or pendulum.Duration.",
                )
            ]
        )
    return tuple(value)


def _plain(value: dt.timedelta) -> dt.timedelta:
    """A pendulum Duration as a plain timedelta (pendulum's own arithmetic with stdlib
    timedeltas is incomplete: ``Duration // timedelta`` raises)."""
    return dt.timedelta(days=value.days, seconds=value.seconds, microseconds=value.microseconds)


@attrs.frozen(kw_only=True)
class PerformanceRecord:
    """15(c): one employee's work performance in one evaluation period.

    ``period_start`` and ``period_end`` are calendar days, both inclusive.
    ``employee_id`` is pseudonymous, never a name. Each duration field holds one
    duration per task completed or per break taken; all are checked when the record is
    built (non-negative durations, a period that does not end before it starts).
    """

    period_start: dt.date
    period_end: dt.date
    employee_id: str
    task_durations: tuple[dt.timedelta, ...] = attrs.field(converter=_durations)
    mental_health_breaks: tuple[dt.timedelta, ...] = attrs.field(converter=_durations)
    physical_health_breaks: tuple[dt.timedelta, ...] = attrs.field(converter=_durations)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        dates_ok = True
        for name in ("period_start", "period_end"):
            value = getattr(self, name)
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                dates_ok = False
                problems.append(
                    Problem(
                        (CITE,),
                        f"{name} must be a date, got {_short(value)}",
                        "Pass a datetime.date.",
                        name,
                    )
                )
        if dates_ok and self.period_end < self.period_start:
            problems.append(
                Problem(
                    (CITE,),
                    f"the period ends on {self.period_end.isoformat()}, before it starts on "
                    f"{self.period_start.isoformat()}",
                    "Swap the dates.",
                    "period_end",
                )
            )
        if not isinstance(self.employee_id, str) or not self.employee_id.strip():
            problems.append(
                Problem(
                    (CITE,),
                    f"employee_id must be a non-empty pseudonymous id, got {_short(self.employee_id)}",
                    "Pass the employee's pseudonymous id (never a name).",
                    "employee_id",
                )
            )
        for name in ("task_durations", "mental_health_breaks", "physical_health_breaks"):
            for i, value in enumerate(getattr(self, name)):
                if not isinstance(value, dt.timedelta) or value < dt.timedelta(0):
                    problems.append(
                        Problem(
                            (CITE,),
                            f"{name}[{i}] must be a non-negative duration, got {_short(value)}",
                            "Pass a datetime.timedelta or pendulum.Duration of 0 or more.",
                            f"{name}[{i}]",
                        )
                    )
        if problems:
            raise InvalidInput(problems=problems)


@attrs.frozen(kw_only=True)
class DurationStats:
    """Aggregates of one kind of 15(c) duration: how many, their total and median.

    The median of an even number of durations is the mean of the middle two, to the
    microsecond (rounded half to even, as :class:`datetime.timedelta` divides).
    ``median`` is ``None`` when ``count`` is 0.
    """

    count: int
    total: dt.timedelta
    median: dt.timedelta | None

    @classmethod
    def of(cls, durations: Iterable[dt.timedelta]) -> DurationStats:
        """The aggregates of ``durations``."""
        ordered = sorted(_plain(d) for d in durations)
        total = sum(ordered, dt.timedelta(0))
        n = len(ordered)
        if n == 0:
            median = None
        elif n % 2:
            median = ordered[n // 2]
        else:
            median = (ordered[n // 2 - 1] + ordered[n // 2]) / 2
        return cls(count=n, total=total, median=median)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data: durations as seconds, in decimal strings (``"90.5"``)."""
        return {
            "count": self.count,
            "total_seconds": seconds_text(self.total),
            "median_seconds": None if self.median is None else seconds_text(self.median),
        }


def seconds_text(value: dt.timedelta) -> str:
    """A duration as exact seconds in a decimal string: ``"5400"``, ``"0.000001"``."""
    micro = ((value.days * 86_400) + value.seconds) * 1_000_000 + value.microseconds
    whole, rest = divmod(abs(micro), 1_000_000)
    sign = "-" if micro < 0 else ""
    return f"{sign}{whole}" + (f".{rest:06d}".rstrip("0") if rest else "")


@attrs.frozen(kw_only=True)
class PeriodPerformance:
    """15(c) aggregates of a grantee's employees for one evaluation period.

    ``employees`` is the number of distinct employees evaluated. In a published
    summary a small group (1 to 10 employees) shows ``suppressed=True`` and ``None`` in
    place of the count and of every aggregate.
    """

    period_start: dt.date
    period_end: dt.date
    employees: int | None
    tasks: DurationStats | None
    mental_health_breaks: DurationStats | None
    physical_health_breaks: DurationStats | None
    suppressed: bool = False

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data (dates in ISO form, durations as seconds strings)."""

        def stats(value: DurationStats | None) -> dict[str, Any] | None:
            return None if value is None else value.to_data()

        return {
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "employees": self.employees,
            "tasks": stats(self.tasks),
            "mental_health_breaks": stats(self.mental_health_breaks),
            "physical_health_breaks": stats(self.physical_health_breaks),
            "suppressed": self.suppressed,
        }


@attrs.frozen(kw_only=True)
class PerformanceSummary:
    """15(c) aggregates of one grantee, one entry per evaluation period (ordered by
    start, then end). No entry is about one person; but a period with few employees
    is close to it, so only :meth:`published` leaves the evaluator's hands."""

    periods: tuple[PeriodPerformance, ...]

    def published(self, *, high: int = SMALL_CELL_HIGH) -> PerformanceSummary:
        """The summary others may see: periods of 1 to ``high`` employees keep their
        dates and lose their count and every aggregate (task durations and breaks)."""
        return PerformanceSummary(
            periods=tuple(
                attrs.evolve(
                    p,
                    employees=None,
                    tasks=None,
                    mental_health_breaks=None,
                    physical_health_breaks=None,
                    suppressed=True,
                )
                if p.employees is not None and 1 <= p.employees <= high
                else p
                for p in self.periods
            )
        )

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data, for an event payload."""
        return {"periods": [p.to_data() for p in self.periods]}


def _check_records(records: Sequence[PerformanceRecord]) -> None:
    problems = [
        Problem(
            (CITE,),
            f"records[{i}] is {_short(r)}, not a PerformanceRecord",
            "Build each record with PerformanceRecord(...).",
            f"records[{i}]",
        )
        for i, r in enumerate(records)
        if not isinstance(r, PerformanceRecord)
    ]
    if problems:
        raise InvalidInput(problems=problems)


def aggregate_performance(records: Sequence[PerformanceRecord]) -> PerformanceSummary:
    """15(c): the aggregates of one grantee's records, per evaluation period (records
    with the same start and end), never per person: the number of employees, and the
    count, total and median of task durations, mental health breaks and physical
    health breaks. Several records of one employee in one period are pooled."""
    records = tuple(records)  # read once, even if an iterator was passed
    _check_records(records)
    groups: dict[tuple[dt.date, dt.date], list[PerformanceRecord]] = {}
    for record in records:
        groups.setdefault((record.period_start, record.period_end), []).append(record)
    periods = []
    for (start, end), group in sorted(groups.items()):
        periods.append(
            PeriodPerformance(
                period_start=start,
                period_end=end,
                employees=len({r.employee_id for r in group}),
                tasks=DurationStats.of(d for r in group for d in r.task_durations),
                mental_health_breaks=DurationStats.of(
                    d for r in group for d in r.mental_health_breaks
                ),
                physical_health_breaks=DurationStats.of(
                    d for r in group for d in r.physical_health_breaks
                ),
            )
        )
    return PerformanceSummary(periods=tuple(periods))


@attrs.frozen(kw_only=True)
class BreakData:
    """15(c)(2), (3): one employee's break durations in one period: health data, for
    the evaluator role only."""

    employee_id: str
    period_start: dt.date
    period_end: dt.date
    mental_health_breaks: tuple[dt.timedelta, ...]
    physical_health_breaks: tuple[dt.timedelta, ...]


def read_break_data(
    records: Sequence[PerformanceRecord], role: Role | str, *, actor: str = "caller"
) -> tuple[BreakData, ...]:
    """15(c): the mental and physical health break durations of ``records``, per
    employee and period, for the evaluator role only.

    ``role`` is a role's value or a :class:`~choice_workflow.domain.actors.Role` (a string
    enum); anything but ``"evaluator"`` raises
    :class:`~choice_workflow.errors.NotPermitted`, because break durations are health
    data (DESIGN.md "Who may do what"). ``actor`` names the reader in the refusal.
    """
    if not (isinstance(role, str) and role == Role.EVALUATOR):
        shown = role if isinstance(role, str) else _short(role)
        raise NotPermitted(
            command="read 15(c) break data",
            actor=actor,
            role=str(shown),
            reason="break durations are health data; only the evaluator role reads them (15(c))",
            hint="Ask an evaluator, or use aggregate_performance(...).published().",
        )
    records = tuple(records)
    _check_records(records)
    return tuple(
        BreakData(
            employee_id=r.employee_id,
            period_start=r.period_start,
            period_end=r.period_end,
            mental_health_breaks=r.mental_health_breaks,
            physical_health_breaks=r.physical_health_breaks,
        )
        for r in records
    )
