"""State diagrams drawn from the one transition table: Mermaid and Graphviz dot.

Edges carry their trigger and cites; waiting states carry their deadline (or "no
deadline" and why). Nothing here is written by hand, so the diagram cannot drift from
the machine.
"""

from __future__ import annotations

from typing import Literal

from choice_workflow.domain.state import State
from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE, TransitionTable


def _note(table: TransitionTable, state: State) -> str:
    wait = table.wait(state)
    if wait is None:
        return "final"
    if wait.deadline:
        return f"deadline: {wait.deadline}"
    return "no deadline"


def mermaid(table: TransitionTable = GRANT_LIFECYCLE) -> str:
    """A Mermaid ``stateDiagram-v2`` of the table."""
    lines = ["stateDiagram-v2", f"    [*] --> {table.initial.value}: apply [15(b)]"]
    for t in table.transitions:
        if not t.sources:
            continue
        cites = ", ".join(t.cites)
        for source in sorted(t.sources, key=lambda s: table.states.index(s)):
            dest = source if t.dest is None else t.dest
            lines.append(
                f"    {source.value} --> {dest.value}: {t.trigger} [{cites}]".replace('"', "'")
            )
    for s in table.states:
        if s.is_final:
            lines.append(f"    {s.value} --> [*]")
    for s in table.states:
        wait = table.wait(s)
        if wait is not None:
            lines.append(f"    note right of {s.value}: {_note(table, s)}")
    return "\n".join(lines) + "\n"


def dot(table: TransitionTable = GRANT_LIFECYCLE) -> str:
    """A Graphviz dot digraph of the table."""
    lines = ["digraph grant_lifecycle {", "    rankdir=LR;", "    node [shape=box, style=rounded];"]
    lines.append("    start [shape=point];")
    for s in table.states:
        shape = "doubleoctagon" if s.is_final else "box"
        label = f"{s.value}\\n({_note(table, s)})".replace('"', "'")
        lines.append(f'    {s.value} [shape={shape}, label="{label}"];')
    lines.append(f'    start -> {table.initial.value} [label="apply [15(b)]"];')
    loops: dict[State, list[str]] = {}
    for t in table.transitions:
        if not t.sources:
            continue
        for source in sorted(t.sources, key=lambda s: table.states.index(s)):
            dest = source if t.dest is None else t.dest
            label = f"{t.trigger} [{', '.join(t.cites)}]".replace('"', "'")
            if dest is source:  # drawn together below: one loop, one label a line each
                loops.setdefault(source, []).append(label)
                continue
            lines.append(f'    {source.value} -> {dest.value} [label="{label}"];')
    for state, labels in loops.items():
        joined = "\\l".join(labels) + "\\l"  # left-aligned lines, not labels stacked
        lines.append(f'    {state.value} -> {state.value} [label="{joined}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def diagram(
    format: Literal["mermaid", "dot"] = "mermaid", table: TransitionTable = GRANT_LIFECYCLE
) -> str:
    """The lifecycle diagram in ``format`` (``"mermaid"`` or ``"dot"``; the CLI's
    ``diagram --format svg`` renders the dot text with Graphviz)."""
    if format == "mermaid":
        return mermaid(table)
    if format == "dot":
        return dot(table)

    raise InvalidInput(
        problems=[
            Problem((), f"unknown diagram format {format!r}", "Use 'mermaid' or 'dot'.", "format")
        ]
    )
