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

from choice_workflow.reports.document import Document, cell_data

HEADER = ("section", "table", "row", "label", "column", "value")


def render_csv(document: Document) -> str:
    """``document`` as CSV (RFC 4180, ``\\r\\n`` line ends)."""
    out = io.StringIO()
    writer = csv.writer(out)
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
