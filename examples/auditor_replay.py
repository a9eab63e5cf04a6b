"""An auditor's replay: verify an exported, sealed log against its published root.

The agency side seals its log, publishes the root and exports the log as JSON Lines
(docs/audit-format.md). The auditor's side needs only the file and the root: it
replays the grants (also as of a past date), verifies chains, seals and the Act's
guards, and lists the findings. Then it shows what a changed byte and a wrong root
look like.

Run: ``python examples/auditor_replay.py``
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pendulum

from choice_workflow import Actor, Role
from choice_workflow.audit import Report, export_log, replay, verify
from choice_workflow.demo import simulate


def agency_side(folder: Path) -> tuple[Path, str]:
    """Run a simulated program, seal it and export its log; return the file and root."""
    program = simulate(employers=9, seed=7)
    root = program.seal(Actor("nightly-job", Role.SYSTEM))
    log = folder / "log.jsonl"
    with log.open("wb") as out:
        export_log(program.store.stored_events(), out)
    return log, root


def show(title: str, report: Report, limit: int = 4) -> None:
    """Print a report's counts and its first findings, each with its cite or rule."""
    print(
        f"{title}: {report.events} events, {report.streams} streams, {report.seals} seal(s), "
        f"{len(report.findings)} finding(s)"
    )
    for finding in report.findings[:limit]:
        print(f"  {finding}")
    if len(report.findings) > limit:
        rules = Counter(f.rule for f in report.findings)
        print(f"  ... {len(report.findings) - limit} more; by rule: {dict(rules.most_common())}")


def auditor_side(log: Path, published_root: str, folder: Path) -> None:
    """Everything here reads the file only: no database, no agency code beyond the library."""
    states = Counter(g.state.value for g in replay(log).grants.values())
    print("grants by state:", dict(sorted(states.items())))
    as_of = pendulum.datetime(2031, 7, 1, tz="America/Chicago")
    earlier = Counter(g.state.value for g in replay(log, as_of=as_of).grants.values())
    print(f"as of {as_of.to_date_string()}:", dict(sorted(earlier.items())))

    show("verify with the published root", verify(log, expected_root=published_root))
    show("verify with another root", verify(log, expected_root="00" * 32))

    # One amount changed in one line, its hashes left as they were: the chain breaks
    # there, and the Act's guards, re-run on the changed amount, object to what follows.
    tampered = folder / "tampered.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if b'"type":"Approved"' in line)
    start = lines[at].index(b'"amount":"') + len(b'"amount":"')
    lines[at] = lines[at][:start] + b"4" + lines[at][start + 1 :]
    tampered.write_bytes(b"".join(lines))
    show("verify a copy with one changed digit", verify(tampered, expected_root=published_root))


def main() -> int:
    """Run both sides in a temporary folder."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        log, root = agency_side(folder)
        print(f"published root: {root}")
        print(f"exported log: {log.name}, {log.stat().st_size:,} bytes")
        auditor_side(log, root, folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
