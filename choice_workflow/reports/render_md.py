"""Markdown: a report as a plain document (GitHub-flavoured tables).

Charts have no Markdown form: their data are in the tables of the same section, and a
line says so.
"""

from __future__ import annotations

from choice_workflow.reports.document import Cell, Document, Section, Table, cell_text


def _cell(cell: Cell) -> str:
    return cell_text(cell).replace("|", "\\|").replace("\n", " ")


def _title(title: str, cite: str) -> str:
    return f"{title} ({cite})" if cite and cite not in title else title


def _table(table: Table, level: int) -> list[str]:
    lines = [f"{'#' * min(level, 6)} {_title(table.title, table.cite)}", ""]
    if not table.rows:
        return [*lines, "None.", ""]
    lines.append("| " + " | ".join(_cell(c) for c in table.columns) + " |")
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.note:
        lines += ["", table.note]
    return [*lines, ""]


def _section(section: Section, level: int) -> list[str]:
    lines = [f"{'#' * min(level, 6)} {_title(section.title, section.cite)}", ""]
    for paragraph in section.text:
        lines += [paragraph, ""]
    if section.facts:
        lines += [f"- {label}: {_cell(value)}" for label, value in section.facts]
        lines.append("")
    for chart in section.charts:
        lines += [
            f"Chart: {chart.title} (in the HTML report; its data are in the tables below).",
            "",
        ]
    for table in section.tables:
        lines += _table(table, level + 1)
    for sub in section.sections:
        lines += _section(sub, level + 1)
    return lines


def render_markdown(document: Document) -> str:
    """``document`` as Markdown."""
    lines = [f"# {document.title}", "", f"_{document.subtitle}_", ""]
    lines += [f"- **{label}**: {_cell(value)}" for label, value in document.facts]
    lines.append("")
    for section in document.sections:
        lines += _section(section, 2)
    if document.notes:
        lines += ["## Notes", ""]
        lines += [f"- {note}" for note in document.notes]
        lines.append("")
    return "\n".join(lines)
