"""The audit trail: hash chains, seals, replay, verify, and the JSON Lines log."""

from choice_workflow.audit.findings import INTEGRITY, Finding, Kind
from choice_workflow.audit.jsonl import export_log, read_lines
from choice_workflow.audit.transfer import import_log
from choice_workflow.audit.verify import Item, Report, replay, verify
from choice_workflow.errors import ImportRefused, LogFormatError

__all__ = [
    "INTEGRITY",
    "Finding",
    "ImportRefused",
    "Item",
    "Kind",
    "LogFormatError",
    "Report",
    "export_log",
    "import_log",
    "read_lines",
    "replay",
    "verify",
]
