"""Small cells: what a published table of counts of people may show.

Reports of the program (20(a)(1), 20(b), 35(c)) count employees with disabilities. A
count of 1 to 10 people is a small cell and is never published, and neither is anything
from which it could be derived (DESIGN.md "Who may do what"):

- primary suppression: every cell and every total (row, column, grand) of 1 to 10;
- complementary suppression: when a line (a row or a column, its total included) has
  exactly one suppressed cell, the smallest non-zero published cell of that line is
  suppressed too, until no line has exactly one;
- then, every suppressed cell is checked to sit on a cycle of suppressed cells along
  which it can move by one (+1 here, -1 in the next cell of the same line, and so on)
  while no count that is not 0 becomes 0: then two tables of non-negative counts
  match all that is published and differ in that cell, so it cannot be recovered
  exactly, even by someone who knows that zeros are always published (and so that a
  suppressed count is not 0). While a cell is not so protected, the cell that closes
  such a cycle at the least cost is suppressed too (the smallest non-zero one; totals
  last).

Zeros are not sensitive and are published; a zero is suppressed only when no non-zero
cell can protect a suppressed one. :func:`min_max_allowed` says whether a group is large
enough to show its minimum and maximum wage.

What this does not defend against: bounds narrower than exact values (an interval
derived from the published totals), and tables published from the same data with other
breakdowns (differencing). Reports built from several tables must suppress them together.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from choice_workflow.errors import InvalidInput, Problem

SMALL_LOW = 1
"""The least count that is a small cell: zeros are published."""
SMALL_HIGH = 10
"""The greatest count that is a small cell: groups of 11 or more are published."""

Cell = tuple[str | None, str | None]
"""A cell of a :class:`SuppressedTable` by (row, column); ``None`` names the total line:
``(row, None)`` is a row's total, ``(None, column)`` a column's, ``(None, None)`` the
grand total."""

_Pos = tuple[int, int]


def _problem(reason: str, hint: str, field: str = "") -> Problem:
    # Small-cell rules come from the agency's disclosure policy, not from a clause of the
    # Act: the problems carry no cite.
    return Problem((), reason, hint, field)


def _count_ok(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_small(count: int, *, low: int = SMALL_LOW, high: int = SMALL_HIGH) -> bool:
    """True when ``count`` people are a small cell (1 to 10 by default)."""
    return low <= count <= high


def min_max_allowed(n: int, *, high: int = SMALL_HIGH) -> bool:
    """Whether the minimum and maximum wage of a group of ``n`` people may be published:
    False for groups of 10 people or fewer (each is one person's wage), True from 11.
    ``n`` must be a whole number >= 0."""
    if not _count_ok(n):
        raise InvalidInput(
            problems=[
                _problem(f"a group size must be a whole number >= 0, got {n!r}", "Pass a count.")
            ]
        )
    return n > high


@attrs.frozen(kw_only=True)
class SuppressedTable:
    """A table of counts as it may be published: ``None`` in every suppressed cell.

    ``cells[i][j]`` is the count of row ``rows[i]`` and column ``columns[j]``;
    ``row_totals``, ``column_totals`` and ``grand_total`` are the totals as published.
    ``primary`` holds the small cells, ``complementary`` the cells suppressed to protect
    them (:data:`Cell` coordinates, ``None`` for a total).
    """

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    grand_total: int | None
    primary: frozenset[Cell]
    complementary: frozenset[Cell]

    @property
    def suppressed(self) -> frozenset[Cell]:
        """Every suppressed cell, totals included."""
        return self.primary | self.complementary

    def value(self, row: str | None, column: str | None) -> int | None:
        """The published value at (``row``, ``column``); ``None`` names the total line,
        and ``None`` is returned for a suppressed cell."""
        if row is None:
            return (
                self.grand_total
                if column is None
                else self.column_totals[self.columns.index(column)]
            )
        i = self.rows.index(row)
        if column is None:
            return self.row_totals[i]
        return self.cells[i][self.columns.index(column)]

    def as_mapping(self) -> dict[str, dict[str, int | None]]:
        """The interior cells as ``{row: {column: value or None}}``."""
        return {
            row: dict(zip(self.columns, values, strict=True))
            for row, values in zip(self.rows, self.cells, strict=True)
        }

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data: the published values (``null`` where suppressed) and which
        cells are suppressed, without telling primary from complementary ones (that
        would say which suppressed cells hold 1 to 10)."""
        return {
            "rows": list(self.rows),
            "columns": list(self.columns),
            "cells": self.as_mapping(),
            "row_totals": dict(zip(self.rows, self.row_totals, strict=True)),
            "column_totals": dict(zip(self.columns, self.column_totals, strict=True)),
            "grand_total": self.grand_total,
        }


def suppress(
    table: Mapping[str, Mapping[str, int]], *, low: int = SMALL_LOW, high: int = SMALL_HIGH
) -> SuppressedTable:
    """The publishable form of ``table`` (``{row: {column: count}}``, every row with
    the same columns, counts whole numbers >= 0), with small cells (``low`` to
    ``high``) and what would reveal them suppressed; see the module's docstring.

    Deterministic: equal tables (same order of rows and columns) give equal results.
    """
    rows, columns, values = _read(table, low, high)
    aug = _augment(values)
    primary = {(i, j) for i, line in enumerate(aug) for j, v in enumerate(line) if low <= v <= high}
    suppressed = _complete(aug, set(primary))
    n_rows, n_cols = len(rows), len(columns)

    def name(pos: _Pos) -> Cell:
        i, j = pos
        return (rows[i] if i < n_rows else None, columns[j] if j < n_cols else None)

    def shown(i: int, j: int) -> int | None:
        return None if (i, j) in suppressed else aug[i][j]

    return SuppressedTable(
        rows=rows,
        columns=columns,
        cells=tuple(tuple(shown(i, j) for j in range(n_cols)) for i in range(n_rows)),
        row_totals=tuple(shown(i, n_cols) for i in range(n_rows)),
        column_totals=tuple(shown(n_rows, j) for j in range(n_cols)),
        grand_total=shown(n_rows, n_cols),
        primary=frozenset(name(p) for p in primary),
        complementary=frozenset(name(p) for p in suppressed - primary),
    )


def _read(
    table: Mapping[str, Mapping[str, int]], low: int, high: int
) -> tuple[tuple[str, ...], tuple[str, ...], list[list[int]]]:
    problems: list[Problem] = []
    if not (_count_ok(low) and _count_ok(high) and 1 <= low <= high):
        problems.append(
            _problem(
                f"low={low!r} and high={high!r} must be whole numbers with 1 <= low <= high",
                "Zeros are not sensitive: keep low at 1 or more.",
                "low",
            )
        )
    if not isinstance(table, Mapping):
        problems.append(
            _problem(
                f"a table must be a mapping of rows, got {type(table).__name__}",
                "Pass {row: {column: count}}.",
            )
        )
        raise InvalidInput(problems=problems)
    rows = tuple(table)
    columns: tuple[str, ...] = ()
    values: list[list[int]] = []
    for i, row in enumerate(rows):
        line = table[row]
        if not isinstance(row, str) or not isinstance(line, Mapping):
            problems.append(
                _problem(
                    f"row {row!r} must be a string naming a mapping of columns",
                    "Pass {row: {column: count}}.",
                    str(row),
                )
            )
            continue
        if i == 0:
            columns = tuple(line)
        elif set(line) != set(columns):
            problems.append(
                _problem(
                    f"row {row!r} has columns {sorted(map(str, line))}, not those of the "
                    f"first row {sorted(map(str, columns))}",
                    "Give every row the same columns; write 0 for an empty cell.",
                    str(row),
                )
            )
            continue
        for column in columns:
            if not isinstance(column, str):
                problems.append(
                    _problem(f"column {column!r} must be a string", "Name columns by strings.")
                )
            elif not _count_ok(line[column]):
                problems.append(
                    _problem(
                        f"cell ({row}, {column}) must be a whole number >= 0, got {line[column]!r}",
                        "Tables count people: pass ints.",
                        f"{row}.{column}",
                    )
                )
        values.append([line[c] for c in columns])
    if problems:
        raise InvalidInput(problems=problems)
    return rows, columns, values


def _augment(values: list[list[int]]) -> list[list[int]]:
    """The table with its totals as a last column and a last row."""
    n_cols = len(values[0]) if values else 0
    aug = [[*line, sum(line)] for line in values]
    column_totals = [sum(line[j] for line in aug) for j in range(n_cols + 1)]
    aug.append(column_totals)
    return aug


# --- the search -----------------------------------------------------------------------
#
# Write the table with its totals as one (R+1) x (C+1) array y, where a row's or a
# column's total enters with a minus sign (y = -total) and the grand total with a plus:
# then every row and every column of y sums to 0. A change of the suppressed cells that
# keeps every published value and every sum is a change of y along cycles of the
# bipartite graph (row nodes, column nodes, one edge per suppressed cell): +1, -1, +1,
# ... around the cycle. Orient it: the arc row -> column adds 1 to y at that cell, the
# arc column -> row takes 1 from it. An arc is allowed when the count it changes stays
# >= 1 (a non-zero count may not become zero: zeros are published, so a reader knows
# suppressed counts are non-zero) and >= 0 for a zero. A cell is protected when one of
# its arcs lies on a directed cycle that does not use the cell twice.


def _sign(pos: _Pos, last: _Pos) -> int:
    """+1 when y equals the count at ``pos``, -1 when y is minus the count (a row's or
    a column's total, not the grand total)."""
    return -1 if (pos[0] == last[0]) != (pos[1] == last[1]) else 1


def _arcs(pos: _Pos, value: int, last: _Pos) -> tuple[bool, bool]:
    """Whether (row -> column, column -> row) is allowed for the cell at ``pos``."""
    sign = _sign(pos, last)
    # row -> column adds sign to the count; column -> row subtracts it.
    return (sign > 0 or value >= 2, sign < 0 or value >= 2)


_Node = tuple[str, int]


class _Graph:
    def __init__(self, aug: list[list[int]], suppressed: Iterable[_Pos]) -> None:
        self.aug = aug
        self.last = (len(aug) - 1, len(aug[0]) - 1)
        self.out: dict[_Node, list[tuple[_Node, _Pos]]] = {}
        self.into: dict[_Node, list[tuple[_Node, _Pos]]] = {}
        for pos in suppressed:
            self.add(pos)

    def add(self, pos: _Pos) -> None:
        row, col = ("r", pos[0]), ("c", pos[1])
        down, up = _arcs(pos, self.aug[pos[0]][pos[1]], self.last)
        if down:
            self.out.setdefault(row, []).append((col, pos))
            self.into.setdefault(col, []).append((row, pos))
        if up:
            self.out.setdefault(col, []).append((row, pos))
            self.into.setdefault(row, []).append((col, pos))

    def reach(self, start: _Node, skip: _Pos, *, backwards: bool = False) -> set[_Node]:
        arcs = self.into if backwards else self.out
        seen = {start}
        todo = deque([start])
        while todo:
            node = todo.popleft()
            for nxt, pos in arcs.get(node, ()):
                if pos != skip and nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def protected(self, pos: _Pos) -> bool:
        row, col = ("r", pos[0]), ("c", pos[1])
        down, up = _arcs(pos, self.aug[pos[0]][pos[1]], self.last)
        return (down and row in self.reach(col, pos)) or (up and col in self.reach(row, pos))

    def closers(self, pos: _Pos, free: Iterable[_Pos]) -> list[_Pos]:
        """The unsuppressed cells each of which alone puts ``pos`` on a cycle."""
        row, col = ("r", pos[0]), ("c", pos[1])
        down, up = _arcs(pos, self.aug[pos[0]][pos[1]], self.last)
        # (tail, head) of each allowed arc of pos: a path head ~> tail closes the cycle.
        ends = ([(row, col)] if down else []) + ([(col, row)] if up else [])
        sides = [(self.reach(h, pos), self.reach(t, pos, backwards=True)) for t, h in ends]
        found = []
        for cand in free:
            c_row, c_col = ("r", cand[0]), ("c", cand[1])
            c_down, c_up = _arcs(cand, self.aug[cand[0]][cand[1]], self.last)
            for ahead, behind in sides:
                if (c_down and c_row in ahead and c_col in behind) or (
                    c_up and c_col in ahead and c_row in behind
                ):
                    found.append(cand)
                    break
        return found


def _cost(aug: list[list[int]], last: _Pos) -> Callable[[_Pos], tuple[bool, int, bool, int, int]]:
    """Order of preference among cells to suppress: non-zero before zero, smaller
    before larger, interior cells before totals, then by position."""

    def key(pos: _Pos) -> tuple[bool, int, bool, int, int]:
        value = aug[pos[0]][pos[1]]
        return (value == 0, value, pos[0] == last[0] or pos[1] == last[1], pos[0], pos[1])

    return key


def _lines(n_rows: int, n_cols: int) -> list[list[_Pos]]:
    rows = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    cols = [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    return rows + cols


def _complete(aug: list[list[int]], suppressed: set[_Pos]) -> set[_Pos]:
    n_rows, n_cols = len(aug), len(aug[0])
    last = (n_rows - 1, n_cols - 1)
    cost = _cost(aug, last)
    every = [(i, j) for i in range(n_rows) for j in range(n_cols)]
    lines = _lines(n_rows, n_cols)
    while True:
        # Complementary suppression: no line with exactly one suppressed cell.
        changed = True
        while changed:
            changed = False
            for line in lines:
                hidden = [p for p in line if p in suppressed]
                if len(hidden) != 1:
                    continue
                free = [p for p in line if p not in suppressed]
                if free:
                    suppressed.add(min(free, key=cost))
                    changed = True
        graph = _Graph(aug, suppressed)
        exposed = next((p for p in sorted(suppressed) if not graph.protected(p)), None)
        if exposed is None:
            return suppressed
        free = [p for p in every if p not in suppressed]
        closers = graph.closers(exposed, free)
        if closers:
            suppressed.add(min(closers, key=cost))
            continue
        near = [p for p in free if p[0] == exposed[0] or p[1] == exposed[1]]
        # Suppressing everything protects every cell (the totals close a cycle through
        # any cell), so there is always a free cell here.
        suppressed.add(min(near or free, key=cost))
