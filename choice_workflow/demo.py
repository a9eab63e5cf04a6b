"""``python -m choice_workflow.demo``: a seeded, simulated grant program on the embedded
SQLite default, sealed, exported and verified, with a summary.

The simulation itself is :func:`choice_workflow.simulate.simulate` (re-exported here).
"""

from __future__ import annotations

import argparse
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import attrs

from choice_workflow.audit.jsonl import export_log
from choice_workflow.audit.records import export_grant
from choice_workflow.audit.verify import verify
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.state import State
from choice_workflow.reports import final_report, write_report
from choice_workflow.simulate import ILLINOIS_PROGRAMS, simulate
from choice_workflow.store.sql import SqlStore

__all__ = ["main", "simulate"]

MANIFEST = ".choice_workflow-demo"
"""The list, in the output directory, of what the last demo wrote there: a new run
removes exactly that first, and nothing else."""


_OURS = re.compile(
    r"choice_workflow\.sqlite|log\.jsonl|report\.html|records/[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
)
"""What a demo writes into its output directory (a grant's id has no ``/`` or ``..``)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m choice_workflow.demo",
        description="Simulate a seeded grant program on SQLite, seal it, export its log, "
        "write the 20(b) report and a records package, and verify the database and the "
        "export (exit 1 on any finding).",
    )
    parser.add_argument(
        "employers", nargs="?", type=_employers, default=ILLINOIS_PROGRAMS,
        help=f"employers in cycle 1 (default {ILLINOIS_PROGRAMS}, as in Illinois in 2025)",
    )  # fmt: skip
    parser.add_argument(
        "out", nargs="?", type=Path, default=Path("demo-output"),
        help="the output directory (default demo-output/)",
    )  # fmt: skip
    return parser


def _employers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give at least 1 employer")
    return value


def _clear(out: Path) -> None:
    """Remove what the last demo wrote into ``out`` (its manifest says what)."""
    manifest = out / MANIFEST
    if manifest.is_file():
        for name in manifest.read_text(encoding="utf-8").splitlines():
            if not _OURS.fullmatch(name):
                continue  # only the names the demo writes, whatever the file says
            path = out / name
            if path.is_symlink() or not path.exists():
                path.unlink(missing_ok=True)
            elif path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        manifest.unlink()
    for leftover in out.glob("choice_workflow.sqlite*"):
        leftover.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo and print its summary; exit 1 on any finding.

    Arguments: ``[EMPLOYERS] [OUTPUT_DIR]`` (59 employers, as in Illinois in 2025, into
    ``demo-output/``). Run again, it replaces what it wrote before.
    """
    args = _parser().parse_args(None if argv is None else list(argv))
    employers: int = args.employers
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    written = ["choice_workflow.sqlite", "log.jsonl", "report.html"]
    (out / MANIFEST).write_text("\n".join(written) + "\n", encoding="utf-8")
    database = out / "choice_workflow.sqlite"
    store = SqlStore(f"sqlite:///{database}")
    program = simulate(employers, store=store)
    root = program.seal(Actor("seal-demo", Role.SYSTEM))
    log = out / "log.jsonl"
    with log.open("wb") as handle:
        events = export_log(store.stored_events(), handle)
    grants = program.grants()
    states = Counter(g.state.value for g in grants)
    print(f"choice_workflow demo: {len(grants)} grants, {events} events in {database}")
    for state, count in sorted(states.items()):
        print(f"  {state:<14} {count:>4}")
    print(f"sealed: root {root}")
    print(f"exported: {log}")
    html = write_report(final_report(program), "html", out / "report.html")
    print(f"report: {html} (Section 20(b), as of {program.clock.now().to_date_string()})")
    closed = [g for g in grants if g.state is State.CLOSED]
    if closed:
        package_dir = out / "records" / closed[0].id
        written.append(f"records/{closed[0].id}")
        (out / MANIFEST).write_text("\n".join(written) + "\n", encoding="utf-8")
        package = export_grant(program, closed[0].id, package_dir)
        print(
            f"records package (2 CFR 200.334): {package.directory}, {len(package.files)} files, "
            f"kept until {program.retention(closed[0].id).retain_until.to_date_string()}"  # type: ignore[union-attr]  # closed: set
        )
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
    print(f"corrections and amendments: {len(report.corrections)}, each beside what it corrects")
    for finding in findings:
        print(f"  finding: {finding}")
    store.dispose()
    print(
        f"verify: {report.events} events in {report.streams} streams, "
        f"database and export, {len(findings)} findings"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
