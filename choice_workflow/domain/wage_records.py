"""Wage records and head counts: what a grantee reports (15(l), 15(a), 20(a)(1)), each
field checked when the record is built.

Employees are named by pseudonymous ids only (DESIGN.md "Who may do what").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import attrs

from choice_workflow.domain.money import money_problem
from choice_workflow.errors import InvalidInput, Problem

__all__ = ["FLOOR_CITE", "Headcount", "WageRecord"]

FLOOR_CITE = "15(l)"
"""The cite of the 15(l) floor items (1)-(4)."""


def _short(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _date_problem(value: object, field: str, cites: tuple[str, ...]) -> Problem | None:
    if _is_date(value):
        return None
    return Problem(
        cites,
        f"{field} must be a date, got {_short(value)}",
        "Pass a datetime.date (a calendar day, not an instant).",
        field,
    )


def _id_problem(value: object, field: str, cites: tuple[str, ...]) -> Problem | None:
    if isinstance(value, str) and value.strip():
        return None
    return Problem(
        cites,
        f"{field} must be a non-empty pseudonymous id, got {_short(value)}",
        "Pass the employee's pseudonymous id (never a name).",
        field,
    )


def _wage_problem(value: object, field: str, cites: tuple[str, ...]) -> Problem | None:
    if not isinstance(value, Decimal):
        return Problem(
            cites,
            f"{field} must be a Decimal hourly wage, got {_short(value)}",
            "Pass Decimal('15.00'), never a float.",
            field,
        )
    problem = money_problem(value, field, cites)
    if problem is not None:
        return problem
    if value < 0:
        return Problem(cites, f"{field} {value} is negative", "A wage is 0 or more.", field)
    return None


def _fine_wage(value: object) -> bool:
    """True for a wage :func:`_wage_problem` finds nothing wrong with (its fast path)."""
    if type(value) is not Decimal or not value.is_finite():
        return False
    return _ZERO <= value < _TOO_MUCH and (value * _HUNDRED) % _ONE == _ZERO


_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_TOO_MUCH = Decimal("1e12")


def _raise(problems: Sequence[Problem | None]) -> None:
    found = [p for p in problems if p is not None]
    if found:
        raise InvalidInput(problems=found)


@attrs.frozen(kw_only=True)
class WageRecord:
    """One hourly wage paid to one employee on one day (15(l), 15(a), 20(a)(1)).

    ``employee_id`` is a pseudonymous id chosen by the employer or the agency, never the
    employee's name: wage data is about people with disabilities and stays
    pseudonymous everywhere in the library. The library does not try to tell a name
    from an id; whoever records wages must not use names.

    ``baseline_14c`` is the employee's 14(c) wage in effect the day before the federal
    Competitive Integrated Employment For All Act's enactment or, while it is not
    enacted, the employee's last 14(c) wage (15(l): it "shall not be changed").
    ``customary_rate`` is the wage the employer pays for the same or similar work by
    people without disabilities (10 "Competitive employment"). ``benefits_equal`` says
    whether the employee's benefit package is at or above the one afforded to all
    employees, where the cost of care for a disability may be counted in it (15(a)(2));
    ``None`` when not compared. Wages are Decimal dollars with cents, never float; every
    field is checked when the record is built.
    """

    employee_id: str
    paid_on: dt.date
    hourly: Decimal
    has_disability: bool
    baseline_14c: Decimal | None = None
    customary_rate: Decimal | None = None
    benefits_equal: bool | None = None

    def __attrs_post_init__(self) -> None:
        if (
            type(self.employee_id) is str
            and self.employee_id.strip()
            and type(self.paid_on) is dt.date
            and _fine_wage(self.hourly)
            and type(self.has_disability) is bool
            and (self.baseline_14c is None or _fine_wage(self.baseline_14c))
            and (self.customary_rate is None or _fine_wage(self.customary_rate))
            and (self.benefits_equal is None or type(self.benefits_equal) is bool)
        ):
            return  # the common case, checked without building a problem
        cites = (FLOOR_CITE,)
        problems = [
            _id_problem(self.employee_id, "employee_id", cites),
            _date_problem(self.paid_on, "paid_on", cites),
            _wage_problem(self.hourly, "hourly", cites),
        ]
        if not isinstance(self.has_disability, bool):
            problems.append(
                Problem(
                    ('10 "Disability"',),
                    f"has_disability must be True or False, got {_short(self.has_disability)}",
                    'Say whether the employee has a disability (10 "Disability").',
                    "has_disability",
                )
            )
        if self.baseline_14c is not None:
            problems.append(_wage_problem(self.baseline_14c, "baseline_14c", cites))
        if self.customary_rate is not None:
            competitive = ('10 "Competitive employment"', "15(a)(2)")
            problems.append(_wage_problem(self.customary_rate, "customary_rate", competitive))
        if self.benefits_equal is not None and not isinstance(self.benefits_equal, bool):
            problems.append(
                Problem(
                    ("15(a)(2)",),
                    f"benefits_equal must be True, False or None, got {_short(self.benefits_equal)}",
                    "Use None when the benefit package was not compared.",
                    "benefits_equal",
                )
            )
        _raise(problems)


@attrs.frozen(kw_only=True)
class Headcount:
    """The employees of a grantee in the quarter starting ``quarter_start``, as counts
    only (20(a)(1): "changes in wages and employment").

    ``employees_with_disability`` is part of ``employees``; ``at_or_above_minimum``
    counts the employees with a disability paid at least the applicable minimum wage,
    so it is part of ``employees_with_disability``. Quarters are the grant's quarters
    (15(b)(9)), so ``quarter_start`` is any day.
    """

    quarter_start: dt.date
    employees: int
    employees_with_disability: int
    at_or_above_minimum: int

    def __attrs_post_init__(self) -> None:
        cites = ("20(a)(1)",)
        problems: list[Problem | None] = [_date_problem(self.quarter_start, "quarter_start", cites)]
        counts = {
            "employees": self.employees,
            "employees_with_disability": self.employees_with_disability,
            "at_or_above_minimum": self.at_or_above_minimum,
        }
        whole = True
        for name, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                whole = False
                problems.append(
                    Problem(
                        cites,
                        f"{name} must be a whole number >= 0, got {_short(value)}",
                        "Record a head count.",
                        name,
                    )
                )
        if whole and self.employees_with_disability > self.employees:
            problems.append(
                Problem(
                    cites,
                    f"{self.employees_with_disability} employees with a disability, "
                    f"more than the {self.employees} employees",
                    "Employees with a disability are counted among all employees.",
                    "employees_with_disability",
                )
            )
        if whole and self.at_or_above_minimum > self.employees_with_disability:
            problems.append(
                Problem(
                    cites,
                    f"{self.at_or_above_minimum} at or above the minimum wage, more than the "
                    f"{self.employees_with_disability} employees with a disability",
                    "Count only employees with a disability paid the minimum wage or more.",
                    "at_or_above_minimum",
                )
            )
        _raise(problems)
