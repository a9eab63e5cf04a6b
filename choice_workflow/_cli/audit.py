"""Commands of the audit trail: ``replay``, ``verify``, ``export`` and ``import``."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import click
import sqlalchemy as sa
from click.core import ParameterSource
from sqlalchemy.engine import make_url

from choice_workflow._cli.core import (
    FINDINGS,
    INSTANT,
    OK,
    ROOT_HASH,
    F,
    db_options,
    json_option,
    need_db,
    open_store,
)
from choice_workflow._cli.keys import read_verifiers
from choice_workflow._cli.output import (
    Output,
    checked_summary,
    instant_doc,
    report_doc,
    report_summary,
    shown,
    states_table,
)
from choice_workflow.audit import Item, Report, export_log, import_log, replay, verify
from choice_workflow.events.checkpoint import Verifier
from choice_workflow.store.schema import make_tables
from choice_workflow.store.sql import SqlStore, StoreError, drop_schema, missing_sqlite_file
from choice_workflow.store.urls import mask_url

LOG_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _log_option(f: F) -> F:
    return click.option(
        "--log",
        type=LOG_FILE,
        metavar="FILE",
        help="An exported JSON Lines log (instead of --db).",
    )(f)


def _as_of_option(f: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        type=INSTANT,
        metavar="ISO8601",
        help="Only events recorded up to this instant (with its offset, e.g. "
        "2031-07-01T00:00:00-05:00), or a date: the midnight that begins it in Chicago.",
    )(f)


def _source(
    db: str | None, log: Path | None, prefix: str, schema: str | None
) -> tuple[dict[str, str], SqlStore | Path]:
    """What to read: the database or the log file (not both), and how to name it."""
    ctx = click.get_current_context()
    if log is not None:
        if db is not None and ctx.get_parameter_source("db") is not ParameterSource.ENVIRONMENT:
            raise click.UsageError("give --db or --log, not both", ctx=ctx)
        return {"log": str(log)}, log
    if db is None:
        raise click.UsageError(
            "nothing to read: pass --log FILE or --db URL (or set CHOICE_WORKFLOW_DB)", ctx=ctx
        )
    return {"database": mask_url(db)}, open_store(db, prefix=prefix, schema=schema)


def _read(output: Output, source: SqlStore | Path) -> SqlStore | Path | Iterator[Item]:
    return output.log_items(source) if isinstance(source, Path) else source


def _print_report(
    output: Output, what: str, report: Report, named: dict[str, str], as_of: dt.datetime | None,
    root: str | None = None,
) -> None:  # fmt: skip
    where = named.get("database") or named["log"]
    output.line(f"{what} of {where}" + (f" as of {shown(as_of)}" if as_of is not None else ""))
    output.table(states_table(list(report.grants.values())))
    if report.findings:
        output.findings(report.findings)
    if report.last_root:
        output.line(f"last seal: root {report.last_root}")
    output.line(report_summary(what, report, streams=what != "replay"))
    if what == "verify":
        output.line(checked_summary(report, database="database" in named, root=root))


@click.command(name="replay", short_help="Rebuild every grant from the log.")
@db_options
@_log_option
@_as_of_option
@json_option
def replay_command(
    db: str | None,
    prefix: str,
    schema: str | None,
    log: Path | None,
    as_of: dt.datetime | None,
    as_json: bool,
) -> int:
    """Rebuild every grant from the log, as of an instant if given.

    Reads the database (--db) or an exported log (--log). Exit 1 when the fold meets an
    illegal transition or an unreadable record.
    """
    output = Output(as_json)
    named, source = _source(db, log, prefix, schema)
    report = replay(_read(output, source), as_of=as_of)
    if output.as_json:
        output.emit(
            {
                **named,
                "as_of": instant_doc(as_of),
                **report_doc(report, streams=False),
                "grant_states": {gid: g.state.value for gid, g in sorted(report.grants.items())},
            }
        )
    else:
        _print_report(output, "replay", report, named, as_of)
    return FINDINGS if report.findings else OK


@click.command(name="verify", short_help="Check the log: chains, seals, the Act.")
@db_options
@_log_option
@click.option(
    "--root", type=ROOT_HASH, metavar="HEX", help="A published seal root the log must contain."
)
@click.option(
    "--key", "key_files", multiple=True, type=LOG_FILE, metavar="FILE",
    help="A verifier key file of the Department (keygen's FILE.pub): every seal's "
    "checkpoint must carry a signature of one of them (repeatable).",
)  # fmt: skip
@click.option(
    "--package", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR",
    help="Check one grant's records package alone against the signed checkpoint (needs --key).",
)  # fmt: skip
@click.option(
    "--checkpoint", "checkpoints", multiple=True, type=LOG_FILE, metavar="FILE",
    help="Twice: an older and a newer checkpoint note; the newer must extend the older "
    "(by the database's consistency proof).",
)  # fmt: skip
@_as_of_option
@json_option
def verify_command(
    db: str | None,
    prefix: str,
    schema: str | None,
    log: Path | None,
    root: str | None,
    key_files: tuple[Path, ...],
    package: Path | None,
    checkpoints: tuple[Path, ...],
    as_of: dt.datetime | None,
    as_json: bool,
) -> int:
    """Check the whole log: hash chains, versions, seals, the Act's guards, projections.

    Reads the database (--db) or an exported log (--log). Every seal's checkpoint of the
    log's tree is checked against the log, and with --key its signature. With
    --checkpoint OLD --checkpoint NEW, only that the newer extends the older. Exit 1 on
    any finding.
    """
    output = Output(as_json)
    keys = read_verifiers(key_files)
    if package is not None:
        return _verify_package(output, package, keys)
    if checkpoints:
        from choice_workflow._cli.checkpoints import verify_checkpoints

        return verify_checkpoints(output, checkpoints, db, prefix, schema, keys)
    named, source = _source(db, log, prefix, schema)
    report = verify(_read(output, source), expected_root=root, as_of=as_of, keys=keys)
    if output.as_json:
        output.emit(
            {**named, "root": root, "as_of": instant_doc(as_of), **report_doc(report),
             "checkpoints": [c.to_data() for c in report.checkpoints]}
        )  # fmt: skip
    else:
        _print_report(output, "verify", report, named, as_of, root)
        if report.checkpoints:
            last = report.checkpoints[-1]
            signed = (
                f"signed by {', '.join(last.signed_by)}" if last.signed_by
                else "signed, not by a key given" if last.signed and keys
                else "signed, signature not checked (no --key)" if last.signed
                else "unsigned"
            )  # fmt: skip
            output.line(f"last checkpoint: {last.tree_size} events, {signed}")
    return FINDINGS if report.findings else OK


def _verify_package(output: Output, package: Path, keys: tuple[Verifier, ...]) -> int:
    from choice_workflow.audit.package_proofs import package_problems

    if not keys:
        raise click.UsageError("a package is checked against the Department's key: pass --key FILE")
    problems = package_problems(package, keys)
    if output.as_json:
        output.emit({"package": str(package), "ok": not problems, "problems": problems})
    else:
        for problem in problems:
            output.line(f"[package] {problem}")
        output.line(
            f"verify of the package {package}: "
            + ("its events are in the log the key signed" if not problems
               else f"{len(problems)} problem(s)")
        )  # fmt: skip
    return FINDINGS if problems else OK


@click.command(name="export", short_help="Export the log, or one grant's records package.")
@db_options
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    metavar="PATH",
    help="The JSON Lines file to write (replaced if there); with --grant, a directory.",
)
@click.option(
    "--grant",
    "grant_id",
    metavar="ID",
    help="Write this grant's records package (2 CFR 200.334) into the --out directory.",
)
@json_option
def export_command(
    db: str | None, prefix: str, schema: str | None, out: Path, grant_id: str | None,
    as_json: bool,
) -> int:  # fmt: skip
    """Export the log as JSON Lines (docs/audit-format.md), for an auditor; or, with
    --grant, one grant's records package for the archive: its events and its
    employer's, the verified chain head, the notice of award, its summary and a
    manifest of SHA-256 digests."""
    output = Output(as_json)
    url = need_db(db)
    store = open_store(url, prefix=prefix, schema=schema)
    if grant_id is not None:
        return _export_grant(output, store, url, grant_id, out)
    if out.is_dir():
        raise click.BadParameter(f"{out} is a directory", param_hint="--out")
    total = _count_events(store)
    # Written beside the target and renamed at the end: a failed export leaves no half file.
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("wb") as handle:
            events = export_log(
                output.counted(store.stored_events(), total, f"exporting to {out.name}"), handle
            )
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    if output.as_json:
        output.emit({"database": mask_url(url), "out": str(out), "events": events})
    else:
        output.line(f"exported {events} events from {mask_url(url)} to {out}")
    return OK


def _export_grant(output: Output, store: SqlStore, url: str, grant_id: str, out: Path) -> int:
    from choice_workflow.audit.records import export_grant
    from choice_workflow.errors import UnknownGrant
    from choice_workflow.events import PROGRAM_STREAM
    from choice_workflow.service.program import Program

    with store.transaction() as tx:
        started = tx.stream_version(PROGRAM_STREAM) > 0
    if not started:  # an empty database holds no grant (and is left empty)
        raise UnknownGrant(grant_id=grant_id)
    package = export_grant(Program(store), grant_id, out)
    if output.as_json:
        output.emit(
            {
                "database": mask_url(url),
                "grant": grant_id,
                "out": str(out),
                "files": list(package.files),
                "events": package.events,
                "head": {"version": package.head_version, "hash": package.head_hash},
                "sealed_root": package.sealed_root,
            }
        )
    else:
        output.line(
            f"wrote the records package of {grant_id} to {out}: {len(package.files)} files, "
            f"{package.events} events, chain head v{package.head_version} {package.head_hash[:16]}"
        )
    return OK


def _count_events(store: SqlStore) -> int:
    engine = store.engine
    if engine is None:  # pragma: no cover - a store opened from a URL has its engine
        return 0
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(store.tables.events)).scalar_one()
        )


@click.command(name="import", short_help="Import an exported log into an empty database.")
@click.option("--log", type=LOG_FILE, required=True, metavar="FILE", help="The log to import.")
@db_options
@click.option(
    "--root", type=ROOT_HASH, metavar="HEX", help="A published seal root the log must contain."
)
@json_option
def import_command(
    log: Path, db: str | None, prefix: str, schema: str | None, root: str | None, as_json: bool
) -> int:
    """Import an exported log into an empty database, after verifying it.

    A log with any integrity finding (or without the published --root) is refused and
    nothing is written (exit 2). Findings about the Act are imported and reported (exit 1).
    """
    output = Output(as_json)
    url = need_db(db)
    before = _what_exists(url, prefix=prefix, schema=schema)
    store = open_store(url, prefix=prefix, schema=schema, create=True)
    try:
        with output.working(f"verifying and importing {log.name}"):
            report = import_log(log, store, expected_root=root)
    except BaseException:
        # Refused (or interrupted): nothing was imported, so what opening the store
        # made for this import goes too: a new SQLite file, or new tables.
        store.dispose()
        _undo_open(url, before, prefix=prefix, schema=schema)
        raise
    if output.as_json:
        output.emit(
            {"log": str(log), "database": mask_url(url), "root": root, **report_doc(report)}
        )
    else:
        output.line(f"imported {log} into {mask_url(url)}")
        output.table(states_table(list(report.grants.values())))
        if report.findings:
            output.findings(report.findings)
        output.line(report_summary("import", report))
    return FINDINGS if report.findings else OK


def _what_exists(url: str, *, prefix: str, schema: str | None) -> str:
    """``"file"``: a SQLite file that does not exist yet; ``"tables"``: a database
    without the store's tables; ``"store"``: the store is there already."""
    if missing_sqlite_file(url) is not None:
        return "file"
    try:
        SqlStore(url, prefix=prefix, schema=schema, migrate=False).dispose()
    except StoreError as refused:
        # Only a database that answered "no tables" is one to put back as it was: any
        # other trouble (a lock, a lost connection) leaves everything where it is.
        return "tables" if "holds no choice_workflow tables" in refused.reason else "unknown"
    return "store"


def _undo_open(url: str, before: str, *, prefix: str, schema: str | None) -> None:
    if before == "file":
        database = missing_sqlite_file(url) or make_url(url).database or ""
        if _holds_events(database, prefix):
            return  # another process's import got in: its file stays
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(database + suffix).unlink(missing_ok=True)
    elif before == "tables":
        with contextlib.suppress(StoreError):  # events there by now: nothing is dropped
            drop_schema(url, prefix=prefix, schema=schema)


def _holds_events(path: str, prefix: str) -> bool:
    """Whether the SQLite file at ``path`` holds any event (another import's)."""
    engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with engine.connect() as conn:
            events = make_tables(prefix, None).events
            count = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()
    return bool(count)
