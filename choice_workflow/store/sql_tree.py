"""The log's Merkle tree in a SQL store: complete subtree hashes in the tree table.

The tree grows from the log when a seal (or a proof) asks for it, under the seal's
lock, so that it always covers a prefix of the log in position order: the events after
its last leaf are read in pages, hashed, and their new complete subtrees inserted in
batches. A proof reads the O(log n) nodes it names in one statement.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from choice_workflow.events.tree import NodeId, event_leaf, grow, root_plan
from choice_workflow.store.schema import Tables

PAGE = 20_000


def tail(conn: Connection, tables: Tables) -> tuple[int, int]:
    """(leaves, position of the last leaf's event; 0 for an empty tree)."""
    t = tables.tree
    row = conn.execute(
        sa.select(t.c.idx, t.c.position).where(t.c.level == 0).order_by(t.c.idx.desc()).limit(1)
    ).first()
    return (0, 0) if row is None else (int(row.idx) + 1, int(row.position))


def nodes(conn: Connection, tables: Tables, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
    """The stored hashes of the nodes ``ids`` (one statement, compiled once per count)."""
    if not ids:
        return {}
    tree = tables.tree
    query = _nodes_query(tree.name, tree.schema, len(ids))
    params: dict[str, int] = {}
    for k, (level, idx) in enumerate(ids):
        params[f"l{k}"], params[f"i{k}"] = int(level), int(idx)
    return {(int(level), int(idx)): bytes(h) for level, idx, h in conn.execute(query, params)}


@functools.lru_cache(maxsize=256)
def _nodes_query(name: str, schema: str | None, count: int) -> sa.Select[Any]:
    """``level = :l0 AND idx = :i0 OR ...`` for ``count`` nodes: one statement per count,
    so that SQLAlchemy compiles it once (a proof names at most 2 log2 n + 2 nodes). An OR of
    primary-key comparisons, since SQLite scans the table for a row-value ``IN``."""
    tree = sa.table(name, sa.column("level"), sa.column("idx"), sa.column("hash"), schema=schema)
    level, idx = tree.c.level, tree.c.idx
    wanted = (
        sa.and_(level == sa.bindparam(f"l{k}"), idx == sa.bindparam(f"i{k}")) for k in range(count)
    )
    return sa.select(level, idx, tree.c.hash).where(sa.or_(*wanted))


def index_of(conn: Connection, tables: Tables, position: int) -> int | None:
    """The leaf index of the event at ``position`` (None: not in the tree)."""
    found = conn.execute(
        _leaf_query(tables.tree.name, tables.tree.schema, "position"), {"k": position}
    )
    return None if (value := found.scalar()) is None else int(value)


def position_of(conn: Connection, tables: Tables, index: int) -> int | None:
    """The position of the event of leaf ``index`` (None: no such leaf)."""
    found = conn.execute(_leaf_query(tables.tree.name, tables.tree.schema, "idx"), {"k": index})
    return None if (value := found.scalar()) is None else int(value)


@functools.lru_cache(maxsize=64)
def _leaf_query(name: str, schema: str | None, by: str) -> sa.Select[Any]:
    """A leaf's index by its event's position, or its position by its index (built once:
    a proof runs one of them)."""
    tree = sa.table(
        name, sa.column("level"), sa.column("idx"), sa.column("position"), schema=schema
    )
    other = tree.c.idx if by == "position" else tree.c.position
    return sa.select(other).where(tree.c.level == 0, tree.c[by] == sa.bindparam("k"))


def _records(conn: Connection, tables: Tables, after: int) -> Iterator[list[tuple[int, bytes]]]:
    e = tables.events.c
    while True:
        rows = conn.execute(
            sa.select(e.position, e.record)
            .where(e.position > after)
            .order_by(e.position)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        yield [(int(r.position), bytes(r.record)) for r in rows]
        after = int(rows[-1].position)


def extend(conn: Connection, tables: Tables) -> int:
    """Add every event after the tree's last leaf; returns the tree's size."""
    size, last = tail(conn, tables)
    for page in _records(conn, tables, last):
        plan = root_plan(size)
        found = nodes(conn, tables, plan)
        added = grow(size, [found[n] for n in plan], (event_leaf(r) for _, r in page))
        positions = {size + k: p for k, (p, _) in enumerate(page)}
        conn.execute(
            sa.insert(tables.tree),
            [
                {"level": level, "idx": idx, "hash": h,
                 "position": positions[idx] if level == 0 else None}
                for level, idx, h in added
            ],
        )  # fmt: skip
        size += len(page)
    return size
