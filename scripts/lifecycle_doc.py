"""Generate docs/lifecycle.md from the one transition table.

Usage: ``python scripts/lifecycle_doc.py --write`` or ``--check``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from choice_workflow.lifecycle.diagram import mermaid  # noqa: E402 - needs the path above
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE  # noqa: E402

TARGET = ROOT / "docs" / "lifecycle.md"


def render() -> str:
    """The Markdown of docs/lifecycle.md."""
    t = GRANT_LIFECYCLE
    lines = [
        "# The grant lifecycle",
        "",
        "Generated from `choice_workflow.lifecycle.table.GRANT_LIFECYCLE` by",
        "`scripts/lifecycle_doc.py`; a test fails when this page is stale. The live machine,",
        "the fold that replay uses, this diagram and `choice_workflow.lifecycle.diagram` all",
        "read the same table.",
        "",
        "```mermaid",
        mermaid().rstrip(),
        "```",
        "",
        "## Transitions",
        "",
        "| trigger | from | to | roles | cites | guards |",
        "|---|---|---|---|---|---|",
    ]
    for row in t.transitions:
        sources = ", ".join(s.value for s in sorted(row.sources, key=t.states.index)) or "(new)"
        dest = row.dest.value if row.dest else "(stays)"
        roles = ", ".join(sorted(r.value for r in row.roles)) + (
            " (own grants)" if row.own_only and "employer" in row.roles else ""
        )
        guards = ", ".join(f"`{g.__name__}`" for g in row.guards) or "-"
        lines.append(
            f"| `{row.trigger}` | {sources} | {dest} | {roles} | {', '.join(row.cites)} | {guards} |"
        )
    lines += ["", "## Waiting states and their deadlines", "", "| state | deadline |", "|---|---|"]
    for s in t.states:
        w = t.wait(s)
        if w is not None:
            lines.append(f"| {s.value} | {w.deadline or 'none: ' + (w.none_reason or '')} |")
    lines += [
        "",
        "Final states: " + ", ".join(s.value for s in t.states if s.is_final) + ".",
        "",
        "## Time",
        "",
        "A command's instant is its Program's Clock. The 15(j) window is exactly 48 elapsed",
        "hours from the confirmed notice: a notice confirmed 2030-11-02 12:00 CDT has",
        "`accept_by` 2030-11-04 11:00 CST; one confirmed 2031-03-08 18:00 CST has",
        "2031-03-10 19:00 CDT. Accepting at exactly `accept_by` succeeds; a microsecond",
        "later is refused with cite 15(j), whether or not `sweep()` has run.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write or check docs/lifecycle.md."""
    parser = argparse.ArgumentParser()
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true")
    group.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        TARGET.write_text(text, encoding="utf-8")
        return 0
    return 0 if TARGET.exists() and TARGET.read_text(encoding="utf-8") == text else 1


if __name__ == "__main__":
    raise SystemExit(main())
