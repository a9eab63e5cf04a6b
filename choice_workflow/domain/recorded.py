"""Wage, headcount and performance records as event payload data, and back.

Money is written as strings with 2 places, dates as ISO dates, durations as whole
microseconds; reading back rebuilds the validated attrs records (bad data raises
:class:`~choice_workflow.errors.InvalidInput` from the records' own checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.domain import _codec
from choice_workflow.domain.performance import PerformanceRecord
from choice_workflow.domain.wages import Headcount, WageRecord

_US = dt.timedelta(microseconds=1)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _dec(value: object) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value) if type(value) is str else Decimal(str(value))


def wage_to_data(w: WageRecord) -> dict[str, Any]:
    """20(a)(1), 15(l): one dated hourly wage of a pseudonymous employee."""
    return {
        "employee_id": w.employee_id,
        "paid_on": w.paid_on.isoformat(),
        "hourly": _money(w.hourly),
        "has_disability": w.has_disability,
        "baseline_14c": _money(w.baseline_14c),
        "customary_rate": _money(w.customary_rate),
        "benefits_equal": w.benefits_equal,
    }


def wage_from_data(d: Mapping[str, Any]) -> WageRecord:
    """The inverse of :func:`wage_to_data`."""
    hourly = _dec(d["hourly"])
    return WageRecord(
        employee_id=str(d["employee_id"]),
        paid_on=dt.date.fromisoformat(str(d["paid_on"])),
        hourly=hourly if hourly is not None else Decimal("NaN"),
        has_disability=bool(d["has_disability"]),
        baseline_14c=_dec(d.get("baseline_14c")),
        customary_rate=_dec(d.get("customary_rate")),
        benefits_equal=d.get("benefits_equal"),
    )


def headcount_to_data(h: Headcount) -> dict[str, Any]:
    """20(a)(1): the employment of one quarter."""
    return {
        "quarter_start": h.quarter_start.isoformat(),
        "employees": h.employees,
        "employees_with_disability": h.employees_with_disability,
        "at_or_above_minimum": h.at_or_above_minimum,
    }


def headcount_from_data(d: Mapping[str, Any]) -> Headcount:
    """The inverse of :func:`headcount_to_data`."""
    return Headcount(
        quarter_start=dt.date.fromisoformat(str(d["quarter_start"])),
        employees=int(d["employees"]),
        employees_with_disability=int(d["employees_with_disability"]),
        at_or_above_minimum=int(d["at_or_above_minimum"]),
    )


def performance_to_data(p: PerformanceRecord) -> dict[str, Any]:
    """15(c): one employee's durations in one evaluation period (health data)."""
    return {
        "period_start": p.period_start.isoformat(),
        "period_end": p.period_end.isoformat(),
        "employee_id": p.employee_id,
        "task_us": [d // _US for d in p.task_durations],
        "mental_health_break_us": [d // _US for d in p.mental_health_breaks],
        "physical_health_break_us": [d // _US for d in p.physical_health_breaks],
    }


def performance_from_data(d: Mapping[str, Any]) -> PerformanceRecord:
    """The inverse of :func:`performance_to_data`."""
    return PerformanceRecord(
        period_start=dt.date.fromisoformat(str(d["period_start"])),
        period_end=dt.date.fromisoformat(str(d["period_end"])),
        employee_id=str(d["employee_id"]),
        task_durations=tuple(dt.timedelta(microseconds=int(v)) for v in d["task_us"]),
        mental_health_breaks=tuple(
            dt.timedelta(microseconds=int(v)) for v in d["mental_health_break_us"]
        ),
        physical_health_breaks=tuple(
            dt.timedelta(microseconds=int(v)) for v in d["physical_health_break_us"]
        ),
    )


# -- from outside: a form, a JSON body ---------------------------------------------------


@attrs.frozen
class PerformanceData:
    """15(c): one employee's durations in one evaluation period, as data: each duration
    in whole microseconds (``task_us``: one per task completed; the breaks: one per
    break taken). Health data: for the evaluator only."""

    period_start: dt.date
    period_end: dt.date
    employee_id: str
    task_us: tuple[int, ...]
    mental_health_break_us: tuple[int, ...]
    physical_health_break_us: tuple[int, ...]


def _wage_cites(path: str) -> tuple[str, ...]:
    return ("15(l)", "20(a)(1)")


def _headcount_cites(path: str) -> tuple[str, ...]:
    return ("20(a)(1)",)


def _performance_cites(path: str) -> tuple[str, ...]:
    return ("15(c)",)


def parse_wage_record(data: object) -> WageRecord:
    """A wage record from outside (a form, a JSON body: the form of
    :func:`wage_to_data`). Malformed data raises
    :class:`~choice_workflow.errors.InvalidInput` with every problem by field path and
    cite, then the record's own checks run (a negative wage, a name for an id)."""
    return _codec.from_data(data, WageRecord, _wage_cites)


def parse_headcount(data: object) -> Headcount:
    """A quarter's headcount from outside (the form of :func:`headcount_to_data`), with
    every problem by field path and cite."""
    return _codec.from_data(data, Headcount, _headcount_cites)


def parse_performance_record(data: object) -> PerformanceRecord:
    """A performance record from outside (the form of :func:`performance_to_data`:
    durations in whole microseconds), with every problem by field path and cite."""
    found = _codec.from_data(data, PerformanceData, _performance_cites)
    return PerformanceRecord(
        period_start=found.period_start,
        period_end=found.period_end,
        employee_id=found.employee_id,
        task_durations=tuple(v * _US for v in found.task_us),
        mental_health_breaks=tuple(v * _US for v in found.mental_health_break_us),
        physical_health_breaks=tuple(v * _US for v in found.physical_health_break_us),
    )
