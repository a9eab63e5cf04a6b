"""Checkpoints of the log's tree: ``checkpoint`` (the latest, as published),
``verify --checkpoint OLD --checkpoint NEW`` (does the newer extend the older?) and
``monitor --state FILE`` (trust on first use, then only checkpoints that extend it)."""

from __future__ import annotations

from pathlib import Path

import click

from choice_workflow._cli.core import FINDINGS, OK, db_options, json_option, need_db, open_store
from choice_workflow._cli.keys import read_verifiers
from choice_workflow._cli.output import Output
from choice_workflow.audit.monitor import Monitor, Published, extension_problem, read_note
from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.events.checkpoint import Verifier
from choice_workflow.service.proofs import LogProofs
from choice_workflow.store.urls import mask_url

NOTE_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _note(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise InvalidInput(
            problems=[Problem((), f"cannot read the checkpoint file {path}",
                              "Give a checkpoint note's file.", "checkpoint")]
        ) from None  # fmt: skip


def _described(published: Published) -> str:
    c = published.checkpoint
    signed = (
        published.problem if published.problem is not None
        else f"signed by {', '.join(published.signed_by)}" if published.signed_by
        else "signature not checked (no --key)"
    )  # fmt: skip
    return f"{c.origin}, {c.size} events, root {c.root.hex()[:16]}..., {signed}"


def latest_note(proofs: LogProofs) -> str:
    """The latest seal's checkpoint, or a refusal that says to seal first."""
    note = proofs.checkpoint()
    if note is None:
        raise InvalidInput(
            problems=[Problem((), "the log has no checkpoint yet",
                              "Seal it first: choice-workflow seal --db URL [--key FILE].",
                              "db")]
        )  # fmt: skip
    return note


@click.command(short_help="Print the latest checkpoint of the log's tree.")
@db_options
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Write the note to FILE (never over an existing file) instead of printing it.",
)  # fmt: skip
def checkpoint(db: str | None, prefix: str, schema: str | None, out: Path | None) -> int:
    """Print (or write to --out) the latest seal's checkpoint: a C2SP tlog-checkpoint
    note, with its signature when the seal was signed. This is what the Department
    publishes, and what `verify --checkpoint` and `monitor` read."""
    url = need_db(db)
    note = latest_note(LogProofs(open_store(url, prefix=prefix, schema=schema)))
    if out is None:
        click.echo(note, nl=False)
        return OK
    try:
        with out.open("x", encoding="utf-8") as handle:
            handle.write(note)
    except FileExistsError:
        raise InvalidInput(
            problems=[Problem((), f"{out} exists", "Give a new file.", "out")]
        ) from None
    return OK


def verify_checkpoints(
    output: Output, notes: tuple[Path, ...], url: str | None, prefix: str, schema: str | None,
    keys: tuple[Verifier, ...],
) -> int:  # fmt: skip
    """``verify --checkpoint OLD --checkpoint NEW --db URL``: the newer extends the older,
    by the database's consistency proof; with --key both are signed by a key given."""
    if len(notes) != 2:
        raise click.UsageError("give two checkpoints: --checkpoint OLD --checkpoint NEW")
    url = need_db(url)
    old, new = (read_note(_note(p), keys) for p in notes)
    proofs = LogProofs(open_store(url, prefix=prefix, schema=schema))
    problems = [f"{what}: {p.problem}" for what, p in (("old", old), ("new", new)) if p.problem]
    if old.checkpoint.size > new.checkpoint.size:
        old, new = new, old  # given in either order: the smaller is the older
    extension = extension_problem(old.checkpoint, new.checkpoint, proofs.prove_consistency)
    if extension is not None:
        problems.append(extension)
    if output.as_json:
        output.emit(
            {"database": mask_url(url), "old": old.to_data(), "new": new.to_data(),
             "extends": extension is None, "ok": not problems, "problems": problems}
        )  # fmt: skip
    else:
        output.line(f"old checkpoint: {_described(old)}")
        output.line(f"new checkpoint: {_described(new)}")
        for problem in problems:
            output.line(f"[checkpoint] {problem}")
        output.line(
            "verify of the checkpoints: "
            + ("the newer extends the older (RFC 6962 consistency proof)" if not problems
               else f"{len(problems)} problem(s)")
        )  # fmt: skip
    return FINDINGS if problems else OK


@click.command(short_help="Check each new checkpoint against the last one trusted.")
@db_options
@click.option(
    "--state", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="The monitor's state: the last checkpoint it trusted (made on first use).",
)  # fmt: skip
@click.option(
    "--checkpoint", "note_file", type=NOTE_FILE, metavar="FILE",
    help="The checkpoint to check (as published); default: the log's latest.",
)  # fmt: skip
@click.option(
    "--key", "key_files", multiple=True, type=NOTE_FILE, metavar="FILE",
    help="A verifier key of the Department: the checkpoint must be signed by one (repeatable).",
)  # fmt: skip
@json_option
def monitor(
    db: str | None, prefix: str, schema: str | None, state: Path, note_file: Path | None,
    key_files: tuple[Path, ...], as_json: bool,
) -> int:  # fmt: skip
    """Check a checkpoint against the last one this monitor trusted (--state), as
    Certificate Transparency monitors do: the first one is trusted on first use; a
    later one only when the log's consistency proof shows that it extends the one
    trusted, and then it is trusted instead. One that does not (fewer events, one size
    with another root, a failed proof) is a fork: exit 1, and the state is kept."""
    output = Output(as_json)
    url = need_db(db)
    keys = read_verifiers(key_files)
    proofs = LogProofs(open_store(url, prefix=prefix, schema=schema))
    note = _note(note_file) if note_file is not None else latest_note(proofs)
    checked = Monitor(state, keys).check(note, proofs.prove_consistency)
    if output.as_json:
        output.emit({"database": mask_url(url), "state": str(state), **checked.to_data()})
        return FINDINGS if checked.problem else OK
    output.line(f"checkpoint: {_described(checked.published)}")
    if checked.trusted is not None:
        output.line(f"trusted:    {_described(checked.trusted)}")
    if checked.problem is not None:
        output.line(f"[fork] {checked.problem}")
        output.line(f"monitor: refused; {state} still trusts the checkpoint before")
        return FINDINGS
    size = checked.published.checkpoint.size
    output.line(
        f"monitor: trusted on first use ({size} events); kept in {state}" if checked.first
        else f"monitor: extends the checkpoint trusted; now trusting {size} events"
    )  # fmt: skip
    return OK
