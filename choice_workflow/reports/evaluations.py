"""Section 20(a) per grantee, as recorded, as it may be published.

The evaluation of a grant holder is what its ``Evaluated`` event records
(``payload["evaluation"]``, the form of
:meth:`~choice_workflow.domain.evaluation.Evaluation.to_data`): the change in wages and
employment of employees with disabilities (20(a)(1)) and the actions taken to comply
with Section 15 (20(a)(2)). A grantee without that event is "not yet evaluated"; an
evaluation recorded in another form is "evaluation not readable". Nothing is computed
here that the evaluator did not record.

Counts of people go through :func:`~choice_workflow.domain.privacy.suppress` in ONE
table (rows: grant holders; columns: :data:`COLUMNS`): the employees at their latest
wage before and after, each split at the minimum wage; those moved to the minimum wage;
the head counts before and after, each split into with a disability at or above the
minimum, with a disability below it, and without a disability. One table, because the
same people are counted in several measures: tables suppressed one by one could
publish, in one, a cell that another suppressed to protect a small one (the
differencing the privacy module warns of). Its row totals add different measures and
are not published; a grantee's group size (before, after, head count) is shown only
where all its parts are published, so that nothing shown is not already derivable
from published cells. A group's median and mean wage are shown only for 11 people or
more (:func:`~choice_workflow.domain.privacy.min_max_allowed`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.domain.evaluation import (
    ComplianceAction,
    EmploymentChange,
    Evaluation,
    WageEvaluation,
    WageGroup,
)
from choice_workflow.domain.privacy import SuppressedTable, min_max_allowed, suppress
from choice_workflow.domain.recorded import headcount_from_data
from choice_workflow.domain.state import State
from choice_workflow.domain.wages import Headcount
from choice_workflow.errors import InvalidInput
from choice_workflow.events import EventType
from choice_workflow.lifecycle.corrections import effective_records
from choice_workflow.reports.source import ProgramLog

EVALUATED = "evaluated"
NOT_YET_EVALUATED = "not yet evaluated"
NOT_READABLE = "evaluation not readable"

WAGES_BEFORE = ("wages before: at or above minimum", "wages before: below minimum")
WAGES_AFTER = ("wages after: at or above minimum", "wages after: below minimum")
MOVED = "moved to minimum"
EMPLOYMENT_BEFORE = (
    "employment before: with a disability, at or above minimum",
    "employment before: with a disability, below minimum",
    "employment before: without a disability",
)
EMPLOYMENT_AFTER = (
    "employment after: with a disability, at or above minimum",
    "employment after: with a disability, below minimum",
    "employment after: without a disability",
)
COLUMNS = (*WAGES_BEFORE, *WAGES_AFTER, MOVED, *EMPLOYMENT_BEFORE, *EMPLOYMENT_AFTER)
"""The columns of the one table of 20(a)(1) counts: disjoint parts of each measure, so
that every count shown is a cell, a column total, or a sum of published cells."""

GRANT_HOLDERS = frozenset(
    {State.ACCEPTED, State.TRANSITIONING, State.EVALUATED, State.CLOSED, State.TERMINATED}
)
"""The states of a grant whose employer accepted it: the "grant holders" of 20(a)."""


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@attrs.frozen(kw_only=True)
class PublishedWages:
    """20(a)(1), one side (before or after) of a grantee's wages, as published:
    ``employees`` (with a disability, at their latest wage), split at the minimum wage;
    ``None`` for a suppressed count, and for a median or mean of 10 people or fewer."""

    employees: int | None
    at_or_above_minimum: int | None
    below_minimum: int | None
    median: Decimal | None
    mean: Decimal | None

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "employees": self.employees,
            "at_or_above_minimum": self.at_or_above_minimum,
            "below_minimum": self.below_minimum,
            "median": _money(self.median),
            "mean": _money(self.mean),
        }


@attrs.frozen(kw_only=True)
class PublishedEmployment:
    """20(a)(1), one quarter's head count of a grantee, as published (``None`` for a
    suppressed count)."""

    quarter_start: dt.date
    employees: int | None
    with_disability_at_or_above_minimum: int | None
    with_disability_below_minimum: int | None
    without_disability: int | None

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "quarter_start": self.quarter_start.isoformat(),
            "employees": self.employees,
            "with_disability_at_or_above_minimum": self.with_disability_at_or_above_minimum,
            "with_disability_below_minimum": self.with_disability_below_minimum,
            "without_disability": self.without_disability,
        }


@attrs.frozen(kw_only=True)
class GranteeEvaluation:
    """Section 20(a) of one grant holder, as recorded and as published.

    ``status`` is ``"evaluated"``, ``"not yet evaluated"`` or ``"evaluation not
    readable"``; the other fields are set for ``"evaluated"`` only (``employment_*``
    only when head counts were evaluated).
    """

    status: str
    evaluated_on: dt.date | None = None
    minimum: Decimal | None = None
    wages_before: PublishedWages | None = None
    wages_after: PublishedWages | None = None
    moved_to_minimum: int | None = None
    employment_before: PublishedEmployment | None = None
    employment_after: PublishedEmployment | None = None
    actions: tuple[ComplianceAction, ...] = ()
    corrected: bool = False
    """True when the evaluation shown was corrected by a later event (both are in the
    log); reports mark it."""

    @property
    def shown_status(self) -> str:
        """The status with the correction mark: ``evaluated (corrected)``."""
        return f"{self.status} (corrected)" if self.corrected else self.status

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""

        def opt(value: PublishedWages | PublishedEmployment | None) -> dict[str, Any] | None:
            return None if value is None else value.to_data()

        return {
            "status": self.status,
            "evaluated_on": None if self.evaluated_on is None else self.evaluated_on.isoformat(),
            "minimum": _money(self.minimum),
            "wages_before": opt(self.wages_before),
            "wages_after": opt(self.wages_after),
            "moved_to_minimum": self.moved_to_minimum,
            "employment_before": opt(self.employment_before),
            "employment_after": opt(self.employment_after),
            "actions": [a.to_data() for a in self.actions],
            "corrected": self.corrected,
        }


@attrs.frozen(kw_only=True)
class EvaluationTables:
    """20(a)(1) across grant holders: each one's :class:`GranteeEvaluation`, and the one
    suppressed table of counts behind them (rows: the evaluated grant ids)."""

    by_grant: Mapping[str, GranteeEvaluation]
    counts: SuppressedTable
    without_employment: frozenset[str]
    """Evaluated grant ids whose evaluation has no head counts: their employment columns
    hold zeros that stand for nothing and are not published."""

    def statuses(self) -> dict[str, int]:
        """How many grant holders have each status."""
        found = {EVALUATED: 0, NOT_YET_EVALUATED: 0, NOT_READABLE: 0}
        for evaluation in self.by_grant.values():
            found[evaluation.status] += 1
        return found

    def cell(self, grant_id: str | None, column: str) -> int | None:
        """A published cell (``grant_id`` None: the column's total), ``None`` when
        suppressed."""
        return self.counts.value(grant_id, column)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data: the cells (``null`` where suppressed; a grantee without head
        counts has no employment cells) and the column totals, without row totals."""
        employment = {*EMPLOYMENT_BEFORE, *EMPLOYMENT_AFTER}

        def shown(gid: str, column: str) -> bool:
            # A zero standing for "no head count" is left out, unless suppression used
            # it to protect another cell: then it shows as suppressed, like any other.
            return (
                gid not in self.without_employment
                or column not in employment
                or (gid, column) in self.counts.suppressed
            )

        return {
            "columns": list(self.counts.columns),
            "cells": {
                gid: {c: self.cell(gid, c) for c in self.counts.columns if shown(gid, c)}
                for gid in self.counts.rows
            },
            "column_totals": {c: self.cell(None, c) for c in self.counts.columns},
        }


def _group(data: Mapping[str, Any]) -> WageGroup:
    def money(key: str) -> Decimal | None:
        value = data[key]
        return None if value is None else Decimal(str(value))

    return WageGroup(
        count=int(data["count"]),
        median=money("median"),
        mean=money("mean"),
        at_or_above_minimum=int(data["at_or_above_minimum"]),
    )


def _consistent(wages: WageEvaluation) -> bool:
    """Whether the recorded counts fit together (each part within its whole), as an
    evaluation computed by the library's own always do."""
    groups_fit = all(0 <= g.at_or_above_minimum <= g.count for g in (wages.before, wages.after))
    return groups_fit and 0 <= wages.moved_to_minimum <= wages.after.at_or_above_minimum


def evaluation_from_data(data: object) -> Evaluation | None:
    """The :class:`~choice_workflow.domain.evaluation.Evaluation` an ``Evaluated``
    event recorded, or ``None`` when it was recorded in another form or its counts do
    not fit together. The 15(c) performance summary is left out: reports show no
    health data."""
    if not isinstance(data, Mapping):
        return None
    try:
        wages = data["wages"]
        employment = wages["employment"]
        evaluation = Evaluation(
            wages=WageEvaluation(
                on=dt.date.fromisoformat(str(wages["on"])),
                minimum=Decimal(str(wages["minimum"])),
                before=_group(wages["before"]),
                after=_group(wages["after"]),
                moved_to_minimum=int(wages["moved_to_minimum"]),
                employment=None
                if employment is None
                else EmploymentChange(
                    before=headcount_from_data(employment["before"]),
                    after=headcount_from_data(employment["after"]),
                ),
            ),
            actions=tuple(
                ComplianceAction(
                    kind=str(a["kind"]),
                    date=dt.date.fromisoformat(str(a["date"])),
                    cite=str(a["cite"]),
                    description=str(a["description"]),
                )
                for a in data["actions"]
            ),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError, InvalidInput):
        return None
    return evaluation if _consistent(evaluation.wages) else None


def _recorded(log: ProgramLog, grant_id: str) -> tuple[bool, Evaluation | None, bool]:
    """Whether the grant was evaluated, its evaluation (as corrected) if readable, and
    whether a correction changed it."""
    found = effective_records(log.events.get(grant_id, ()), EventType.EVALUATED)
    if not found:
        return False, None, False
    last = found[-1]
    return True, evaluation_from_data(last.payload.get("evaluation")), last.corrected


def _row(wages: WageEvaluation) -> dict[str, int]:
    before, after = wages.before, wages.after
    row = {
        WAGES_BEFORE[0]: before.at_or_above_minimum,
        WAGES_BEFORE[1]: before.count - before.at_or_above_minimum,
        WAGES_AFTER[0]: after.at_or_above_minimum,
        WAGES_AFTER[1]: after.count - after.at_or_above_minimum,
        MOVED: wages.moved_to_minimum,
    }
    employment = wages.employment
    for names, count in (
        (EMPLOYMENT_BEFORE, None if employment is None else employment.before),
        (EMPLOYMENT_AFTER, None if employment is None else employment.after),
    ):
        parts = (
            (0, 0, 0)
            if count is None
            else (
                count.at_or_above_minimum,
                count.employees_with_disability - count.at_or_above_minimum,
                count.employees - count.employees_with_disability,
            )
        )
        row.update(zip(names, parts, strict=True))
    return row


def _sum(parts: Sequence[int | None]) -> int | None:
    """The sum of published parts, ``None`` unless every part is published."""
    return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)


def _published_wages(
    table: SuppressedTable, gid: str, columns: tuple[str, str], group: WageGroup
) -> PublishedWages:
    at, below = (table.value(gid, c) for c in columns)
    shown = min_max_allowed(group.count)
    return PublishedWages(
        employees=_sum((at, below)),
        at_or_above_minimum=at,
        below_minimum=below,
        median=group.median if shown else None,
        mean=group.mean if shown else None,
    )


def _published_count(
    table: SuppressedTable, gid: str, columns: tuple[str, ...], count: Headcount
) -> PublishedEmployment:
    at, below, without = (table.value(gid, c) for c in columns)
    return PublishedEmployment(
        quarter_start=count.quarter_start,
        employees=_sum((at, below, without)),
        with_disability_at_or_above_minimum=at,
        with_disability_below_minimum=below,
        without_disability=without,
    )


def evaluation_tables(log: ProgramLog, grant_ids: Sequence[str]) -> EvaluationTables:
    """20(a) for the grant holders among ``grant_ids`` (in that order), with every count
    of people suppressed in one table (see the module's docstring)."""
    holders = [gid for gid in grant_ids if log.grants[gid].state in GRANT_HOLDERS]
    recorded = {gid: _recorded(log, gid) for gid in holders}
    wages = {gid: e.wages for gid, (_, e, _) in recorded.items() if e is not None}
    table = suppress({gid: _row(w) for gid, w in wages.items()})
    by_grant: dict[str, GranteeEvaluation] = {}
    for gid in holders:
        was_evaluated, evaluation, corrected = recorded[gid]
        if evaluation is None:
            by_grant[gid] = GranteeEvaluation(
                status=NOT_READABLE if was_evaluated else NOT_YET_EVALUATED
            )
            continue
        w = evaluation.wages
        change = w.employment
        by_grant[gid] = GranteeEvaluation(
            status=EVALUATED,
            evaluated_on=w.on,
            minimum=w.minimum,
            wages_before=_published_wages(table, gid, WAGES_BEFORE, w.before),
            wages_after=_published_wages(table, gid, WAGES_AFTER, w.after),
            moved_to_minimum=table.value(gid, MOVED),
            employment_before=None
            if change is None
            else _published_count(table, gid, EMPLOYMENT_BEFORE, change.before),
            employment_after=None
            if change is None
            else _published_count(table, gid, EMPLOYMENT_AFTER, change.after),
            actions=evaluation.actions,
            corrected=corrected,
        )
    return EvaluationTables(
        by_grant=by_grant,
        counts=table,
        without_employment=frozenset(gid for gid, w in wages.items() if w.employment is None),
    )
