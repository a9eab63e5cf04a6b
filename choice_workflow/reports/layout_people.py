"""The sections of a report that count people: grant holders and their 20(a)
evaluations, wages against the 15(l) floor, wage findings, and the 15(b)(1) disability
breakdown.

Every count here arrives already suppressed (:mod:`~choice_workflow.reports.evaluations`,
:mod:`~choice_workflow.reports.trajectories`) and every wage statistic already withheld
for groups of 10 or fewer: this module only places them, as :attr:`Mark.SUPPRESSED` and
:attr:`Mark.WITHHELD` where nothing is published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from choice_workflow.reports.document import (
    TOTAL,
    Cell,
    Chart,
    Mark,
    Section,
    Series,
    Table,
    count,
    maybe,
    suppressed_table,
    wage,
)
from choice_workflow.reports.evaluations import (
    EVALUATED,
    MOVED,
    WAGES_AFTER,
    WAGES_BEFORE,
    EvaluationTables,
    PublishedEmployment,
    PublishedWages,
)
from choice_workflow.reports.trajectories import ALL_GRANTEES, TrajectoryPoint

if TYPE_CHECKING:
    from choice_workflow.reports.data import Grantee, ProgramData


def _wages_cells(w: PublishedWages | None) -> tuple[Cell, ...]:
    if w is None:
        return (Mark.NONE,) * 5
    return (
        count(w.employees),
        count(w.at_or_above_minimum),
        count(w.below_minimum),
        wage(w.median),
        wage(w.mean),
    )


def _count_cells(h: PublishedEmployment | None) -> tuple[Cell, ...]:
    if h is None:
        return (Mark.NONE,) * 5
    return (
        h.quarter_start,
        count(h.employees),
        count(h.with_disability_at_or_above_minimum),
        count(h.with_disability_below_minimum),
        count(h.without_disability),
    )


def _listing(grantees: Sequence[Grantee]) -> Table:
    return Table(
        key="grant-holders",
        title="Grant holders",
        columns=(
            "grant",
            "employer",
            "cycle",
            "state",
            "county",
            "area",
            "setting",
            "size band",
            "amount",
            "disbursed",
            "period start",
            "period end",
            "evaluation",
        ),
        rows=tuple(
            (
                g.grant_id,
                g.legal_name or g.employer_id,
                g.cycle,
                g.state,
                maybe(g.county),
                g.area,
                g.setting,
                g.band,
                maybe(g.amount),
                g.disbursed,
                maybe(g.period_start),
                maybe(g.period_end),
                g.evaluation.shown_status,
            )
            for g in grantees
        ),
        cite="20(a)(1)",
    )


def _wage_changes(evaluated: Sequence[Grantee], tables: EvaluationTables) -> Table:
    side = ("employees", "at or above minimum", "below minimum", "median", "mean")
    rows: list[tuple[Cell, ...]] = [
        (
            f"{g.grant_id} (corrected)" if g.evaluation.corrected else g.grant_id,
            maybe(g.evaluation.evaluated_on),
            maybe(g.evaluation.minimum),
            *_wages_cells(g.evaluation.wages_before),
            *_wages_cells(g.evaluation.wages_after),
            count(g.evaluation.moved_to_minimum),
        )
        for g in evaluated
    ]
    if evaluated:
        rows.append(
            (
                TOTAL,
                Mark.NONE,
                Mark.NONE,
                *_totals(tables, WAGES_BEFORE),
                *_totals(tables, WAGES_AFTER),
                count(tables.cell(None, MOVED)),
            )
        )
    return Table(
        key="wage-changes",
        title="Wages of employees with disabilities, before and after the transition",
        columns=(
            "grant",
            "evaluated on",
            "minimum wage",
            *(f"before: {c}" for c in side),
            *(f"after: {c}" for c in side),
            "moved to minimum",
        ),
        rows=tuple(rows),
        cite="20(a)(1)",
    )


def _employment_changes(evaluated: Sequence[Grantee]) -> Table:
    kinds = ("employees", "with disability, at/above minimum", "with disability, below", "without")
    return Table(
        key="employment-changes",
        title="Employment before and after the transition (head counts of two quarters)",
        columns=(
            "grant",
            *(f"before: {c}" for c in ("quarter", *kinds)),
            *(f"after: {c}" for c in ("quarter", *kinds)),
            "change in employees",
        ),
        rows=tuple(
            (
                g.grant_id,
                *_count_cells(g.evaluation.employment_before),
                *_count_cells(g.evaluation.employment_after),
                _change(g.evaluation.employment_before, g.evaluation.employment_after),
            )
            for g in evaluated
            if g.evaluation.employment_before is not None
        ),
        cite="20(a)(1)",
    )


def _actions(grantees: Sequence[Grantee]) -> Table:
    """20(a)(2): each grant holder's actions, by kind: how many, first and last day."""
    rows: list[tuple[Cell, ...]] = []
    for g in grantees:
        if g.evaluation.status != EVALUATED:
            rows.append((g.grant_id, g.evaluation.status, Mark.NONE, 0, Mark.NONE, Mark.NONE))
        by_kind: dict[tuple[str, str], list[dt.date]] = {}
        for a in g.evaluation.actions:
            by_kind.setdefault((a.kind, a.cite), []).append(a.date)
        rows.extend(
            (g.grant_id, kind, cite, len(days), min(days), max(days))
            for (kind, cite), days in by_kind.items()
        )
    return Table(
        key="compliance-actions",
        title="Actions of each grant holder, from its audit trail",
        columns=("grant", "action", "cite", "times", "first", "last"),
        rows=tuple(rows),
        cite="20(a)(2)",
    )


def grantees_section(data: ProgramData) -> Section:
    """20(a): the grant holders, and their evaluations as recorded: changes in wages and
    employment (20(a)(1)), actions taken to comply with Section 15 (20(a)(2))."""
    grantees = data.grantees
    evaluated = [g for g in grantees if g.evaluation.status == EVALUATED]
    waiting = [g.grant_id for g in grantees if g.evaluation.status != EVALUATED]
    text = (
        f"{len(evaluated)} of {len(grantees)} grant holders evaluated as of "
        f"{data.as_of_date.isoformat()}."
        + (f" Not yet evaluated: {', '.join(waiting)}." if waiting else ""),
        "Each evaluation is shown as the evaluator recorded it (20(a)); nothing is "
        "computed for a grant holder not yet evaluated.",
    )
    return Section(
        key="grant-holders",
        title="Grant holders and their evaluation",
        cite="20(a)(1)",
        text=text,
        tables=(_listing(grantees),),
        sections=(
            Section(
                key="wage-changes",
                title="Changes in wages",
                cite="20(a)(1)",
                tables=(_wage_changes(evaluated, data.evaluations),),
            ),
            Section(
                key="employment-changes",
                title="Changes in employment",
                cite="20(a)(1)",
                tables=(_employment_changes(evaluated),),
            ),
            Section(
                key="compliance-actions",
                title="Actions taken to comply with Section 15",
                cite="20(a)(2)",
                tables=(_actions(grantees),),
            ),
            Section(
                key="corrections",
                title="Corrected records",
                cite="20(a)(1)",
                text=(
                    "Figures above use the records as corrected. A correction never edits "
                    "the log: it is a new event that references the record it corrects, "
                    "with who made it and why; both stay in the log.",
                ),
                tables=(_corrections(data),),
            ),
        ),
    )


def _corrections(data: ProgramData) -> Table:
    return Table(
        key="corrections",
        title="Corrections and amendments of grant records",
        columns=("grant", "date", "corrected", "version", "fields", "reason"),
        rows=tuple(
            (
                c.grant_id,
                c.day,
                c.kind,
                Mark.NONE if c.corrects is None else c.corrects,
                ", ".join(c.fields),
                c.reason,
            )
            for c in data.corrections
        ),
        cite="20(a)(1)",
    )


def _totals(tables: EvaluationTables, columns: tuple[str, str]) -> tuple[Cell, ...]:
    at, below = (tables.cell(None, c) for c in columns)
    both = None if at is None or below is None else at + below
    return (count(both), count(at), count(below), Mark.NONE, Mark.NONE)


def _change(before: PublishedEmployment | None, after: PublishedEmployment | None) -> Cell:
    if before is None or after is None or before.employees is None or after.employees is None:
        return Mark.SUPPRESSED if before is not None and after is not None else Mark.NONE
    return f"{after.employees - before.employees:+d}"


def wages_section(data: ProgramData) -> Section:
    """15(l): the wage trajectories against the floor: a chart and its tables."""
    trajectories = data.wages.trajectories
    if not trajectories:
        return Section(
            key="wages",
            title="Wages against the 15(l) floor",
            cite="15(l)",
            text=(f"No wages are recorded as of {data.as_of_date.isoformat()}.",),
        )
    program, grants = trajectories[0], trajectories[1:]
    quarters = tuple(p.quarter for p in program.points)
    series = [
        Series(name=f"median, {ALL_GRANTEES}", values=tuple(p.median for p in program.points)),
        Series(name="15(l) floor", values=tuple(p.floor for p in program.points), style="step"),
    ]
    series += [
        Series(name=f"median, {t.name}", values=tuple(p.median for p in t.points), style="dotted")
        for t in grants
        if any(p.median is not None for p in t.points)
    ]
    chart = Chart(
        key="wage-trajectories",
        title="Median hourly wage of employees with disabilities against the 15(l) floor",
        x=quarters,
        series=tuple(series),
        y_title="dollars an hour",
        cite="15(l)",
    )
    points = Table(
        key="wages-all-grantees",
        title="All grantees, by quarter",
        columns=(
            "quarter",
            "median",
            "mean",
            "minimum",
            "maximum",
            "floor",
            "floor item",
            "floor on",
        ),
        rows=tuple(
            (
                p.quarter,
                *_statistics(p),
                maybe(p.floor),
                maybe(p.floor_item),
                p.floor_on,
            )
            for p in program.points
        ),
        cite="15(l)",
    )
    medians = Table(
        key="wages-median-by-grant",
        title="Median hourly wage by grant holder and quarter",
        columns=("grant", *quarters),
        rows=tuple(
            (t.name, *(wage(p.median) if p.recorded else Mark.NONE for p in t.points))
            for t in grants
        ),
        cite="15(l)",
    )
    return Section(
        key="wages",
        title="Wages against the 15(l) floor",
        cite="15(l)",
        text=(
            "Each quarter counts the employees with a disability once, at their latest wage "
            "of the quarter; the floor is the one in force at the end of the quarter (or on "
            "the report's day), without a grantee's own 15(b)(13) date for all grantees "
            "together and with it for each grant holder.",
        ),
        tables=(points, medians),
        charts=(chart,),
    )


def _statistics(p: TrajectoryPoint) -> tuple[Cell, ...]:
    if not p.recorded:
        return (Mark.NONE,) * 4
    return (wage(p.median), wage(p.mean), wage(p.minimum), wage(p.maximum))


def findings_section(data: ProgramData) -> Section:
    """15(l), 15(a): wage findings by grant holder and cite, suppressed."""
    table = data.wages.findings
    return Section(
        key="wage-findings",
        title="Wage findings by cite",
        cite="15(l)",
        text=(
            "Wage records judged against the 15(l) floor and the employee's 14(c) baseline, "
            "the federal minimum wage (15(a)(1)) and the customary wage and benefits (10 "
            '"Competitive employment", 15(a)(2)). Findings only: no certificate is affected '
            "(15(m), 25).",
        ),
        tables=(
            suppressed_table(
                "wage-findings",
                "Wage findings by grant holder and cite",
                table,
                "grant",
                cite="15(l)",
            ),
        )
        if table.columns
        else (),
    )


def disability_section(data: ProgramData) -> Section:
    """15(b)(1): the grant holders' employees under 14(c) by disability, suppressed."""
    return Section(
        key="disability",
        title="Employees under 14(c) at application, by disability",
        cite="15(b)(1)",
        tables=(
            suppressed_table(
                "disability-at-application",
                "Grant holders' employees under a 14(c) certificate, by disability category",
                data.disability,
                "disability",
                cite="15(b)(1)",
            ),
        )
        if data.disability.rows and data.disability.columns
        else (),
    )
