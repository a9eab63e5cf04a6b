"""Section 20(a): the evaluation of a grant holder.

20(a)(1), "changes in wages and employment for employees with mental or physical
disabilities": :func:`evaluate_wages` compares wage records before and after (the
grant, a quarter, ...) and, when given, the head counts of two quarters. 20(a)(2),
"actions taken by the grant holder to comply with Section 15": :class:`ComplianceAction`
records, built by the service layer from the audit trail. :class:`Evaluation` holds both
(and the 15(c) performance summary) and turns into plain data for an event payload.

For a program-wide evaluation, pass the records of every grantee together; employee ids
must then be unique across grantees (prefix them with the grantee's id).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from choice_workflow.cites import is_known
from choice_workflow.domain.money import CENT
from choice_workflow.domain.performance import PerformanceSummary
from choice_workflow.domain.wages import Headcount, WageRecord
from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.rules import Rules

CITE = "20(a)(1)"


def _short(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@attrs.frozen(kw_only=True)
class WageGroup:
    """20(a)(1): the employees with a disability of one side of a comparison, each
    counted once, at their latest wage record (latest ``paid_on``; on a tie, the later
    record in the sequence).

    ``median`` and ``mean`` are to the cent (half up), ``None`` for an empty group;
    ``at_or_above_minimum`` counts those paid at least the applicable minimum wage on
    the evaluation date. A published report shows a group's median and mean only when
    :func:`~choice_workflow.domain.privacy.min_max_allowed` allows its size.
    """

    count: int
    median: Decimal | None
    mean: Decimal | None
    at_or_above_minimum: int

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data, Decimals as strings."""
        return {
            "count": self.count,
            "median": _money(self.median),
            "mean": _money(self.mean),
            "at_or_above_minimum": self.at_or_above_minimum,
        }


@attrs.frozen(kw_only=True)
class EmploymentChange:
    """20(a)(1): "changes in ... employment": the head counts of two quarters."""

    before: Headcount
    after: Headcount

    @property
    def employees(self) -> int:
        """The change in the number of employees."""
        return self.after.employees - self.before.employees

    @property
    def employees_with_disability(self) -> int:
        """The change in the number of employees with a disability."""
        return self.after.employees_with_disability - self.before.employees_with_disability

    @property
    def at_or_above_minimum(self) -> int:
        """The change in the number of employees with a disability paid at least the
        applicable minimum wage."""
        return self.after.at_or_above_minimum - self.before.at_or_above_minimum

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data: both head counts and the changes."""

        def count(h: Headcount) -> dict[str, Any]:
            return {
                "quarter_start": h.quarter_start.isoformat(),
                "employees": h.employees,
                "employees_with_disability": h.employees_with_disability,
                "at_or_above_minimum": h.at_or_above_minimum,
            }

        return {
            "before": count(self.before),
            "after": count(self.after),
            "change": {
                "employees": self.employees,
                "employees_with_disability": self.employees_with_disability,
                "at_or_above_minimum": self.at_or_above_minimum,
            },
        }


@attrs.frozen(kw_only=True)
class WageEvaluation:
    """20(a)(1): changes in wages and employment of employees with disabilities.

    ``minimum`` is the applicable minimum wage on ``on`` (the higher of the federal and
    the Illinois minimum); ``moved_to_minimum`` counts the employees below it before
    and at or above it after. ``employment`` is ``None`` when no head counts were given.
    """

    on: dt.date
    minimum: Decimal
    before: WageGroup
    after: WageGroup
    moved_to_minimum: int
    employment: EmploymentChange | None

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data, Decimals as strings, dates in ISO form."""
        return {
            "on": self.on.isoformat(),
            "minimum": str(self.minimum),
            "before": self.before.to_data(),
            "after": self.after.to_data(),
            "moved_to_minimum": self.moved_to_minimum,
            "employment": None if self.employment is None else self.employment.to_data(),
        }


def _latest(records: Sequence[WageRecord]) -> dict[str, WageRecord]:
    latest: dict[str, WageRecord] = {}
    for record in records:
        if not record.has_disability:
            continue
        seen = latest.get(record.employee_id)
        if seen is None or record.paid_on >= seen.paid_on:
            latest[record.employee_id] = record
    return latest


def _group(latest: dict[str, WageRecord], minimum: Decimal) -> WageGroup:
    wages = [r.hourly for r in latest.values()]
    if not wages:
        return WageGroup(count=0, median=None, mean=None, at_or_above_minimum=0)
    return WageGroup(
        count=len(wages),
        median=_cents(statistics.median(wages)),
        mean=_cents(sum(wages, Decimal(0)) / len(wages)),
        at_or_above_minimum=sum(1 for w in wages if w >= minimum),
    )


def evaluate_wages(
    before: Sequence[WageRecord],
    after: Sequence[WageRecord],
    *,
    rules: Rules,
    on: dt.date,
    headcount_before: Headcount | None = None,
    headcount_after: Headcount | None = None,
) -> WageEvaluation:
    """20(a)(1): how the wages of employees with disabilities changed from ``before``
    to ``after``, judged against the applicable minimum wage on ``on``; employees
    without a disability are left out. Each employee counts once per side, at the
    latest record (see :class:`WageGroup`). Give both head counts to evaluate the
    change in employment (``employment``), or neither.
    """
    before, after = tuple(before), tuple(after)  # read once, even if iterators were passed
    problems: list[Problem] = []
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        problems.append(
            Problem((CITE,), f"on must be a date, got {_short(on)}", "Pass a datetime.date.", "on")
        )
    for side, records in (("before", before), ("after", after)):
        problems.extend(
            Problem(
                (CITE,),
                f"{side}[{i}] is {_short(r)}, not a WageRecord",
                "Build each record with WageRecord(...).",
                f"{side}[{i}]",
            )
            for i, r in enumerate(records)
            if not isinstance(r, WageRecord)
        )
    counts = {"headcount_before": headcount_before, "headcount_after": headcount_after}
    for name, value in counts.items():
        if value is not None and not isinstance(value, Headcount):
            problems.append(
                Problem(
                    (CITE,),
                    f"{name} is {_short(value)}, not a Headcount",
                    "Pass Headcount(...) or None.",
                    name,
                )
            )
    if (headcount_before is None) != (headcount_after is None):
        problems.append(
            Problem(
                (CITE,),
                "a change in employment needs the head counts before and after",
                "Pass both head counts, or neither.",
                "headcount_after" if headcount_after is None else "headcount_before",
            )
        )
    if problems:
        raise InvalidInput(problems=problems)
    minimum = rules.applicable_minimum_on(on)
    first, last = _latest(before), _latest(after)
    moved = sum(
        1
        for employee, record in last.items()
        if record.hourly >= minimum and employee in first and first[employee].hourly < minimum
    )
    employment = (
        None
        if headcount_before is None or headcount_after is None
        else EmploymentChange(before=headcount_before, after=headcount_after)
    )
    return WageEvaluation(
        on=on,
        minimum=minimum,
        before=_group(first, minimum),
        after=_group(last, minimum),
        moved_to_minimum=moved,
        employment=employment,
    )


@attrs.frozen(kw_only=True)
class ComplianceAction:
    """20(a)(2): one action a grant holder took to comply with Section 15, as the
    audit trail shows it (a consent, a wage raise, an acceptance, a report).

    ``kind`` is a short name of the action (``"wage_raise"``), ``cite`` the provision of
    the Act it answers, one of :data:`~choice_workflow.cites.CITES` (checked).
    """

    kind: str
    date: dt.date
    cite: str
    description: str

    def __attrs_post_init__(self) -> None:
        problems = []
        if not isinstance(self.kind, str) or not self.kind.strip():
            problems.append(
                Problem(
                    ("20(a)(2)",), "an action needs a kind", "Name it, e.g. 'wage_raise'.", "kind"
                )
            )
        if not isinstance(self.date, dt.date) or isinstance(self.date, dt.datetime):
            problems.append(
                Problem(
                    ("20(a)(2)",),
                    f"date must be a date, got {_short(self.date)}",
                    "Pass a datetime.date.",
                    "date",
                )
            )
        if not isinstance(self.cite, str) or not is_known(self.cite):
            problems.append(
                Problem(
                    ("20(a)(2)",),
                    f"{self.cite!r} is not a cite of the Act",
                    "Use a key of choice_workflow.cites.CITES, e.g. '15(l)'.",
                    "cite",
                )
            )
        if not isinstance(self.description, str):
            problems.append(
                Problem(
                    ("20(a)(2)",),
                    f"description must be text, got {_short(self.description)}",
                    "Describe the action.",
                    "description",
                )
            )
        if problems:
            raise InvalidInput(problems=problems)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data, the date in ISO form."""
        return {
            "kind": self.kind,
            "date": self.date.isoformat(),
            "cite": self.cite,
            "description": self.description,
        }


@attrs.frozen(kw_only=True)
class Evaluation:
    """Section 20(a): the evaluation of one grant holder (or of the program): wages and
    employment (20(a)(1)), compliance actions (20(a)(2)) and, when recorded, the 15(c)
    performance summary. Store a published summary
    (:meth:`~choice_workflow.domain.performance.PerformanceSummary.published`) unless the
    payload is read by the evaluator role only."""

    wages: WageEvaluation
    actions: tuple[ComplianceAction, ...] = ()
    performance: PerformanceSummary | None = None

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-ready data for an event payload: Decimals as strings, dates in ISO
        form, durations as seconds in decimal strings."""
        return {
            "wages": self.wages.to_data(),
            "actions": [a.to_data() for a in self.actions],
            "performance": None if self.performance is None else self.performance.to_data(),
        }
