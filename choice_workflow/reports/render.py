"""One entry point for every format: :func:`render` and :func:`write_report`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.reports.render_csv import render_csv
from choice_workflow.reports.render_html import render_html
from choice_workflow.reports.render_json import render_json
from choice_workflow.reports.render_md import render_markdown

if TYPE_CHECKING:
    from choice_workflow.reports.final import FinalReport
    from choice_workflow.reports.progress import TaskForceReport

Format = Literal["html", "md", "csv", "json"]
"""The formats of a report."""
FORMATS: tuple[Format, ...] = get_args(Format)


def render(report: FinalReport | TaskForceReport, format: Format) -> str:
    """``report`` in ``format``: ``"html"`` (one self-contained page with charts),
    ``"md"`` (Markdown), ``"csv"`` (one line per cell) or ``"json"`` (its data)."""
    if format == "json":
        return render_json(report)
    if format == "html":
        return render_html(report.document())
    if format == "md":
        return render_markdown(report.document())
    if format == "csv":
        return render_csv(report.document())
    raise InvalidInput(
        problems=[
            Problem(
                (report.cite,),
                f"unknown format {format!r}",
                f"Use one of {', '.join(FORMATS)}.",
                "format",
            )
        ]
    )


def write_report(report: FinalReport | TaskForceReport, format: Format, path: str | Path) -> Path:
    """Write ``report`` in ``format`` to ``path`` (UTF-8; CSV with ``\\r\\n`` line ends);
    return the path."""
    target = Path(path)
    text = render(report, format)
    with target.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    return target
