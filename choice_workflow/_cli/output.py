"""What the commands print: rich tables for people, one JSON document with ``--json``,
and progress on stderr only when stderr is a terminal (never with ``--json``)."""

from __future__ import annotations

import datetime as dt
import json
import sys
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import click
import sqlalchemy as sa
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from choice_workflow.audit import INTEGRITY, Finding, Item, Kind, Report
from choice_workflow.audit.jsonl import log_items
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.events import format_instant
from choice_workflow.store.sql import SqlStore
from choice_workflow.time.instants import to_local


def stderr_is_terminal() -> bool:
    """True when stderr is a terminal (where progress may be drawn)."""
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # no stderr, or a closed one
        return False


class Output:
    """The printer of one command: tables or JSON, and progress where it belongs."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        # markup=False: data such as "[15(j)]" is printed as is, never read as styles.
        self.console = Console(highlight=False, markup=False, emoji=False, soft_wrap=False)

    @property
    def shows_progress(self) -> bool:
        """True when progress is drawn: on a terminal's stderr, without ``--json``."""
        return not self.as_json and stderr_is_terminal()

    def emit(self, document: Mapping[str, Any]) -> None:
        """Print ``document`` as the command's one JSON document."""
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))

    def line(self, text: str) -> None:
        """Print a line of text as it is."""
        click.echo(text)

    def table(self, table: Table) -> None:
        """Print a rich table."""
        self.console.print(table)

    def findings(self, findings: Sequence[Finding]) -> None:
        """Print findings as wrapped lines, grouped (:func:`findings_text`)."""
        for text in findings_text(findings, self.console.width):
            click.echo(text)

    @contextmanager
    def _progress(self, *columns: Any) -> Iterator[Progress | None]:
        if not self.shows_progress:
            yield None
            return
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            yield bar

    @contextmanager
    def working(self, description: str, unit: str = "") -> Iterator[Progress | None]:
        """A spinner with a count (``unit``) and the time elapsed, for work of unknown
        length; its one task is the first task of the progress yielded."""
        columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
        if unit:
            columns.append(TextColumn(f"{{task.completed}} {unit}"))
        columns.append(TimeElapsedColumn())
        with self._progress(*columns) as bar:
            if bar is not None:
                bar.add_task(description, total=None)
            yield bar

    @contextmanager
    def counting_commits(self, store: SqlStore, description: str) -> Iterator[None]:
        """Progress for a run of commands on ``store``: one step per committed command."""
        with self.working(description, "commands") as bar:
            engine = store.engine
            if bar is None or engine is None:
                yield
                return
            task = bar.task_ids[0]

            def committed(_conn: Any) -> None:
                bar.advance(task)

            sa.event.listen(engine, "commit", committed)
            try:
                yield
            finally:
                sa.event.remove(engine, "commit", committed)

    def counted(self, items: Iterable[Any], total: int, description: str) -> Iterator[Any]:
        """``items``, with a bar of ``total`` steps."""
        with self._progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar:
            if bar is None:
                yield from items
                return
            yield from bar.track(items, total=total, description=description)

    def log_items(self, path: Path) -> Iterator[Item] | Path:
        """What verify and replay read from a log file: the path itself, or, when progress
        is drawn, the file's items read through a bar of the bytes read."""
        if not self.shows_progress:
            return path
        return self._log_items(path)

    def _log_items(self, path: Path) -> Iterator[Item]:
        with self._progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn()
        ) as bar:
            assert bar is not None  # noqa: S101 - shows_progress was checked by the caller
            handle: BinaryIO
            with bar.open(path, "rb", description=f"reading {path.name}") as handle:
                yield from log_items(handle)


# -- documents and tables ----------------------------------------------------------------


def shown(instant: dt.datetime | None) -> str:
    """An instant for people: America/Chicago, to the second."""
    if instant is None:
        return ""
    return to_local(instant).replace(microsecond=0).isoformat()


def instant_doc(instant: dt.datetime | None) -> str | None:
    """An instant for machines: the audit format's UTC text."""
    return None if instant is None else format_instant(instant)


def money(value: Decimal | None) -> str:
    """Dollars with 2 places ("" for none)."""
    return "" if value is None else f"{value:,.2f}"


def finding_doc(finding: Finding) -> dict[str, Any]:
    """A finding as JSON."""
    return {
        "kind": finding.kind.value,
        "rule": finding.rule,
        "cites": list(finding.cites),
        "stream_id": finding.stream_id,
        "version": finding.version,
        "position": finding.position,
        "line": finding.line,
        "cause": finding.cause,
        "message": finding.message,
    }


def _group(finding: Finding) -> int:
    """0: the log's integrity; 1: the Act; 2: what could not be judged."""
    if finding.kind is Kind.NOT_JUDGED:
        return 2
    return 0 if finding.kind in INTEGRITY else 1


_GROUPS = ("of the log's integrity", "of the Act", "of what could not be judged")


def findings_text(findings: Sequence[Finding], width: int = 80) -> list[str]:
    """The findings as lines for a reader, at most ``width`` wide, wrapped between words:
    the log's integrity first, then the Act's, then what could not be judged; each
    numbered, with the number of the finding it follows from."""
    lines: list[str] = []
    for group, title in enumerate(_GROUPS):
        mine = [(n, f) for n, f in enumerate(findings, start=1) if _group(f) == group]
        if not mine:
            continue
        lines.append(f"Findings {title} ({len(mine)})")
        for number, f in mine:
            rule = ", ".join(f.cites) if f.cites else f.kind.value
            where = f"{f.stream_id} v{f.version}" if f.stream_id and f.version else f.stream_id
            if f.position:
                where += f" @{f.position}"
            if f.line:
                where += f" line {f.line}"
            follows = f" (follows #{f.cause + 1})" if f.cause is not None else ""
            text = f"#{number} [{rule}] {where.strip()}: {f.message}{follows}"
            lines += textwrap.wrap(
                text, width=max(40, width), initial_indent="  ", subsequent_indent="      ",
                break_long_words=False, break_on_hyphens=False,
            )  # fmt: skip
    return lines


def checked_summary(report: Report, *, database: bool, root: str | None) -> str:
    """One line: what verify checked."""
    parts = [
        "hash chains and versions",
        "instants",
        "the audit format",
        _plural(report.seals, "seal"),
    ]
    if root is not None:
        parts.append("the published root")
    if report.judged:
        parts.append(f"{_plural(report.judged, 'command')} decided again under the Act")
    if database:
        parts.append("the database's read models")
    return "checked: " + ", ".join(parts)


def state_counts(grants: Iterable[Grant]) -> dict[str, int]:
    """How many grants are in each state, in the lifecycle's order of states."""
    counts = Counter(g.state for g in grants)
    return {s.value: counts[s] for s in State if counts[s]}


def states_table(grants: Sequence[Grant], title: str = "Grants by state") -> Table:
    """Grants by state, with the dollars requested and approved."""
    table = Table(title=title, title_justify="left")
    table.add_column("state")
    table.add_column("grants", justify="right")
    table.add_column("requested", justify="right")
    table.add_column("approved", justify="right")
    for state in State:
        mine = [g for g in grants if g.state is state]
        if not mine:
            continue
        approved = [g.amount for g in mine if g.amount is not None]
        table.add_row(
            state.value,
            str(len(mine)),
            money(sum((g.amount_requested for g in mine), Decimal("0.00"))),
            money(sum(approved, Decimal("0.00"))) if approved else "",
        )
    requested = sum((g.amount_requested for g in grants), Decimal("0.00"))
    approved_total = sum((g.amount for g in grants if g.amount is not None), Decimal("0.00"))
    table.add_section()
    table.add_row("total", str(len(grants)), money(requested), money(approved_total))
    return table


def report_doc(report: Report, *, streams: bool = True) -> dict[str, Any]:
    """The counts and findings of a replay or verify report, as JSON (``streams``: the
    report counted them; a replay does not check chains, so it does not)."""
    return {
        "ok": report.ok,
        "events": report.events,
        **({"streams": report.streams} if streams else {}),
        "seals": report.seals,
        "last_root": report.last_root,
        "grants": len(report.grants),
        "states": state_counts(report.grants.values()),
        "findings": [finding_doc(f) for f in report.findings],
        "corrections": [
            {
                "stream_id": c.stream_id,
                "version": c.version,
                "position": c.position,
                "kind": c.kind,
                "corrects": c.corrects,
                "fields": list(c.fields),
                "actor_id": c.actor_id,
                "reason": c.reason,
            }
            for c in report.corrections
        ],
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def report_summary(what: str, report: Report, *, streams: bool = True) -> str:
    """One line: what was read and how many findings."""
    read = _plural(report.events, "event")
    if streams:
        read += f" in {_plural(report.streams, 'stream')}"
    fixed = f" ({len(report.corrections)} corrected or amended)" if report.corrections else ""
    if report.findings:
        groups = Counter(_group(f) for f in report.findings)
        split = ", ".join(f"{groups[g]} {title}" for g, title in enumerate(_GROUPS) if groups[g])
        fixed = f" ({split}){'; ' + fixed.strip(' ()') if fixed else ''}"
    return (
        f"{what}: {read}, {_plural(report.seals, 'seal')}, "
        f"{_plural(len(report.grants), 'grant')}; "
        f"{_plural(len(report.findings), 'finding')}{fixed}"
    )
