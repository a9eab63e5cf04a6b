"""A report laid out for reading: a small model that every renderer reads.

As the lifecycle diagram goes through a small model before its renderers, a report
goes through a :class:`Document`: a title, facts, sections of text, tables and charts.
The HTML, Markdown and CSV renderers turn the same document into their formats (JSON
is the report's own data, :meth:`to_data`). Cells keep their types (money as
:class:`~decimal.Decimal`, counts as ``int``) so that each renderer writes them its way;
a :class:`Mark` stands where a value is not published.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

import attrs

from choice_workflow.domain.money import dollar_text
from choice_workflow.domain.privacy import SuppressedTable


class Mark(enum.Enum):
    """What stands in a cell that shows no value, and why."""

    SUPPRESSED = "(s)"
    """A count of 1 to 10 people, or one that would reveal such a count."""
    WITHHELD = "(w)"
    """A wage statistic (median, mean, minimum, maximum) of 10 people or fewer."""
    NONE = "-"
    """Nothing to report (not evaluated, not yet in force, ...)."""


Cell = str | int | Decimal | dt.date | Mark
"""One cell: text, a count, dollars (always Decimal), a day, or a :class:`Mark`."""

LEGEND = (
    f"{Mark.SUPPRESSED.value}: suppressed, a count of 1 to 10 people or one that would reveal "
    "such a count (small cells and complementary suppression).",
    f"{Mark.WITHHELD.value}: withheld, a wage statistic of a group of 10 people or fewer.",
    f"{Mark.NONE.value}: nothing to report.",
)
"""What the marks mean, for the notes of every report."""


def money_text(value: Decimal) -> str:
    """Dollars for people: ``$1,234.50``."""
    return f"{dollar_text(value)}"


def cell_text(cell: Cell) -> str:
    """A cell for people (HTML, Markdown): dollars with ``$`` and thousands separators,
    counts with thousands separators, days in ISO form, marks as their symbol."""
    if isinstance(cell, Mark):
        return cell.value
    if isinstance(cell, Decimal):
        return money_text(cell)
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return cell


def cell_data(cell: Cell) -> str:
    """A cell for machines (CSV): plain digits, dollars with 2 places, days in ISO
    form, marks as a word (``suppressed``, ``withheld``) or empty."""
    if isinstance(cell, Mark):
        return {Mark.SUPPRESSED: "suppressed", Mark.WITHHELD: "withheld", Mark.NONE: ""}[cell]
    if isinstance(cell, Decimal):
        return f"{cell:.2f}"
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return cell


def count(value: int | None) -> Cell:
    """A published count, or :attr:`Mark.SUPPRESSED` for ``None``."""
    return Mark.SUPPRESSED if value is None else value


def wage(value: Decimal | None) -> Cell:
    """A published wage statistic, or :attr:`Mark.WITHHELD` for ``None``."""
    return Mark.WITHHELD if value is None else value


def maybe(value: Cell | None) -> Cell:
    """``value``, or :attr:`Mark.NONE` for ``None``."""
    return Mark.NONE if value is None else value


@attrs.frozen(kw_only=True)
class Table:
    """A table: ``columns`` names, ``rows`` of cells (one per column). ``key`` is
    stable across runs (for CSV and anchors)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    cite: str = ""
    note: str = ""


@attrs.frozen(kw_only=True)
class Series:
    """One line or set of bars of a chart; ``None`` leaves a gap."""

    name: str
    values: tuple[Decimal | int | None, ...]
    style: Literal["line", "step", "dotted", "bar"] = "line"


@attrs.frozen(kw_only=True)
class Chart:
    """A chart over categories ``x`` (quarters, areas, bands). Its data are also in a
    table of the same section, for readers and formats without charts."""

    key: str
    title: str
    x: tuple[str, ...]
    series: tuple[Series, ...]
    y_title: str
    cite: str = ""


@attrs.frozen(kw_only=True)
class Section:
    """A titled part of a report: paragraphs, facts (label, value), tables, charts and
    sub-sections, in that order."""

    key: str
    title: str
    cite: str = ""
    text: tuple[str, ...] = ()
    facts: tuple[tuple[str, Cell], ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    sections: tuple[Section, ...] = ()

    def walk(self, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Section]]:
        """This section and every sub-section, depth first, with their title paths."""
        here = (*path, self.title)
        yield here, self
        for sub in self.sections:
            yield from sub.walk(here)


@attrs.frozen(kw_only=True)
class Document:
    """A whole report: ``title``, a ``subtitle`` (to whom, under which cite), the key
    ``facts`` (as of, due, late), its sections and closing notes."""

    key: str
    title: str
    subtitle: str
    facts: tuple[tuple[str, Cell], ...]
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()

    def walk(self) -> Iterator[tuple[tuple[str, ...], Section]]:
        """Every section, depth first, with its title path."""
        for section in self.sections:
            yield from section.walk()

    def tables(self) -> Iterator[tuple[tuple[str, ...], Table]]:
        """Every table, with the title path of its section."""
        for path, section in self.walk():
            for table in section.tables:
                yield path, table

    def charts(self) -> Iterator[Chart]:
        """Every chart, in order."""
        for _, section in self.walk():
            yield from section.charts


TOTAL = "all"
"""The label of a table's row of column totals."""


def suppressed_table(
    key: str, title: str, table: SuppressedTable, first: str, *, cite: str
) -> Table:
    """A suppressed table as published: its rows with their totals, then a last row of
    column totals (``None`` shown as :attr:`Mark.SUPPRESSED`)."""
    rows: list[tuple[Cell, ...]] = [
        (row, *(count(table.value(row, c)) for c in table.columns), count(table.value(row, None)))
        for row in table.rows
    ]
    if table.rows:
        rows.append(
            (
                TOTAL,
                *(count(table.value(None, c)) for c in table.columns),
                count(table.grand_total),
            )
        )
    return Table(
        key=key,
        title=title,
        columns=(first, *table.columns, "total"),
        rows=tuple(rows),
        cite=cite,
    )
