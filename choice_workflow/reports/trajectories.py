"""Wage trajectories against the 15(l) floor, and wage findings by cite.

For each calendar quarter with recorded wages, the employees with a disability of each
grantee (and of all grantees together) are counted once, at their latest wage of the
quarter, and their median wage set against the 15(l) floor in force at the end of the
quarter (or at the report's instant, if earlier): :func:`~choice_workflow.domain.wages.floor_on`,
without a grantee's own 15(b)(13) date for the program-wide line, with it for the
grantee's. The group statistics are those of the 20(a)(1) evaluation
(:func:`~choice_workflow.domain.evaluation.evaluate_wages`); the lowest and highest wage
are over every record of the quarter.

Privacy: no median, mean, minimum or maximum is shown for a group of 10 people or fewer
(:func:`~choice_workflow.domain.privacy.min_max_allowed`), and the trajectories publish
no counts of people: the same people are counted in the 20(a)(1) table
(:mod:`~choice_workflow.reports.evaluations`), and quarterly counts suppressed apart from
it could reveal, by difference, a cell it suppressed. Wage findings (15(l), 15(a)(1),
15(a)(2), 10 "Competitive employment") count wage records, not people, by their cites
in one suppressed table of grant holders by cites.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.domain.evaluation import evaluate_wages
from choice_workflow.domain.privacy import SuppressedTable, min_max_allowed, suppress
from choice_workflow.domain.recorded import wage_from_data
from choice_workflow.domain.wages import WageRecord, check_wages, floor_on
from choice_workflow.errors import InvalidInput
from choice_workflow.events import EventType
from choice_workflow.lifecycle.corrections import effective_records
from choice_workflow.reports.source import ProgramLog

ALL_GRANTEES = "all grantees"


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def quarter_of(day: dt.date) -> tuple[int, int]:
    """The calendar quarter (year, 1-4) of ``day``."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_label(quarter: tuple[int, int]) -> str:
    """``"2031-Q1"``."""
    return f"{quarter[0]}-Q{quarter[1]}"


def quarter_bounds(quarter: tuple[int, int]) -> tuple[dt.date, dt.date]:
    """The first and last day of a calendar quarter."""
    year, q = quarter
    first = dt.date(year, 3 * q - 2, 1)
    after = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return first, after - dt.timedelta(days=1)


def _quarters(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    found = []
    year, q = first
    while (year, q) <= last:
        found.append((year, q))
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return found


@attrs.frozen(kw_only=True)
class TrajectoryPoint:
    """One quarter of a wage trajectory, as published.

    ``recorded`` says whether any wage of an employee with a disability was recorded in
    the quarter; ``median``, ``mean``, ``minimum`` and ``maximum`` are ``None`` when
    none was, or for a group of 10 or fewer; ``floor`` is the 15(l) floor on
    ``floor_on`` (``None`` before the effective date), ``floor_item`` its governing item.
    """

    quarter: str
    start: dt.date
    end: dt.date
    recorded: bool
    median: Decimal | None
    mean: Decimal | None
    minimum: Decimal | None
    maximum: Decimal | None
    floor_on: dt.date
    floor: Decimal | None
    floor_item: str | None

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "quarter": self.quarter,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "recorded": self.recorded,
            "median": _money(self.median),
            "mean": _money(self.mean),
            "minimum": _money(self.minimum),
            "maximum": _money(self.maximum),
            "floor_on": self.floor_on.isoformat(),
            "floor": _money(self.floor),
            "floor_item": self.floor_item,
        }


@attrs.frozen(kw_only=True)
class Trajectory:
    """15(l): the quarterly wages of one grantee (``name`` is its grant id) or of all
    grantees, against the floor."""

    name: str
    committed_full_minimum_on: dt.date | None
    points: tuple[TrajectoryPoint, ...]

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        committed = self.committed_full_minimum_on
        return {
            "name": self.name,
            "committed_full_minimum_on": None if committed is None else committed.isoformat(),
            "points": [p.to_data() for p in self.points],
        }


@attrs.frozen(kw_only=True)
class WageTables:
    """The trajectories (all grantees first) and the wage findings."""

    trajectories: tuple[Trajectory, ...]
    findings: SuppressedTable
    """Wage findings by grant holder (rows) and cites (columns, the cites joined by
    ", "), suppressed."""

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "trajectories": [t.to_data() for t in self.trajectories],
            "findings_by_cite": self.findings.to_data(),
        }


def wage_records(log: ProgramLog, grant_id: str) -> list[WageRecord]:
    """Every wage the log records for a grant as of its instant, in recorded order, as
    corrected (a correction replaces the records of the report it corrects)."""
    records = []
    for report in effective_records(log.events.get(grant_id, ()), EventType.WAGES_RECORDED):
        for data in report.payload.get("records", ()):
            try:
                records.append(wage_from_data(data))
            except (InvalidInput, KeyError, TypeError, ValueError, ArithmeticError):
                continue  # a damaged record is verify's to report, not the report's
    return records


def _floor(
    log: ProgramLog, day: dt.date, committed: dt.date | None
) -> tuple[Decimal | None, str | None]:
    if day < log.rules.effective_date:
        return None, None
    floor = floor_on(day, log.rules, committed_full_minimum_on=committed)
    return floor.amount, floor.item


def _point(
    log: ProgramLog,
    quarter: tuple[int, int],
    records: Sequence[WageRecord],
    committed: dt.date | None,
) -> TrajectoryPoint:
    start, end = quarter_bounds(quarter)
    day = min(end, log.as_of_date)
    disabled = [r for r in records if r.has_disability]
    group = evaluate_wages((), disabled, rules=log.rules, on=day).after
    shown = min_max_allowed(group.count)
    wages = [r.hourly for r in disabled]
    floor, item = _floor(log, day, committed)
    return TrajectoryPoint(
        quarter=quarter_label(quarter),
        start=start,
        end=end,
        recorded=bool(disabled),
        median=group.median if shown else None,
        mean=group.mean if shown else None,
        minimum=min(wages) if shown and wages else None,
        maximum=max(wages) if shown and wages else None,
        floor_on=day,
        floor=floor,
        floor_item=item,
    )


def wage_tables(log: ProgramLog, grant_ids: Sequence[str]) -> WageTables:
    """15(l), 20(a)(1): trajectories and wage findings of the grants ``grant_ids`` (in
    that order) that have wages recorded."""
    records = {gid: wage_records(log, gid) for gid in grant_ids}
    records = {gid: found for gid, found in records.items() if found}
    committed: dict[str, dt.date | None] = {}
    for gid in records:
        application = log.applications.get(gid)
        committed[gid] = None if application is None else application.full_minimum_wage_on
    by_quarter: dict[str, dict[tuple[int, int], list[WageRecord]]] = {}
    for gid, found in records.items():
        for r in found:
            by_quarter.setdefault(gid, {}).setdefault(quarter_of(r.paid_on), []).append(r)
    seen = sorted({q for quarters in by_quarter.values() for q in quarters})
    quarters = _quarters(seen[0], seen[-1]) if seen else []
    program_wide = Trajectory(
        name=ALL_GRANTEES,
        committed_full_minimum_on=None,
        points=tuple(
            _point(
                log,
                q,
                [
                    # Employee ids are the grantee's own: prefix them to count each once.
                    attrs.evolve(r, employee_id=f"{gid}/{r.employee_id}")
                    for gid in records
                    for r in by_quarter[gid].get(q, ())
                ],
                None,
            )
            for q in quarters
        ),
    )
    per_grant = tuple(
        Trajectory(
            name=gid,
            committed_full_minimum_on=committed[gid],
            points=tuple(
                _point(log, q, by_quarter[gid].get(q, []), committed[gid]) for q in quarters
            ),
        )
        for gid in records
    )
    return WageTables(
        trajectories=(program_wide, *per_grant) if records else (),
        findings=_findings(log, records, committed),
    )


def _findings(
    log: ProgramLog,
    records: Mapping[str, list[WageRecord]],
    committed: Mapping[str, dt.date | None],
) -> SuppressedTable:
    rows: dict[str, dict[str, int]] = {}
    for gid, found in records.items():
        started = log.grants[gid].transition_started_at
        findings = check_wages(
            found,
            rules=log.rules,
            committed_full_minimum_on=committed[gid],
            transition_started_on=None if started is None else log.local_date(started),
        )
        row = rows.setdefault(gid, {})
        for finding in findings:
            cite = ", ".join(finding.cites)
            row[cite] = row.get(cite, 0) + 1
    columns = sorted({c for row in rows.values() for c in row})
    return suppress({gid: {c: row.get(c, 0) for c in columns} for gid, row in rows.items()})
