"""The program's data as of an instant: the plain model both reports are built from.

:func:`program_data` reads a Program, a store or an exported log as of ``as_of``
(:func:`~choice_workflow.reports.source.read_program_log`; never the wall clock) and
gathers:

- per cycle, the appropriation, what is reserved and disbursed, and awards and funds by
  geographic area, rural/urban (15(d)) and size band (15(e)); grants by state;
- per grant holder, its stratum, award, grant period and the 20(a)(1) / 20(a)(2)
  evaluation as recorded, or "not yet evaluated";
- wage trajectories against the 15(l) floor, and wage findings by cite;
- the 15(b)(1) disability breakdown of the grant holders' employees under 14(c);
- program-wide totals.

Every count of people is suppressed as :mod:`~choice_workflow.domain.privacy` says;
counts of employers and grants, and dollars, are published as they are.
:func:`activity` counts what happened in a period, for the Task Force's report (35(c)).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pendulum

from choice_workflow.domain.application import DISABILITY_CATEGORIES
from choice_workflow.domain.counties import CountyTable, table_for
from choice_workflow.domain.cycle import period_start
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.privacy import SuppressedTable, suppress
from choice_workflow.events import EventType, format_instant
from choice_workflow.lifecycle.corrections import change_of
from choice_workflow.reports.evaluations import (
    EVALUATED,
    GRANT_HOLDERS,
    NOT_READABLE,
    NOT_YET_EVALUATED,
    EvaluationTables,
    GranteeEvaluation,
    evaluation_tables,
)
from choice_workflow.reports.funds import (
    ZERO,
    CycleFunds,
    cycle_funds,
    grants_by_state,
    strata,
)
from choice_workflow.reports.returns import (
    ApprovalWarning,
    ReturnedFunds,
    UnsourcedArea,
    approval_warnings,
    returned_funds,
    unsourced_area,
)
from choice_workflow.reports.source import ProgramLog, read_program_log
from choice_workflow.reports.trajectories import WageTables, wage_tables
from choice_workflow.store.base import Store
from choice_workflow.time.calendar import grant_period_end
from choice_workflow.time.instants import zone

if TYPE_CHECKING:
    from choice_workflow.service.program import Program


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


@attrs.frozen(kw_only=True)
class Grantee:
    """A grant holder (accepted, transitioning, evaluated or terminated): who, where
    (15(d), 15(e)), how much, its 3-year period (15(f)) and its evaluation (20(a))."""

    grant_id: str
    employer_id: str
    legal_name: str | None
    cycle: int
    state: str
    county: str | None
    area: str
    setting: str
    band: str
    amount: Decimal | None
    disbursed: Decimal
    period_start: dt.date | None
    period_end: dt.date | None
    evaluation: GranteeEvaluation

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "grant_id": self.grant_id,
            "employer_id": self.employer_id,
            "legal_name": self.legal_name,
            "cycle": self.cycle,
            "state": self.state,
            "county": self.county,
            "area": self.area,
            "setting": self.setting,
            "band": self.band,
            "amount": _money(self.amount),
            "disbursed": _money(self.disbursed),
            "period_start": _day(self.period_start),
            "period_end": _day(self.period_end),
            "evaluation": self.evaluation.to_data(),
        }


@attrs.frozen(kw_only=True)
class Totals:
    """Program-wide totals: applications and awards (grants, not people), dollars
    (15(a)), grant holders and how many of them were evaluated (20(a))."""

    applications: int
    awards: int
    grant_holders: int
    evaluated: int
    not_yet_evaluated: int
    evaluation_not_readable: int
    appropriated: Decimal
    awarded: Decimal
    reserved: Decimal
    disbursed: Decimal

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "applications": self.applications,
            "awards": self.awards,
            "grant_holders": self.grant_holders,
            "evaluated": self.evaluated,
            "not_yet_evaluated": self.not_yet_evaluated,
            "evaluation_not_readable": self.evaluation_not_readable,
            "appropriated": _money(self.appropriated),
            "awarded": _money(self.awarded),
            "reserved": _money(self.reserved),
            "disbursed": _money(self.disbursed),
        }


@attrs.frozen(kw_only=True)
class CorrectionRow:
    """A correction or amendment of a grant's records, as a report marks it."""

    grant_id: str
    day: dt.date
    kind: str
    """What was corrected: the corrected event's type, or "application" (amended)."""
    corrects: int | None
    fields: tuple[str, ...]
    reason: str

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "grant_id": self.grant_id,
            "date": self.day.isoformat(),
            "kind": self.kind,
            "corrects": self.corrects,
            "fields": list(self.fields),
            "reason": self.reason,
        }


def _corrections(log: ProgramLog) -> tuple[CorrectionRow, ...]:
    rows = []
    tz = zone(log.rules.timezone)
    for gid in sorted(log.events):
        for e in log.events[gid]:
            if e.type not in (EventType.CORRECTED, EventType.AMENDED):
                continue
            kind, corrects, fields = change_of(e)
            rows.append(
                CorrectionRow(
                    grant_id=gid,
                    day=e.occurred_at.in_timezone(tz).date(),
                    kind=kind,
                    corrects=corrects,
                    fields=fields,
                    reason=str(e.payload.get("reason", "")),
                )
            )
    return tuple(rows)


@attrs.frozen(kw_only=True)
class ProgramData:
    """Everything the 20(b) and 35(c) reports say about the program as of ``as_of``."""

    as_of: pendulum.DateTime
    as_of_date: dt.date
    timezone: str
    effective_date: dt.date
    rules_fingerprint: str
    totals: Totals
    cycles: tuple[CycleFunds, ...]
    grants_by_state: Mapping[str, Mapping[str, int]]
    grantees: tuple[Grantee, ...]
    evaluations: EvaluationTables
    wages: WageTables
    disability: SuppressedTable
    """15(b)(1), 10 "Disability": the grant holders' employees under 14(c) at
    application, by disability category (rows) and cycle (columns), suppressed."""
    replay_findings: int
    corrections: tuple[CorrectionRow, ...] = ()
    """Every correction and amendment in the log: the values the report shows are the
    corrected ones, and these rows mark which."""
    returned_funds: tuple[ReturnedFunds, ...] = ()
    """15(j): every return of an award's funds and what it led to."""
    approval_warnings: tuple[ApprovalWarning, ...] = ()
    """15(h): approvals recorded with a warning (above the request)."""
    unsourced: UnsourcedArea | None = None
    """15(d): the area of the counties without a sourced region (None: there is none)."""

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data: amounts as strings with 2 places, dates in ISO form, the
        instant in the audit format (UTC); ``null`` for every suppressed count and every
        statistic withheld from a group of 10 or fewer."""
        return {
            "as_of": format_instant(self.as_of),
            "as_of_date": self.as_of_date.isoformat(),
            "timezone": self.timezone,
            "effective_date": self.effective_date.isoformat(),
            "rules_fingerprint": self.rules_fingerprint,
            "totals": self.totals.to_data(),
            "cycles": [c.to_data() for c in self.cycles],
            "grants_by_state": {s: dict(c) for s, c in self.grants_by_state.items()},
            "grantees": [g.to_data() for g in self.grantees],
            "evaluation_tables": self.evaluations.to_data(),
            "wages": self.wages.to_data(),
            "disability_at_application": self.disability.to_data(),
            "replay_findings": self.replay_findings,
            "corrections": [c.to_data() for c in self.corrections],
            "returned_funds": [r.to_data() for r in self.returned_funds],
            "approval_warnings": [w.to_data() for w in self.approval_warnings],
            "unsourced_area": None if self.unsourced is None else self.unsourced.to_data(),
        }


def _period(log: ProgramLog, grant: Grant) -> tuple[dt.date | None, dt.date | None]:
    start = period_start(grant, log.rules)
    if start is None:
        return None, None
    return log.local_date(start), log.local_date(grant_period_end(start, log.rules))


def _disability(log: ProgramLog, holders: list[Grant]) -> SuppressedTable:
    cycles = sorted({g.cycle for g in holders})
    table = {category: {f"cycle {n}": 0 for n in cycles} for category in DISABILITY_CATEGORIES}
    for grant in holders:
        application = log.applications.get(grant.id)
        if application is None:
            continue
        for category, count in application.demographics.disability.items():
            if category in table and isinstance(count, int) and count >= 0:
                table[category][f"cycle {grant.cycle}"] += count
    return suppress(table if cycles else {})


def build_program_data(log: ProgramLog, counties: CountyTable | None = None) -> ProgramData:
    """:class:`ProgramData` of a log already read (see :func:`program_data`)."""
    table = table_for(log.rules.county_table, counties)
    cycles = cycle_funds(log, table)
    where = strata(log, table)
    ordered = sorted(log.grants)
    holders = [log.grants[gid] for gid in ordered if log.grants[gid].state in GRANT_HOLDERS]
    evaluations = evaluation_tables(log, ordered)
    grantees = []
    for grant in holders:
        employer = log.employers.get(grant.employer_id)
        start, end = _period(log, grant)
        area, setting, band = where[grant.id]
        grantees.append(
            Grantee(
                grant_id=grant.id,
                employer_id=grant.employer_id,
                legal_name=None if employer is None else employer.legal_name,
                cycle=grant.cycle,
                state=grant.state.value,
                county=None if employer is None else employer.county,
                area=area,
                setting=setting,
                band=band,
                amount=grant.amount,
                disbursed=grant.disbursed,
                period_start=start,
                period_end=end,
                evaluation=evaluations.by_grant[grant.id],
            )
        )
    status = evaluations.statuses()
    return ProgramData(
        as_of=log.as_of,
        as_of_date=log.as_of_date,
        timezone=log.rules.timezone,
        effective_date=log.rules.effective_date,
        rules_fingerprint=log.rules.fingerprint,
        totals=Totals(
            applications=sum(c.totals.applications for c in cycles),
            awards=sum(c.totals.awards for c in cycles),
            grant_holders=len(holders),
            evaluated=status[EVALUATED],
            not_yet_evaluated=status[NOT_YET_EVALUATED],
            evaluation_not_readable=status[NOT_READABLE],
            appropriated=sum((c.appropriation or ZERO for c in cycles), ZERO),
            awarded=sum((c.totals.awarded for c in cycles), ZERO),
            reserved=sum((c.totals.reserved for c in cycles), ZERO),
            disbursed=sum((c.totals.disbursed for c in cycles), ZERO),
        ),
        cycles=cycles,
        grants_by_state=grants_by_state(log),
        grantees=tuple(grantees),
        evaluations=evaluations,
        wages=wage_tables(log, [g.id for g in holders]),
        disability=_disability(log, holders),
        replay_findings=log.replay_findings,
        corrections=_corrections(log),
        returned_funds=returned_funds(log),
        approval_warnings=approval_warnings(log),
        unsourced=unsourced_area(table, where),
    )


def program_data(
    source: Program | Store | str | Path,
    *,
    as_of: dt.datetime | None = None,
    counties: CountyTable | None = None,
) -> ProgramData:
    """The program of ``source`` (a Program, a store or an exported log) as of
    ``as_of`` (an aware instant; a Program's clock when left out), with the strata of
    ``counties`` (default: :meth:`CountyTable.illinois`)."""
    return build_program_data(read_program_log(source, as_of=as_of), counties)


ACTIVITY: tuple[tuple[str, str], ...] = (
    (EventType.APPLIED, "applications received"),
    (EventType.APPROVED, "approvals"),
    (EventType.ACCEPTED, "acceptances"),
    (EventType.DECLINED, "declines"),
    (EventType.FORFEITED, "approvals forfeited (15(j))"),
    (EventType.WITHDRAWN, "withdrawals"),
    (EventType.DENIED, "denials"),
    (EventType.REFERRED, "applications referred to the Director (15(j))"),
    (EventType.TRANSITION_BEGUN, "transitions begun (15(i))"),
    (EventType.TECHNICAL_ASSISTANCE, "technical assistance contacts (90)"),
    (EventType.WAGES_RECORDED, "wage reports"),
    (EventType.HEADCOUNT_RECORDED, "head count reports"),
    (EventType.DISBURSED, "instalments paid"),
    (EventType.EVALUATED, "evaluations recorded (20(a))"),
    (EventType.TERMINATED, "grants terminated"),
)
"""The grant events :func:`activity` counts, with their labels."""


@attrs.frozen(kw_only=True)
class Activity:
    """What happened to grants recorded from ``start`` through ``end`` (local calendar
    days, both inclusive): counts of events by :data:`ACTIVITY` label, and the dollars
    paid."""

    start: dt.date
    end: dt.date
    counts: Mapping[str, int]
    disbursed: Decimal

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "counts": dict(self.counts),
            "disbursed": _money(self.disbursed),
        }


def activity(log: ProgramLog, start: dt.date, end: dt.date) -> Activity:
    """35(c): the program's activity recorded from ``start`` through ``end``."""
    labels = dict(ACTIVITY)
    counts = dict.fromkeys(labels.values(), 0)
    paid = ZERO
    for events in log.events.values():
        for event in events:
            if not start <= log.local_date(event.recorded_at) <= end:
                continue
            label = labels.get(event.type)
            if label is not None:
                counts[label] += 1
            if event.type == EventType.DISBURSED:
                paid += Decimal(str(event.payload.get("amount", "0")))
    return Activity(start=start, end=end, counts=counts, disbursed=paid)
