"""``rules``: the command registry and the Rules in force, as data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from choice_workflow._cli.core import OK, json_option
from choice_workflow._cli.output import Output
from choice_workflow.audit.jsonl import read_lines, read_record
from choice_workflow.commands.catalog import act_document
from choice_workflow.errors import ChoiceWorkflowError, LogFormatError
from choice_workflow.events import EventType, canonical_json
from choice_workflow.rules import Rules


@click.command(name="rules", short_help="Print the commands and the Rules verify judges by.")
@click.option(
    "--log",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="An exported log: the Rules recorded at its start (default: the Act's own).",
)
@json_option
def rules_command(log: Path | None, as_json: bool) -> int:
    """Print the Act as data: every command with its event, stream, roles, cites and the
    grant states it moves from and to; the amount bounds (15(h)), the acceptance window
    (15(j)), the cycle calendar (15(a), 15(f)), the payloads' amounts and instants, and
    the Rules with their fingerprint. With --json, the document of docs/audit-format.md
    ("The Act as data"), for a verifier that does not use this library."""
    output = Output(as_json)
    rules = Rules.illinois()
    if log is not None:
        rules = _recorded_rules(log)
    document = act_document(rules)
    if output.as_json:
        output.emit(document)
        return OK
    # One line per command: a reader scans it, a table this wide would wrap mid-word.
    for c in document["commands"]:
        moves = ""
        if c["creates"]:
            moves = f"; creates a grant in {c['destination']}"
        elif c["sources"] is not None:
            moves = f"; from {', '.join(c['sources'])} to {c['destination'] or 'the same state'}"
        cites = ", ".join(c["cites"]) or "none"
        own = c["own_employer"] and "employer" in c["roles"]
        output.line(
            f"{c['name']}: writes {c['event_type']} to the {c['stream']}'s stream; roles "
            f"{', '.join(c['roles'])}{' (an employer: its own only)' if own else ''}"
            f"{moves}; cites {cites}"
        )
    amounts, window = document["amounts"], document["acceptance_window"]
    output.line(
        f"awards {amounts['min_award']}-{amounts['max_award']} (15(h)); acceptance window "
        f"{window['seconds'] // 3600} hours from the {window['starts']} (15(j))"
    )
    output.line(f"Rules fingerprint {document['fingerprint']}")
    return OK


def _recorded_rules(log: Path) -> Rules:
    """The Rules recorded at the log's start, read up to its first program start, and
    only when they match their recorded fingerprint (forged Rules would make an outside
    judge judge by them)."""
    for line in read_lines(log, lenient=True):
        if not line.record:
            continue
        try:
            record, _ = read_record(line.record)
        except LogFormatError:
            continue
        if record.get("type") != EventType.PROGRAM_STARTED:
            continue
        payload = record.get("payload")
        recorded = payload.get("rules") if isinstance(payload, dict) else None
        try:
            digest = hashlib.sha256(canonical_json(recorded)).hexdigest()
            rules = Rules.from_canonical(dict(recorded))  # type: ignore[arg-type]  # checked below
        except (ChoiceWorkflowError, TypeError, ValueError) as exc:
            raise click.BadParameter(
                f"{log}: the recorded Rules cannot be read ({exc})", param_hint="--log"
            ) from None
        if not isinstance(payload, dict) or digest != payload.get("fingerprint"):
            raise click.BadParameter(
                f"{log}: the recorded Rules do not match their fingerprint (run verify)",
                param_hint="--log",
            )
        return rules
    raise click.BadParameter(f"{log} records no program start", param_hint="--log")
