"""Small cells: no published count of 1-10 people, and nothing that reveals one."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from choice_workflow.domain.privacy import (
    Cell,
    SuppressedTable,
    is_small,
    min_max_allowed,
    suppress,
)
from choice_workflow.errors import InvalidInput

Table = dict[str, dict[str, int]]

# -- helpers: the table and its totals, and what a reader can derive -------------------


def full(table: Mapping[str, Mapping[str, int]]) -> dict[Cell, int]:
    """Every cell of ``table`` by (row, column), totals included (``None`` = total)."""
    rows = list(table)
    columns = list(table[rows[0]]) if rows else []
    values: dict[Cell, int] = {(r, c): table[r][c] for r in rows for c in columns}
    for r in rows:
        values[(r, None)] = sum(table[r][c] for c in columns)
    for c in columns:
        values[(None, c)] = sum(table[r][c] for r in rows)
    values[(None, None)] = sum(values[(r, None)] for r in rows)
    return values


def published(result: SuppressedTable) -> dict[Cell, int | None]:
    cells: list[Cell] = [(r, c) for r in (*result.rows, None) for c in (*result.columns, None)]
    return {cell: result.value(*cell) for cell in cells}


def lines(result: SuppressedTable) -> list[list[Cell]]:
    """Each row and each column, its total included, and the total row and column."""
    rows = [[(r, c) for c in (*result.columns, None)] for r in (*result.rows, None)]
    columns = [[(r, c) for r in (*result.rows, None)] for c in (*result.columns, None)]
    return rows + columns


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [row[:] for row in matrix]
    rank = 0
    width = len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def derivable(result: SuppressedTable) -> list[Cell]:
    """The suppressed cells whose value follows from the published ones by linear
    algebra alone: the unknowns are the suppressed interior cells; each published total
    is one equation on them; a cell (or total) is known when its coefficient vector is
    in the span of the equations."""
    shown = published(result)
    unknown = [(r, c) for r in result.rows for c in result.columns if shown[(r, c)] is None]

    def vector(cell: Cell) -> list[Fraction]:
        r, c = cell
        return [
            Fraction(int((r is None or r == u[0]) and (c is None or c == u[1]))) for u in unknown
        ]

    totals: list[Cell] = [
        *((r, None) for r in result.rows),
        *((None, c) for c in result.columns),
        (None, None),
    ]
    equations = [vector(t) for t in totals if shown[t] is not None]
    base = _rank(equations) if equations and unknown else 0
    found = []
    for cell in result.suppressed:
        v = vector(cell)
        if not any(v) or _rank([*equations, v]) == base:
            found.append(cell)
    return sorted(found, key=repr)


def completions(
    table: Mapping[str, Mapping[str, int]], result: SuppressedTable
) -> list[dict[Cell, int]]:
    """Every table (totals included) that matches all that is published, with each
    suppressed interior cell within one of its true value, counts >= 0, and every
    suppressed count that is not 0 still not 0 (a reader knows zeros are published)."""
    truth = full(table)
    shown = published(result)
    unknown = [(r, c) for r in result.rows for c in result.columns if shown[(r, c)] is None]
    choices = [range(max(0 if truth[u] == 0 else 1, truth[u] - 1), truth[u] + 2) for u in unknown]
    found = []
    for values in itertools.product(*choices):
        candidate = {(r, c): truth[(r, c)] for r in result.rows for c in result.columns} | dict(
            zip(unknown, values, strict=True)
        )
        whole = full({r: {c: candidate[(r, c)] for c in result.columns} for r in result.rows})
        if all(shown[k] is None or shown[k] == v for k, v in whole.items()) and all(
            whole[k] >= 1 for k in result.suppressed if truth[k] >= 1
        ):
            found.append(whole)
    return found


# -- examples -------------------------------------------------------------------------


@pytest.mark.cite("20(a)(1)")
def test_counts_of_one_to_ten_are_suppressed_and_zeros_are_published() -> None:
    result = suppress(
        {"a": {"x": 1, "y": 10, "z": 0, "w": 11}, "b": {"x": 30, "y": 40, "z": 0, "w": 50}}
    )

    assert {"a": {"x": None, "y": None, "z": 0, "w": 11}} == {"a": result.as_mapping()["a"]}
    assert frozenset({("a", "x"), ("a", "y")}) == result.primary


@pytest.mark.cite("20(a)(1)")
def test_a_lone_small_cell_in_a_row_takes_the_smallest_other_cell_of_the_row_with_it() -> None:
    table = {
        "a": {"x": 5, "y": 20, "z": 30},
        "b": {"x": 40, "y": 50, "z": 0},
        "c": {"x": 12, "y": 3, "z": 60},
    }
    result = suppress(table)

    assert frozenset({("a", "x"), ("c", "y")}) == result.primary
    assert frozenset({("a", "y"), ("c", "x")}) == result.complementary
    assert (55, 57, 220) == (
        result.value("a", None),
        result.value(None, "x"),
        result.value(None, None),
    )
    assert [] == derivable(result)


@pytest.mark.cite("20(a)(1)")
def test_a_small_total_is_suppressed_like_any_other_cell() -> None:
    result = suppress({"a": {"x": 2, "y": 3}, "b": {"x": 40, "y": 50}})

    assert result.value("a", None) is None
    assert ("a", None) in result.primary
    assert [] == derivable(result)


@pytest.mark.cite("20(a)(1)")
def test_a_table_of_one_small_cell_suppresses_every_total() -> None:
    result = suppress({"a": {"x": 5}})

    assert {("a", "x"), ("a", None), (None, "x"), (None, None)} == result.suppressed
    assert suppress({"a": {"x": 50}}).suppressed == frozenset()


@pytest.mark.cite("20(a)(1)")
def test_two_small_cells_in_every_line_are_not_enough_when_a_bridge_joins_them() -> None:
    # Without the complementary cell (r3, c0), the cells split into two cycles joined
    # by (r1, c2) alone, whose value then follows from the totals.
    table = {
        "r0": {"c0": 0, "c1": 12, "c2": 11, "c3": 30},
        "r1": {"c0": 5, "c1": 30, "c2": 2, "c3": 0},
        "r2": {"c0": 5, "c1": 0, "c2": 0, "c3": 0},
        "r3": {"c0": 30, "c1": 0, "c2": 2, "c3": 12},
    }
    result = suppress(table)
    without = SuppressedTable(
        rows=result.rows,
        columns=result.columns,
        cells=tuple(
            tuple(
                30 if (r, c) == ("r3", "c0") else v
                for c, v in zip(result.columns, line, strict=True)
            )
            for r, line in zip(result.rows, result.cells, strict=True)
        ),
        row_totals=result.row_totals,
        column_totals=result.column_totals,
        grand_total=result.grand_total,
        primary=result.primary,
        complementary=result.complementary - {("r3", "c0")},
    )

    assert ("r3", "c0") in result.complementary
    assert all(sum(cell in without.suppressed for cell in line) != 1 for line in lines(without))
    assert [("r1", "c2")] == derivable(without)
    assert [] == derivable(result)


@pytest.mark.cite("20(a)(1)")
def test_two_ones_are_not_hidden_by_each_other_when_a_reader_knows_zeros_are_published() -> None:
    # Suppressing only the two 1s (and their totals) leaves 82 - 80 = 2 for two cells
    # that are not 0: both would be 1. The 80 is suppressed too.
    table = {"r0": {"c0": 80}, "r1": {"c0": 1}, "r2": {"c0": 1}}
    result = suppress(table)

    assert ("r0", "c0") in result.complementary
    assert (82, 82) == (result.value(None, "c0"), result.value(None, None))
    found = completions(table, result)
    assert all(len({whole[cell] for whole in found}) >= 2 for cell in result.suppressed)


@pytest.mark.cite("20(a)(1)")
def test_the_published_data_does_not_say_which_cells_are_small() -> None:
    data = suppress({"a": {"x": 5, "y": 20}, "b": {"x": 30, "y": 40}}).to_data()

    assert {
        "rows": ["a", "b"],
        "columns": ["x", "y"],
        "cells": {"a": {"x": None, "y": None}, "b": {"x": None, "y": None}},
        "row_totals": {"a": 25, "b": 70},
        "column_totals": {"x": 35, "y": 60},
        "grand_total": 95,
    } == json.loads(json.dumps(data))


@pytest.mark.cite("20(a)(1)")
def test_other_thresholds_are_honoured() -> None:
    result = suppress({"a": {"x": 15, "y": 40}, "b": {"x": 30, "y": 40}}, high=20)

    assert ("a", "x") in result.primary


@pytest.mark.cite("20(a)(1)")
def test_an_empty_table_publishes_a_zero_total() -> None:
    result = suppress({})

    assert ((), (), 0, frozenset()) == (
        result.rows,
        result.columns,
        result.grand_total,
        result.suppressed,
    )


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize(
    "table",
    [
        {"a": {"x": 1}, "b": {"y": 1}},
        {"a": {"x": -1}},
        {"a": {"x": 1.0}},
        {"a": {"x": True}},
        {"a": {"x": "3"}},
        {"a": [1, 2]},
        [("a", {"x": 1})],
    ],
    ids=["ragged", "negative", "float", "bool", "string", "row-not-a-mapping", "not-a-mapping"],
)
def test_a_malformed_table_is_refused(table: object) -> None:
    with pytest.raises(InvalidInput):
        suppress(table)  # type: ignore[arg-type]  # malformed on purpose


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize(("low", "high"), [(0, 10), (5, 4), (1, -1)])
def test_zeros_cannot_be_made_sensitive_and_bounds_must_be_ordered(low: int, high: int) -> None:
    with pytest.raises(InvalidInput):
        suppress({"a": {"x": 3}}, low=low, high=high)


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize(
    ("n", "allowed"), [(0, False), (1, False), (10, False), (11, True), (500, True)]
)
def test_no_minimum_or_maximum_wage_is_published_for_a_group_under_eleven(
    n: int, allowed: bool
) -> None:
    assert allowed == min_max_allowed(n)
    assert (1 <= n <= 10) == is_small(n)


@pytest.mark.cite("20(a)(1)")
@pytest.mark.parametrize("n", [-1, True, 2.0])
def test_a_group_size_must_be_a_whole_number(n: object) -> None:
    with pytest.raises(InvalidInput):
        min_max_allowed(n)  # type: ignore[arg-type]  # malformed on purpose


# -- properties -----------------------------------------------------------------------

COUNTS = st.sampled_from([0, 0, 1, 2, 3, 5, 9, 10, 11, 12, 15, 20, 35, 80])


def tables(max_rows: int, max_columns: int) -> st.SearchStrategy[Table]:
    return st.tuples(st.integers(1, max_rows), st.integers(1, max_columns)).flatmap(
        lambda shape: st.lists(
            st.lists(COUNTS, min_size=shape[1], max_size=shape[1]),
            min_size=shape[0],
            max_size=shape[0],
        ).map(
            lambda grid: {
                f"r{i}": {f"c{j}": v for j, v in enumerate(line)} for i, line in enumerate(grid)
            }
        )
    )


@pytest.mark.cite("20(a)(1)")
@given(table=tables(6, 6))
def test_no_published_cell_is_small_and_no_suppressed_cell_is_derivable(table: Table) -> None:
    result = suppress(table)
    truth = full(table)
    shown = published(result)

    for cell, value in shown.items():
        assert value is None or not 1 <= value <= 10, cell
        assert value is None or value == truth[cell]
    assert {c for c, v in shown.items() if v is None} == set(result.suppressed)
    assert {c for c, v in truth.items() if 1 <= v <= 10} == set(result.primary)
    for line in lines(result):
        assert sum(cell in result.suppressed for cell in line) != 1, line
    assert [] == derivable(result)
    assert result == suppress(table)


@pytest.mark.cite("20(a)(1)")
@settings(max_examples=60)
@given(table=tables(3, 3))
@example(table={"r0": {"c0": 80}, "r1": {"c0": 1}, "r2": {"c0": 1}})
@example(table={"r0": {"c0": 1, "c1": 1}, "r1": {"c0": 1, "c1": 12}, "r2": {"c0": 80, "c1": 15}})
@example(
    table={
        "r0": {"c0": 1, "c1": 1, "c2": 11},
        "r1": {"c0": 9, "c1": 20, "c2": 35},
        "r2": {"c0": 12, "c1": 9, "c2": 15},
    }
)
def test_every_suppressed_cell_has_two_values_among_the_tables_that_match_the_publication(
    table: Table,
) -> None:
    result = suppress(table)
    found = completions(table, result)

    assert full(table) in found
    for cell in result.suppressed:
        assert len({whole[cell] for whole in found}) >= 2, cell
