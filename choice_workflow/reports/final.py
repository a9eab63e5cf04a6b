"""Section 20(b): the final report to the General Assembly and the Governor.

"The Director shall submit to the General Assembly and the Governor a final report on
such evaluations not later than 18 months after the effective date of this Act": due
:func:`~choice_workflow.time.calendar.final_report_due` (July 1, 2031 for the Act as
written). The report is producible as of any instant; as of a day after the due date it
says it is late (``late = as_of_date > due``; whether it was submitted is not in the
log). It falls due before any 3-year grant period (15(f)) can end: the earliest grant
starts on the first award date (July 1, 2030) and its period ends three years later, so
the report covers evaluations in progress, and says so.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from choice_workflow.domain.counties import CountyTable
from choice_workflow.reports.data import ProgramData, build_program_data
from choice_workflow.reports.document import Document, Section
from choice_workflow.reports.layout import instant_text, notes, program_sections
from choice_workflow.reports.source import ProgramLog, read_program_log
from choice_workflow.store.base import Store
from choice_workflow.time.calendar import final_report_due, first_award_instant, grant_period_end

if TYPE_CHECKING:
    from choice_workflow.service.program import Program

CITE = "20(b)"
TITLE = "Final report on the evaluation of grants"
ADDRESSEES = ("the General Assembly", "the Governor")


@attrs.frozen(kw_only=True)
class FinalReport:
    """20(b): the final report as of ``data.as_of``.

    ``due`` is 18 months after the effective date; ``late`` is true as of any day after
    it; ``earliest_period_end`` is the end of the 3-year period (15(f)) of a grant
    starting on the first award date (15(a)), the first any grant period can end.
    """

    due: dt.date
    late: bool
    first_award_date: dt.date
    earliest_period_end: dt.date
    data: ProgramData

    kind: ClassVar[str] = "final"
    cite: ClassVar[str] = CITE

    @property
    def due_before_any_period_ends(self) -> bool:
        """True when the report falls due before any grant period can end (it does for
        the Act as written: July 1, 2031 against July 1, 2033)."""
        return self.due < self.earliest_period_end

    @property
    def status(self) -> str:
        """The report's status as of its day: "late" or "not late"."""
        return "late" if self.late else "not late"

    def timing(self) -> str:
        """When the report falls due, and what that means for the evaluations."""
        due = self.due.isoformat()
        text = (
            f"Section 20(b): the final report is due on {due}, 18 months after the Act took "
            f"effect on {self.data.effective_date.isoformat()}."
        )
        if self.due_before_any_period_ends:
            text += (
                " It falls due before any 3-year grant period (15(f)) can end: a grant starting "
                f"on the first award date, {self.first_award_date.isoformat()}, ends its period "
                f"on {self.earliest_period_end.isoformat()}. It reports on evaluations in "
                "progress."
            )
        else:
            text += (
                f" The earliest grant period can end on {self.earliest_period_end.isoformat()}, "
                "on or before the due date."
            )
        as_of = self.data.as_of_date.isoformat()
        text += (
            f" As of {as_of} the report is late."
            if self.late
            else f" As of {as_of} it is not late."
        )
        return text

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data: the report's header and the program's data."""
        return {
            "kind": self.kind,
            "cite": self.cite,
            "title": TITLE,
            "addressed_to": list(ADDRESSEES),
            "due": self.due.isoformat(),
            "late": self.late,
            "first_award_date": self.first_award_date.isoformat(),
            "earliest_grant_period_end": self.earliest_period_end.isoformat(),
            "due_before_any_grant_period_ends": self.due_before_any_period_ends,
            "timing": self.timing(),
            "program": self.data.to_data(),
        }

    def document(self) -> Document:
        """The report laid out for the renderers (HTML, Markdown, CSV)."""
        return final_document(self)


def final_document(report: FinalReport) -> Document:
    """20(b): the final report laid out."""
    data = report.data
    return Document(
        key="final-report",
        title=TITLE,
        subtitle=f"Employment Choice for All Act, Section 20(b): to {' and '.join(ADDRESSEES)}",
        facts=(
            ("as of", instant_text(data)),
            ("due (20(b))", report.due),
            ("status", report.status),
            ("grant holders evaluated", f"{data.totals.evaluated} of {data.totals.grant_holders}"),
        ),
        sections=(
            Section(
                key="timing",
                title="When this report falls due",
                cite="20(b)",
                text=(report.timing(),),
            ),
            *program_sections(data),
        ),
        notes=notes(data),
    )


def build_final_report(log: ProgramLog, counties: CountyTable | None = None) -> FinalReport:
    """20(b): the final report of a log already read."""
    rules = log.rules
    due = final_report_due(rules)
    first = first_award_instant(rules)
    return FinalReport(
        due=due,
        late=log.as_of_date > due,
        first_award_date=log.local_date(first),
        earliest_period_end=log.local_date(grant_period_end(first, rules)),
        data=build_program_data(log, counties),
    )


def final_report(
    source: Program | Store | str | Path,
    *,
    as_of: dt.datetime | None = None,
    counties: CountyTable | None = None,
) -> FinalReport:
    """20(b): the final report of ``source`` (a Program, a store or an exported log) as
    of ``as_of`` (an aware instant; a Program's clock when left out)."""
    return build_final_report(read_program_log(source, as_of=as_of), counties)
