"""Commands that run the program: ``demo``, ``simulate``, ``sweep`` and ``seal``."""

from __future__ import annotations

from pathlib import Path

import attrs
import click
from rich.table import Table

from choice_workflow import demo as demo_module
from choice_workflow._cli.core import (
    FINDINGS,
    OK,
    InputError,
    db_options,
    json_option,
    need_db,
    open_store,
    require_events,
)
from choice_workflow._cli.keys import read_signer
from choice_workflow._cli.output import (
    Output,
    finding_doc,
    instant_doc,
    money,
    report_summary,
    shown,
    state_counts,
    states_table,
)
from choice_workflow.audit import export_log, verify
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.grant import Grant
from choice_workflow.service.program import Program
from choice_workflow.store.sql import SqlStore
from choice_workflow.store.urls import mask_url
from choice_workflow.time.clock import SystemClock

EMPLOYERS = click.IntRange(1, 100_000)


@click.command(short_help="Simulate, seal, export and verify a demo program.")
@click.option(
    "--employers",
    type=EMPLOYERS,
    default=24,
    show_default=True,
    help="How many employers apply in cycle 1.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Directory of the database and the exported log (replaced if there).",
)
@json_option
def demo(employers: int, out: Path, as_json: bool) -> int:
    """Simulate a program on SQLite, seal it, export its log and verify both.

    What `make demo` does: exit 1 if verify finds anything.
    """
    output = Output(as_json)
    out.mkdir(parents=True, exist_ok=True)
    database = out / "choice_workflow.sqlite"
    for leftover in out.glob("choice_workflow.sqlite*"):
        leftover.unlink()
    store = open_store(f"sqlite:///{database}", create=True)
    with output.counting_commits(store, f"simulating {employers} employers"):
        program = demo_module.simulate(employers, store=store)
    root = program.seal(Actor("seal-demo", Role.SYSTEM))
    log = out / "log.jsonl"
    with log.open("wb") as handle:
        events = export_log(store.stored_events(), handle)
    grants = program.grants()
    report = verify(store, expected_root=root)
    from_file = verify(log, expected_root=root)
    # One list: the export's causes point into it after the database's findings.
    shift = len(report.findings)
    findings = [
        *report.findings,
        *(
            f if f.cause is None else attrs.evolve(f, cause=f.cause + shift)
            for f in from_file.findings
        ),
    ]
    if output.as_json:
        output.emit(
            {
                "database": str(database),
                "log": str(log),
                "employers": employers,
                "grants": len(grants),
                "events": events,
                "states": state_counts(grants),
                "root": root,
                "findings": [finding_doc(f) for f in findings],
                "ok": not findings,
            }
        )
    else:
        output.line(f"choice_workflow demo: {len(grants)} grants, {events} events in {database}")
        output.table(states_table(grants))
        output.line(f"sealed: root {root}")
        output.line(f"exported: {log}")
        if findings:
            output.findings(findings)
        output.line(report_summary("verify (database and export)", report))
    return FINDINGS if findings else OK


@click.command(short_help="Simulate a program into an empty database.")
@click.option(
    "--employers",
    type=EMPLOYERS,
    default=24,
    show_default=True,
    help="How many employers apply in cycle 1.",
)
@click.option(
    "--seed", type=int, default=2030, show_default=True, help="Seed of the simulation's choices."
)
@db_options
@json_option
def simulate(
    employers: int, seed: int, db: str | None, prefix: str, schema: str | None, as_json: bool
) -> int:
    """Simulate a seeded program into an empty database (choice_workflow.demo.simulate).

    Employers apply and are approved; some accept at once, some late in the 48-hour
    window, some decline, some let it lapse and the funds reach the next applicants;
    transitions, disbursements and evaluations follow.
    """
    output = Output(as_json)
    url = need_db(db)
    store = open_store(url, prefix=prefix, schema=schema, create=True)
    if next(iter(store.stored_events()), None) is not None:
        raise InputError(
            f"{mask_url(url)} already holds a program; simulate into an empty database"
        )
    with output.counting_commits(store, f"simulating {employers} employers"):
        program = demo_module.simulate(employers, seed, store)
    grants = program.grants()
    events = sum(1 for _ in store.stored_events())
    if output.as_json:
        output.emit(
            {
                "database": mask_url(url),
                "employers": employers,
                "seed": seed,
                "grants": len(grants),
                "events": events,
                "states": state_counts(grants),
            }
        )
    else:
        output.table(states_table(grants, f"Simulated: {employers} employers, seed {seed}"))
        output.line(f"{events} events in {mask_url(url)}")
    return OK


def _program(url: str, prefix: str, schema: str | None) -> tuple[SqlStore, Program]:
    store = open_store(url, prefix=prefix, schema=schema)
    require_events(store, url)
    return store, Program(store, clock=SystemClock())


@click.command(short_help="Forfeit lapsed approvals (15(j)).")
@db_options
@json_option
def sweep(db: str | None, prefix: str, schema: str | None, as_json: bool) -> int:
    """Forfeit every approval whose 48-hour acceptance window has closed (15(j)).

    Runs on the machine's clock, as the nightly job does; idempotent.
    """
    output = Output(as_json)
    url = need_db(db)
    _, program = _program(url, prefix, schema)
    at = program.clock.now()
    forfeited = program.sweep()
    if output.as_json:
        output.emit(
            {
                "database": mask_url(url),
                "at": instant_doc(at),
                "forfeited": [
                    {
                        "grant_id": g.id,
                        "employer_id": g.employer_id,
                        "amount": None if g.amount is None else f"{g.amount:.2f}",
                        "accept_by": instant_doc(g.accept_by),
                    }
                    for g in forfeited
                ],
            }
        )
        return OK
    if forfeited:
        output.table(_forfeited_table(forfeited))
    output.line(
        f"sweep at {shown(at)}: {len(forfeited)} approval"
        f"{'s' if len(forfeited) != 1 else ''} forfeited [15(j)]"
    )
    return OK


def _forfeited_table(forfeited: list[Grant]) -> Table:
    table = Table(title="Forfeited approvals", title_justify="left")
    for name in ("grant", "employer", "amount", "accept by (America/Chicago)"):
        table.add_column(name, justify="right" if name == "amount" else "left")
    for g in forfeited:
        table.add_row(g.id, g.employer_id, money(g.amount), shown(g.accept_by))
    return table


@click.command(short_help="Seal the log; print the root.")
@db_options
@click.option(
    "--actor",
    default="choice-workflow",
    show_default=True,
    metavar="ID",
    help="Who seals (recorded in the seal event, role system).",
)
@click.option(
    "--key", "key_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="The signing key's file (choice-workflow keygen) to sign the checkpoint; default: "
    "the file CHOICE_WORKFLOW_SEAL_KEY names, else an unsigned checkpoint.",
)  # fmt: skip
@json_option
def seal(
    db: str | None, prefix: str, schema: str | None, actor: str, key_file: Path | None,
    as_json: bool,
) -> int:  # fmt: skip
    """Seal the log and print the Merkle root (hex) for publication.

    The root is printed alone on its line: `ROOT=$(choice-workflow seal --db URL)`. The
    seal also records the checkpoint of the log's tree (C2SP tlog-checkpoint), signed
    with --key's signing key, or unsigned; --json shows it.
    """
    output = Output(as_json)
    url = need_db(db)
    signer = read_signer(key_file)
    _, program = _program(url, prefix, schema)
    root = program.seal(Actor(actor, Role.SYSTEM), key=signer)
    if output.as_json:
        output.emit(
            {"database": mask_url(url), "root": root, "checkpoint": program.checkpoint(),
             "signed_by": None if signer is None else signer.name}
        )  # fmt: skip
    else:
        output.line(root)
    return OK
