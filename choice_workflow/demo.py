"""``python -m choice_workflow.demo``: a seeded, simulated grant program on the embedded
SQLite default, sealed, exported and verified, with a summary.

The simulation itself is :func:`choice_workflow.simulate.simulate` (re-exported here).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from choice_workflow.audit.jsonl import export_log
from choice_workflow.audit.records import export_grant
from choice_workflow.audit.verify import verify
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.state import State
from choice_workflow.reports import final_report, write_report
from choice_workflow.simulate import ILLINOIS_PROGRAMS, simulate
from choice_workflow.store.sql import SqlStore

__all__ = ["main", "simulate"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo and print its summary; exit 1 on any finding.

    Arguments: ``[EMPLOYERS] [OUTPUT_DIR]`` (59 employers, as in Illinois in 2025, into
    ``demo-output/``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    employers = int(args[0]) if args else ILLINOIS_PROGRAMS
    out = Path(args[1] if len(args) > 1 else "demo-output")
    out.mkdir(parents=True, exist_ok=True)
    database = out / "choice_workflow.sqlite"
    for leftover in out.glob("choice_workflow.sqlite*"):
        leftover.unlink()
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
        package = export_grant(program, closed[0].id, out / "records" / closed[0].id)
        print(
            f"records package (2 CFR 200.334): {package.directory}, {len(package.files)} files, "
            f"kept until {program.retention(closed[0].id).retain_until.to_date_string()}"  # type: ignore[union-attr]  # closed: set
        )
    report = verify(store, expected_root=root)
    from_file = verify(log, expected_root=root)
    findings = [*report.findings, *from_file.findings]
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
