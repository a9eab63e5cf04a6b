"""The proofs side of :class:`~choice_workflow.service.program.Program`: the log's
Merkle tree (RFC 6962) and its inclusion and consistency proofs.

The store grows the tree from the log when a proof needs leaves it does not hold yet,
under the seal's lock (so the tree always covers a prefix of the log in position
order); a proof then reads the O(log n) nodes it needs in one query.
"""

from __future__ import annotations

from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.events import SEAL_STREAM
from choice_workflow.events.tree import (
    ConsistencyProof,
    InclusionProof,
    TreeHead,
    consistency_plan,
    inclusion_plan,
    needed,
    proof_from,
    root_from,
    root_plan,
)
from choice_workflow.store.base import Store, Transaction

_CITE: tuple[str, ...] = ()


def _refuse(reason: str, hint: str, field: str) -> InvalidInput:
    return InvalidInput(problems=[Problem(_CITE, reason, hint, field)])


def _size(tx: Transaction, wanted: int | None) -> int:
    """The tree's size, grown from the log when ``wanted`` (None: every event) needs it."""
    if wanted is not None and wanted > 0 and tx.tree_position(wanted - 1) is not None:
        return wanted
    if wanted == 0:
        return 0
    tx.lock_for_seal()
    size = tx.extend_tree()
    if wanted is None:
        return size
    if wanted > size:
        raise _refuse(
            f"the log holds {size} events, not {wanted}",
            f"Ask for a tree of at most {size} leaves.",
            "tree_size",
        )
    return wanted


class Proofs:
    """RFC 6962 proofs over the log (docs/audit-format.md, "The log's tree")."""

    _store: Store

    def checkpoint(self) -> str | None:
        """The latest seal's checkpoint (a C2SP tlog-checkpoint note, signed or not);
        None when no seal has recorded one."""
        with self._store.transaction() as tx:
            seals = tx.stream(SEAL_STREAM)
        found = [e.payload.get("checkpoint") for e in seals if e.payload.get("checkpoint")]
        return str(found[-1]) if found else None

    def tree_head(self, size: int | None = None) -> TreeHead:
        """The root of the log's tree at ``size`` leaves (None: every event so far)."""
        with self._store.transaction() as tx:
            n = _size(tx, size)
            plan = root_plan(n)
            return TreeHead(n, root_from(n, tx.tree_nodes(plan)))

    def prove_inclusion(self, position: int, tree_size: int | None = None) -> InclusionProof:
        """That the event at global ``position`` is in the tree of ``tree_size`` leaves
        (None: every event so far): its leaf index and audit path."""
        with self._store.transaction() as tx:
            n = _size(tx, tree_size)
            index = tx.tree_leaf(position)
            if index is None:
                _size(tx, None)
                index = tx.tree_leaf(position)
            if index is None or index >= n:
                raise _refuse(
                    f"no event at position {position} in a tree of {n} leaves",
                    "Give the position of an event recorded before the tree's size.",
                    "position",
                )
            plan = inclusion_plan(index, n)
            return InclusionProof(position, index, n, proof_from(plan, tx.tree_nodes(needed(plan))))

    def prove_consistency(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """That the tree of ``new_size`` leaves (None: every event so far) extends the
        tree of ``old_size``."""
        with self._store.transaction() as tx:
            n = _size(tx, new_size)
            if not 0 < old_size <= n:
                raise _refuse(
                    f"no consistency proof from {old_size} to {n} leaves",
                    f"Give an older size from 1 to {n}.",
                    "old_size",
                )
            if old_size == n:
                return ConsistencyProof(old_size, n, ())
            plan = consistency_plan(old_size, n)
            return ConsistencyProof(old_size, n, proof_from(plan, tx.tree_nodes(needed(plan))))


class LogProofs(Proofs):
    """The checkpoint and proofs of ``store``'s log without a :class:`Program`: what an
    auditor's or a monitor's tool reads (nothing is recorded; the tree's nodes are grown
    from the log where a proof needs them)."""

    def __init__(self, store: Store) -> None:
        self._store = store
