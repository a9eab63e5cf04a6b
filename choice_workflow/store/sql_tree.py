"""The log's Merkle tree in a SQL store: complete subtree hashes in the tree table.

The tree grows from the log when a seal (or a proof) asks for it, under the seal's
lock, so that it always covers a prefix of the log in position order: the events after
its last leaf are read in pages, hashed, and their new complete subtrees inserted in
batches. A proof reads the O(log n) nodes it names in one statement.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

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
    """The stored hashes of the nodes ``ids`` (one statement)."""
    if not ids:
        return {}
    t = tables.tree
    wanted = sa.or_(*(sa.and_(t.c.level == level, t.c.idx == idx) for level, idx in ids))
    rows = conn.execute(sa.select(t.c.level, t.c.idx, t.c.hash).where(wanted))
    return {(int(r.level), int(r.idx)): bytes(r.hash) for r in rows}


def index_of(conn: Connection, tables: Tables, position: int) -> int | None:
    """The leaf index of the event at ``position`` (None: not in the tree)."""
    t = tables.tree
    found = conn.execute(
        sa.select(t.c.idx).where(t.c.level == 0, t.c.position == position)
    ).scalar()
    return None if found is None else int(found)


def position_of(conn: Connection, tables: Tables, index: int) -> int | None:
    """The position of the event of leaf ``index`` (None: no such leaf)."""
    t = tables.tree
    found = conn.execute(sa.select(t.c.position).where(t.c.level == 0, t.c.idx == index)).scalar()
    return None if found is None else int(found)


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
