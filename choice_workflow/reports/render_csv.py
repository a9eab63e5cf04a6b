"""CSV: every fact and table cell of a report, one per line (a long, "tidy" table).

Columns: ``section`` (the title path, joined by `` / ``), ``table``, ``row`` (its
number from 1 within the table, 0 for facts), ``label`` (the row's first cell),
``column`` and ``value``. Values are plain: dollars with 2 places and no ``$``, days in
ISO form, ``suppressed`` or ``withheld`` where a count or a wage statistic is not
published.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from choice_workflow.reports.document import Document, cell_data

HEADER = ("section", "table", "row", "label", "column", "value")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What a spreadsheet reads as the start of a formula (OWASP, CSV Injection)."""
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def neutral(value: object) -> object:
    """A cell that a spreadsheet cannot run: text that begins with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return is prefixed with ``'`` (OWASP's advice for CSV
    injection; the csv module quotes it as needed). Numbers, negative amounts included,
    are left as they are: no formula starts with a plain number."""
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        return value
    # Spreadsheets skip leading spaces (a no-break one too) and read full-width signs.
    if value.lstrip(" \u00a0\n\t\r").startswith(_FORMULA_START) or value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render_csv(document: Document) -> str:
    """``document`` as CSV (RFC 4180, ``\\r\\n`` line ends), every cell :func:`neutral`."""
    out = io.StringIO()
    writer = _NeutralWriter(csv.writer(out))
    writer.writerow(HEADER)
    for label, value in document.facts:
        writer.writerow((document.title, "facts", 0, label, "value", cell_data(value)))
    for path, section in document.walk():
        where = " / ".join(path)
        for label, value in section.facts:
            writer.writerow((where, "facts", 0, label, "value", cell_data(value)))
    for path, table in document.tables():
        where = " / ".join(path)
        for number, row in enumerate(table.rows, start=1):
            label = cell_data(row[0])
            for column, value in zip(table.columns[1:], row[1:], strict=True):
                writer.writerow((where, table.key, number, label, column, cell_data(value)))
    return out.getvalue()


class _NeutralWriter:
    """A csv writer whose every cell goes through :func:`neutral`."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: tuple[object, ...]) -> None:
        self._writer.writerow([neutral(cell) for cell in row])
