"""Section 35(c): the Task Force's yearly progress report.

"The Task Force shall prepare and submit to the General Assembly and the Governor, one
year after the effective date of this Act and every year thereafter, a progress report
describing the progress the Task Force has made in achieving its goals described in
subsection (a)." Report ``n`` is due :func:`~choice_workflow.time.calendar.task_force_report_due`
(January 1, 2031, 2032, ...) and covers the year before it: from the effective date (report 1)
or the previous due date, through the day before its own. It is organised by the four
purposes of 35(a), with the roster of 35(b) as it stands, and the program's data: what
happened since the last report, and where the program stands.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from choice_workflow.domain.counties import CountyTable
from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.reports.data import Activity, ProgramData, activity, build_program_data
from choice_workflow.reports.document import Cell, Document, Mark, Section, Table
from choice_workflow.reports.layout import instant_text, notes, program_sections
from choice_workflow.reports.source import ProgramLog, read_program_log
from choice_workflow.reports.task_force import (
    Appointment,
    Meeting,
    Purpose,
    Recommendation,
    Seat,
    TaskForceRecord,
    check_roster,
)
from choice_workflow.rules import Rules
from choice_workflow.store.base import Store
from choice_workflow.time.calendar import task_force_report_due

if TYPE_CHECKING:
    from choice_workflow.service.program import Program

CITE = "35(c)"
TITLE = "Competitive Integrated Employment Task Force: progress report"


def report_number(day: dt.date, rules: Rules) -> int:
    """35(c): the number of the first progress report due on or after ``day`` (1 for
    any day up to January 1, 2031; 2 for the year after; ...)."""
    number = 1
    while task_force_report_due(number, rules) < day:
        number += 1
    return number


def report_period(number: int, rules: Rules) -> tuple[dt.date, dt.date]:
    """35(c): the first and last day that report ``number`` covers: from the effective
    date (report 1) or the previous report's due date, through the day before its own."""
    start = rules.effective_date if number == 1 else task_force_report_due(number - 1, rules)
    return start, task_force_report_due(number, rules) - dt.timedelta(days=1)


@attrs.frozen(kw_only=True)
class PurposeReport:
    """35(a): one purpose of the Task Force, with the meetings that addressed it and the
    recommendations made under it in the report's period."""

    purpose: Purpose
    meetings: tuple[Meeting, ...]
    recommendations: tuple[Recommendation, ...]

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "purpose": self.purpose.value,
            "title": self.purpose.title,
            "meetings": [m.date.isoformat() for m in self.meetings],
            "recommendations": [r.to_data() for r in self.recommendations],
        }


@attrs.frozen(kw_only=True)
class TaskForceReport:
    """35(c): progress report ``number`` as of ``data.as_of``.

    ``roster`` is the appointments in force on the report's day and ``roster_problems``
    what :func:`~choice_workflow.reports.task_force.check_roster` finds in them (35(b));
    ``meetings`` and ``purposes`` cover the period up to the report's day; ``activity``
    is the program's data since the last report.
    """

    number: int
    due: dt.date
    period_start: dt.date
    period_end: dt.date
    late: bool
    roster: tuple[Appointment, ...]
    roster_problems: tuple[Problem, ...]
    meetings: tuple[Meeting, ...]
    purposes: tuple[PurposeReport, ...]
    activity: Activity
    data: ProgramData

    kind: ClassVar[str] = "task-force"
    cite: ClassVar[str] = CITE

    @property
    def status(self) -> str:
        """The report's status as of its day: "late" or "not late"."""
        return "late" if self.late else "not late"

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "kind": self.kind,
            "cite": self.cite,
            "title": f"{TITLE} {self.number}",
            "addressed_to": ["the General Assembly", "the Governor"],
            "number": self.number,
            "due": self.due.isoformat(),
            "late": self.late,
            "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
            "roster": [a.to_data() for a in self.roster],
            "roster_problems": [
                {"cites": list(p.cites), "field": p.field, "reason": p.reason, "hint": p.hint}
                for p in self.roster_problems
            ],
            "meetings": [m.to_data() for m in self.meetings],
            "purposes": [p.to_data() for p in self.purposes],
            "since_last_report": self.activity.to_data(),
            "program": self.data.to_data(),
        }

    def document(self) -> Document:
        """The report laid out for the renderers (HTML, Markdown, CSV)."""
        return task_force_document(self)


def _roster(report: TaskForceReport) -> Section:
    rows: list[tuple[Cell, ...]] = []
    for seat in Seat:
        holders = [a for a in report.roster if a.seat is seat]
        rows.append(
            (
                seat.value,
                seat.description,
                seat.authority.value,
                ", ".join(a.member + (" (designee)" if a.designee else "") for a in holders)
                or "vacant",
                ", ".join(a.appointed_by.value for a in holders) or Mark.NONE,
                ", ".join(a.start.isoformat() for a in holders) or Mark.NONE,
            )
        )
    problems = Table(
        key="roster-problems",
        title="Problems of the roster",
        columns=("seat", "problem", "what to do", "cite"),
        rows=tuple((p.field, p.reason, p.hint, ", ".join(p.cites)) for p in report.roster_problems),
        cite="35(b)",
    )
    day = report.data.as_of_date.isoformat()
    verdict = (
        f"On {day} every one of the 11 seats is filled once, by its appointing authority."
        if not report.roster_problems
        else f"On {day} the roster has {len(report.roster_problems)} problem(s)."
    )
    return Section(
        key="roster",
        title="Members",
        cite="35(b)",
        text=(verdict,),
        tables=(
            Table(
                key="roster",
                title="Seats of the Task Force (7 categories, 11 members)",
                columns=(
                    "seat",
                    "member of",
                    "appointed by (35(b))",
                    "member",
                    "appointed by (recorded)",
                    "since",
                ),
                rows=tuple(rows),
                cite="35(b)",
            ),
            *((problems,) if report.roster_problems else ()),
        ),
    )


def _meetings(report: TaskForceReport) -> Section:
    return Section(
        key="meetings",
        title="Meetings",
        cite="35(c)",
        text=(
            f"{len(report.meetings)} meeting(s) from {report.period_start.isoformat()} "
            f"through {min(report.period_end, report.data.as_of_date).isoformat()}.",
        ),
        tables=(
            Table(
                key="meetings",
                title="Meetings at the call of the Director",
                columns=("date", "members present", "purposes (35(a))", "summary"),
                rows=tuple(
                    (
                        m.date,
                        len(m.attendees),
                        ", ".join(sorted(p.value for p in m.purposes)),
                        m.summary or Mark.NONE,
                    )
                    for m in report.meetings
                ),
                cite="35(c)",
            ),
        ),
    )


def _purposes(report: TaskForceReport) -> tuple[Section, ...]:
    sections = []
    for part in report.purposes:
        dates = ", ".join(m.date.isoformat() for m in part.meetings)
        sections.append(
            Section(
                key=f"purpose-{part.purpose.name.lower()}",
                title=f"{part.purpose.value}: {part.purpose.title}",
                cite=part.purpose.value,
                text=(
                    f"Addressed at {len(part.meetings)} meeting(s)"
                    + (f": {dates}." if dates else "."),
                ),
                tables=(
                    Table(
                        key=f"recommendations-{part.purpose.name.lower()}",
                        title="Recommendations",
                        columns=("date", "recommendation"),
                        rows=tuple((r.date, r.text) for r in part.recommendations),
                        cite=part.purpose.value,
                    ),
                ),
            )
        )
    return tuple(sections)


def _since(report: TaskForceReport) -> Section:
    a = report.activity
    rows: list[tuple[Cell, ...]] = [(label, n) for label, n in a.counts.items()]
    return Section(
        key="since-last-report",
        title="The program since the last report",
        cite="35(c)",
        text=(
            f"Recorded from {a.start.isoformat()} through {a.end.isoformat()} (events of "
            "grants; counts of events, not of people).",
        ),
        facts=(("dollars disbursed", a.disbursed),),
        tables=(
            Table(
                key="since-last-report",
                title="Events of grants in the period",
                columns=("event", "count"),
                rows=tuple(rows),
                cite="35(c)",
            ),
        ),
    )


def task_force_document(report: TaskForceReport) -> Document:
    """35(c): the Task Force's progress report laid out, by the purposes of 35(a)."""
    data = report.data
    return Document(
        key=f"task-force-report-{report.number}",
        title=f"{TITLE} {report.number}",
        subtitle="Employment Choice for All Act, Section 35(c): to the General Assembly and the Governor",
        facts=(
            ("as of", instant_text(data)),
            ("period", f"{report.period_start.isoformat()} to {report.period_end.isoformat()}"),
            ("due (35(c))", report.due),
            ("status", report.status),
        ),
        sections=(
            _roster(report),
            _meetings(report),
            Section(
                key="purposes",
                title="Progress by the purposes of the Task Force",
                cite="35(a)",
                sections=_purposes(report),
            ),
            _since(report),
            *program_sections(data),
        ),
        notes=notes(data),
    )


def build_task_force_report(
    log: ProgramLog,
    record: TaskForceRecord | None = None,
    *,
    number: int | None = None,
    counties: CountyTable | None = None,
) -> TaskForceReport:
    """35(c): progress report ``number`` (default: the next one due on or after the
    log's day) of a log already read, with the Task Force's ``record``."""
    rules, day = log.rules, log.as_of_date
    chosen = report_number(day, rules) if number is None else number
    if not isinstance(chosen, int) or isinstance(chosen, bool) or chosen < 1:
        raise InvalidInput(
            problems=[
                Problem((CITE,), f"report number {chosen!r} must be >= 1", "Number reports from 1.")
            ]
        )
    start, end = report_period(chosen, rules)
    until = min(end, day)
    kept = record if record is not None else TaskForceRecord()
    meetings = tuple(sorted((m for m in kept.meetings if start <= m.date <= until), key=_on))
    recommendations = tuple(
        sorted((r for r in kept.recommendations if start <= r.date <= until), key=_on)
    )
    return TaskForceReport(
        number=chosen,
        due=task_force_report_due(chosen, rules),
        period_start=start,
        period_end=end,
        late=day > task_force_report_due(chosen, rules),
        roster=tuple(a for a in kept.appointments if a.serves_on(day)),
        roster_problems=check_roster(kept.appointments, on=day),
        meetings=meetings,
        purposes=tuple(
            PurposeReport(
                purpose=p,
                meetings=tuple(m for m in meetings if p in m.purposes),
                recommendations=tuple(r for r in recommendations if r.purpose is p),
            )
            for p in Purpose
        ),
        activity=activity(log, start, until),
        data=build_program_data(log, counties),
    )


def _on(item: Meeting | Recommendation) -> dt.date:
    return item.date


def task_force_report(
    source: Program | Store | str | Path,
    record: TaskForceRecord | None = None,
    *,
    as_of: dt.datetime | None = None,
    number: int | None = None,
    counties: CountyTable | None = None,
) -> TaskForceReport:
    """35(c): the Task Force's progress report on ``source`` (a Program, a store or an
    exported log) as of ``as_of`` (an aware instant; a Program's clock when left out)."""
    return build_task_force_report(
        read_program_log(source, as_of=as_of), record, number=number, counties=counties
    )
