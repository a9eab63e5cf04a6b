"""HTML: a report as one self-contained file, with its charts drawn by plotly.

Everything the page needs is inside it: the styles, the data, and the plotly.js bundle,
embedded once, with the first chart (plotly's ``include_plotlyjs=True``). Nothing is
fetched when the file is opened, so a report opens offline, from an email attachment or
an archive, years later. A small script at the top of the page shows any script error
(a chart that could not be drawn) in a box above the report, so a reader is never left
with a silently empty chart.

Charts: wage trajectories against the 15(l) floor, and awards and funds by geographic
area, rural/urban and size band (15(d), 15(e)). Their data are in tables beside them.
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go  # type: ignore[import-untyped]  # plotly ships no type information
import plotly.io as pio  # type: ignore[import-untyped]  # idem

from choice_workflow.reports.document import (
    Cell,
    Chart,
    Document,
    Mark,
    Section,
    Table,
    cell_text,
)

ERRORS_ID = "report-errors"
"""The id of the box that shows script errors (empty and hidden when all is well)."""

CHART_HEIGHT = "440px"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       max-width: 78rem; padding: 1.5rem; color: #1f2933; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { border-bottom: 2px solid #d9e2ec; padding-bottom: 0.2rem; margin-top: 2.2rem; }
.subtitle { color: #52606d; margin-top: 0; }
.cite { color: #52606d; font-weight: normal; font-size: 0.85em; }
table { border-collapse: collapse; margin: 0.6rem 0 1.2rem; font-size: 0.88rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #d9e2ec; padding: 0.25rem 0.5rem; vertical-align: top; }
th { background: #f0f4f8; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mark { text-align: center; color: #7b8794; }
.wide { overflow-x: auto; }
.chart { margin: 0.8rem 0 1.4rem; }
#report-errors { background: #fde8e8; border: 1px solid #e12d39; padding: 0.5rem 1rem; }
#report-errors[hidden] { display: none; }
nav ol { columns: 2; }
footer { margin-top: 2.5rem; color: #52606d; font-size: 0.88rem; }
@media print { .chart { break-inside: avoid; } nav { display: none; } }
"""

_ERROR_HOOK = """
(function () {
  var box = document.getElementById("report-errors");
  function show(text) {
    var line = document.createElement("p");
    line.textContent = "A chart of this report could not be drawn: " + text;
    box.appendChild(line);
    box.hidden = false;
  }
  window.addEventListener("error", function (e) { show(e.message || String(e)); });
  window.addEventListener("unhandledrejection", function (e) { show(String(e.reason)); });
})();
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _cite(cite: str) -> str:
    return f' <span class="cite">[{_e(cite)}]</span>' if cite else ""


def _td(cell: Cell) -> str:
    text = _e(cell_text(cell))
    if isinstance(cell, Mark):
        return f'<td class="mark" title="{_e(cell.name.lower())}">{text}</td>'
    if isinstance(cell, int | Decimal) and not isinstance(cell, bool):
        return f'<td class="num">{text}</td>'
    return f"<td>{text}</td>"


def _table(table: Table) -> str:
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in table.columns)
    if table.rows:
        body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in table.rows)
    else:
        body = f'<tr><td colspan="{len(table.columns)}">None.</td></tr>'
    note = f"<p>{_e(table.note)}</p>" if table.note else ""
    return (
        f'<div class="wide"><table id="table-{_e(table.key)}">'
        f"<caption>{_e(table.title)}{_cite(table.cite)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}</div>"
    )


def _trace(chart: Chart, index: int) -> Any:
    series = chart.series[index]
    y = list(series.values)
    if series.style == "bar":
        return go.Bar(name=series.name, x=list(chart.x), y=y)
    line: dict[str, Any] = {}
    mode = "lines+markers"
    if series.style == "step":
        line = {"shape": "hv", "dash": "dash", "width": 3}
        mode = "lines"
    elif series.style == "dotted":
        line = {"dash": "dot", "width": 1}
    return go.Scatter(
        name=series.name, x=list(chart.x), y=y, mode=mode, line=line, connectgaps=False
    )


def chart_html(chart: Chart, *, with_plotly_js: bool) -> str:
    """One chart as a ``<div>`` drawn by plotly; ``with_plotly_js`` embeds the plotly.js
    bundle (the first chart of a page only)."""
    figure = go.Figure(
        data=[_trace(chart, i) for i in range(len(chart.series))],
        layout={
            "title": {"text": chart.title},
            "template": "plotly_white",
            "barmode": "group",
            "xaxis": {"type": "category", "title": {"text": ""}},
            "yaxis": {"title": {"text": chart.y_title}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "y": -0.2},
            "margin": {"t": 60, "r": 20, "b": 40, "l": 70},
        },
    )
    div: str = pio.to_html(
        figure,
        full_html=False,
        include_plotlyjs=with_plotly_js,
        div_id=f"chart-{chart.key}",
        default_height=CHART_HEIGHT,
        config={"displaylogo": False, "responsive": True},
    )
    return f'<figure class="chart" aria-label="{_e(chart.title)}">{div}</figure>'


class _Charts:
    """Draws the charts of one page: the plotly.js bundle goes with the first only."""

    def __init__(self) -> None:
        self.drawn = 0

    def draw(self, chart: Chart) -> str:
        self.drawn += 1
        return chart_html(chart, with_plotly_js=self.drawn == 1)


def _section(section: Section, level: int, charts: _Charts) -> str:
    h = min(level, 6)
    parts = [
        f'<section id="{_e(section.key)}"><h{h}>{_e(section.title)}{_cite(section.cite)}</h{h}>'
    ]
    parts += [f"<p>{_e(p)}</p>" for p in section.text]
    if section.facts:
        rows = "".join(f'<tr><th scope="row">{_e(k)}</th>{_td(v)}</tr>' for k, v in section.facts)
        parts.append(f'<table class="facts"><tbody>{rows}</tbody></table>')
    parts += [charts.draw(c) for c in section.charts]
    parts += [_table(t) for t in section.tables]
    parts += [_section(s, level + 1, charts) for s in section.sections]
    parts.append("</section>")
    return "\n".join(parts)


def render_html(document: Document) -> str:
    """``document`` as one self-contained HTML page."""
    charts = _Charts()
    facts = "".join(f'<tr><th scope="row">{_e(k)}</th>{_td(v)}</tr>' for k, v in document.facts)
    toc = "".join(f'<li><a href="#{_e(s.key)}">{_e(s.title)}</a></li>' for s in document.sections)
    body = "\n".join(_section(s, 2, charts) for s in document.sections)
    notes = "".join(f"<li>{_e(n)}</li>" for n in document.notes)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="choice_workflow">
<title>{_e(document.title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<div id="{ERRORS_ID}" role="alert" hidden></div>
<script>{_ERROR_HOOK}</script>
<header>
<h1>{_e(document.title)}</h1>
<p class="subtitle">{_e(document.subtitle)}</p>
<table class="facts" id="report-facts"><tbody>{facts}</tbody></table>
</header>
<nav><h2>Contents</h2><ol>{toc}</ol></nav>
<main>
{body}
</main>
<footer><h2>Notes</h2><ul>{notes}</ul></footer>
</body>
</html>
"""
