"""The audit trail: hash chains, seals, replay, verify, and the JSON Lines log."""

from choice_workflow.audit.findings import INTEGRITY, Finding, Kind
from choice_workflow.audit.jsonl import LogFormatError, export_log, read_lines
from choice_workflow.audit.transfer import ImportRefused, import_log
from choice_workflow.audit.verify import Item, Report, replay, verify

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
