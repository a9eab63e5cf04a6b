"""Reports of the program: the Section 20(b) final report and the Task Force's 35(c)
progress report, as of any instant, in HTML (with charts), Markdown, CSV and JSON.

>>> from choice_workflow.reports import Seat
>>> len(Seat)
11

A report reads the audit log as of an instant (a Program, a store or an exported log),
never the wall clock; every count of people in it is suppressed as
:mod:`choice_workflow.domain.privacy` says. See docs/reports.md.
"""

from choice_workflow.reports.data import Activity, ProgramData, activity, program_data
from choice_workflow.reports.document import Document, Mark
from choice_workflow.reports.final import FinalReport, final_report
from choice_workflow.reports.progress import (
    TaskForceReport,
    report_number,
    report_period,
    task_force_report,
)
from choice_workflow.reports.render import FORMATS, Format, render, write_report
from choice_workflow.reports.source import ProgramLog, read_program_log
from choice_workflow.reports.task_force import (
    Appointment,
    Authority,
    Meeting,
    Purpose,
    Recommendation,
    Seat,
    TaskForceRecord,
    check_roster,
)

__all__ = [
    "FORMATS",
    "Activity",
    "Appointment",
    "Authority",
    "Document",
    "FinalReport",
    "Format",
    "Mark",
    "Meeting",
    "ProgramData",
    "ProgramLog",
    "Purpose",
    "Recommendation",
    "Seat",
    "TaskForceRecord",
    "TaskForceReport",
    "activity",
    "check_roster",
    "final_report",
    "program_data",
    "read_program_log",
    "render",
    "report_number",
    "report_period",
    "task_force_report",
    "write_report",
]
