"""``report``: write the Section 20(b) final report or the Task Force's 35(c) report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

import click

from choice_workflow._cli.core import (
    INSTANT,
    OK,
    InputError,
    db_options,
    json_option,
    open_store,
    require_events,
)
from choice_workflow._cli.output import Output, instant_doc, shown
from choice_workflow.errors import InvalidInput
from choice_workflow.reports import (
    FORMATS,
    TaskForceRecord,
    final_report,
    task_force_report,
    write_report,
)
from choice_workflow.reports.render import Format
from choice_workflow.store.base import Store
from choice_workflow.store.urls import mask_url
from choice_workflow.time.clock import SystemClock

KINDS = ("final", "task-force")

_READABLE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _record(path: Path | None) -> TaskForceRecord | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a JSON file ({exc})") from None
    try:
        return TaskForceRecord.from_data(data)
    except InvalidInput as exc:
        raise InputError(f"{path}: {exc}") from None


@click.command(name="report", short_help="Write the 20(b) final report or the 35(c) report.")
@db_options
@click.option(
    "--log",
    type=_READABLE,
    metavar="FILE",
    help="An exported JSON Lines log (instead of --db).",
)
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="final",
    show_default=True,
    help="final: the Section 20(b) report; task-force: the Task Force's 35(c) progress report.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice([*FORMATS, "markdown"]),
    default="html",
    show_default=True,
    callback=lambda ctx, param, value: "md" if value == "markdown" else value,
    help="html (one self-contained file with charts), md (or markdown), csv or json.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    metavar="PATH",
    help="The file to write (replaced if it exists).",
)
@click.option(
    "--as-of",
    "as_of",
    type=INSTANT,
    metavar="ISO8601",
    help="Report the log as it stood at this instant (ISO 8601 with its offset), or a "
    "date: the midnight that begins it in Chicago (default: now).",
)
@click.option(
    "--task-force",
    "task_force",
    type=_READABLE,
    metavar="FILE",
    help="JSON file of the Task Force's appointments, meetings and recommendations (35).",
)
@click.option(
    "--number",
    type=click.IntRange(min=1),
    default=None,
    help="Which progress report (35(c)); default: the next one due.",
)
@json_option
def report_command(
    db: str | None,
    prefix: str,
    schema: str | None,
    log: Path | None,
    kind: Literal["final", "task-force"],
    format_: Format,
    out: Path,
    as_of: dt.datetime | None,
    task_force: Path | None,
    number: int | None,
    as_json: bool,
) -> int:
    """Write a report of the program as of an instant (default: now).

    --kind final: the Section 20(b) final report to the General Assembly and the
    Governor (due 18 months after the effective date; says whether it is late).
    --kind task-force: the Task Force's Section 35(c) progress report, by the purposes
    of 35(a), with the 35(b) roster check (give the Task Force's record with
    --task-force FILE). Every count of people is suppressed (small cells).
    """
    output = Output(as_json)
    if log is not None and db is not None:
        ctx = click.get_current_context()
        if ctx.get_parameter_source("db") is not click.core.ParameterSource.ENVIRONMENT:
            raise click.UsageError("give --db or --log, not both", ctx=ctx)
    if kind == "final" and (task_force is not None or number is not None):
        raise click.UsageError("--task-force and --number are for --kind task-force")
    record = _record(task_force)
    source: Store | Path
    if log is not None:
        source, named = log, {"log": str(log)}
    elif db is not None:
        store = open_store(db, prefix=prefix, schema=schema)
        require_events(store, db)
        source, named = store, {"database": mask_url(db)}
    else:
        raise click.UsageError(
            "nothing to read: pass --db URL (or set CHOICE_WORKFLOW_DB) or --log FILE"
        )
    instant = as_of if as_of is not None else SystemClock().now()
    report = (
        final_report(source, as_of=instant)
        if kind == "final"
        else task_force_report(source, record, as_of=instant, number=number)
    )
    write_report(report, format_, out)
    document = {
        **named,
        "kind": kind,
        "cite": report.cite,
        "format": format_,
        "out": str(out),
        "as_of": instant_doc(instant),
        "due": report.due.isoformat(),
        "late": report.late,
    }
    if output.as_json:
        output.emit(document)
    else:
        output.line(
            f"{kind} report ({report.cite}) as of {shown(instant)}: due {report.due.isoformat()}, "
            f"{report.status}; wrote {out} ({format_})"
        )
    return OK
