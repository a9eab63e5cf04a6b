"""One Merkle tree over the whole log (RFC 6962 section 2.1): proofs and their checks.

Leaf ``i`` (0-based) is the ``i``-th event of the log in position order; its leaf input
is the event's stored record (the canonical bytes its stream's chain hashes), so its
leaf hash is ``sha256(0x00 || record)`` (docs/audit-format.md, "The log's tree").

A store keeps the tree's *complete subtrees*: node ``(level, index)`` is the hash of
the ``2**level`` leaves from ``index * 2**level``. Every hash a proof needs is the hash
of a range of leaves, which is the fold of at most ``2 log2 n`` such nodes
(:func:`cover`), so a proof is answered from O(log n) stored nodes read in one query:
:func:`inclusion_plan` and :func:`consistency_plan` name them, :func:`proof_from`
folds them. The checks (:func:`inclusion_problem`, :func:`consistency_problem`) follow
transparency-dev/merkle's verifier and need nothing but ``hashlib``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from choice_workflow.events.chain import leaf_hash, node_hash

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""RFC 6962: the hash of the empty tree."""

NodeId = tuple[int, int]
"""``(level, index)``: the complete subtree of leaves ``[index << level, (index + 1) << level)``."""

Plan = tuple[tuple[NodeId, ...], ...]
"""Each proof hash as the nodes whose fold (:func:`fold`) is that hash, in order."""


def event_leaf(record: bytes) -> bytes:
    """The leaf hash of an event whose stored record is ``record``."""
    return leaf_hash(record)


def cover(begin: int, end: int) -> tuple[NodeId, ...]:
    """The complete subtrees that cover the leaves ``[begin, end)``, left to right: each
    the largest one that starts where the one before ends."""
    if not 0 <= begin < end:
        raise ValueError(f"no leaves in [{begin}, {end})")
    nodes = []
    while begin < end:
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length() - 1
        while (1 << level) > end - begin:
            level -= 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return tuple(nodes)


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from the hashes of its :func:`cover`: RFC 6962's split of a
    range is its largest complete subtree on the left and the rest on the right."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _split(size: int) -> int:
    """The largest power of two below ``size`` (RFC 6962's ``k``)."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_plan(index: int, size: int) -> Plan:
    """RFC 6962 ``PATH(index, D[size])``, as the nodes of each of its hashes."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    plan: list[tuple[NodeId, ...]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            plan.append(cover(lo + k, hi))
            hi = lo + k
        else:
            plan.append(cover(lo, lo + k))
            lo += k
    return tuple(reversed(plan))


def consistency_plan(old_size: int, new_size: int) -> Plan:
    """RFC 6962 ``PROOF(old_size, D[new_size])``, as the nodes of each of its hashes."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
    plan: list[tuple[NodeId, ...]] = []
    lo, hi, whole = 0, new_size, True
    while old_size != hi:
        k = _split(hi - lo)
        if old_size <= lo + k:
            plan.append(cover(lo + k, hi))
            hi = lo + k
        else:
            plan.append(cover(lo, lo + k))
            lo, whole = lo + k, False
    if not whole:
        plan.append(cover(lo, hi))
    return tuple(reversed(plan))


def root_plan(size: int) -> tuple[NodeId, ...]:
    """The nodes whose fold is the root of a tree of ``size`` leaves (none when empty)."""
    return cover(0, size) if size else ()


def needed(plan: Plan) -> set[NodeId]:
    """Every node a plan reads."""
    return {node for nodes in plan for node in nodes}


def proof_from(plan: Plan, nodes: Mapping[NodeId, bytes]) -> tuple[bytes, ...]:
    """The proof of ``plan`` from the nodes read for it."""
    return tuple(fold([nodes[n] for n in part]) for part in plan)


def root_from(size: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """The root of a tree of ``size`` leaves from its :func:`root_plan` nodes."""
    plan = root_plan(size)
    return fold([nodes[n] for n in plan]) if plan else EMPTY_ROOT


def grow(
    size: int, peaks: Sequence[bytes], leaves: Iterable[bytes]
) -> list[tuple[int, int, bytes]]:
    """The nodes to store when leaves (their hashes) are appended to a tree of ``size``
    whose :func:`root_plan` nodes hash to ``peaks``: every new complete subtree, as
    ``(level, index, hash)``, the new leaves included."""
    stack = [(level, index, h) for (level, index), h in zip(root_plan(size), peaks, strict=True)]
    added: list[tuple[int, int, bytes]] = []
    for h in leaves:
        node = (0, size, h)
        size += 1
        added.append(node)
        while stack and stack[-1][0] == node[0]:
            level, index, left = stack.pop()
            node = (level + 1, index >> 1, node_hash(left, node[2]))
            added.append(node)
        stack.append(node)
    return added


class Frontier:
    """The root of a growing tree, kept in O(log n) memory: the hashes of the complete
    subtrees the leaves so far fill (a verifier's view as it reads the log)."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[tuple[int, bytes]] = []

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash."""
        level, h = 0, leaf
        while self._peaks and self._peaks[-1][0] == level:
            h = node_hash(self._peaks.pop()[1], h)
            level += 1
        self._peaks.append((level, h))
        self.size += 1

    def root(self) -> bytes:
        """The root of the tree of the leaves so far."""
        if not self._peaks:
            return EMPTY_ROOT
        return fold([h for _, h in self._peaks])


# -- checks (transparency-dev/merkle proof/verify.go) --------------------------------------


def _decompose(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    return inner, bin(index >> inner).count("1")


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def inclusion_root(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` gives for ``leaf`` at ``index`` of a tree of ``size``
    (raises ValueError when the shape is wrong)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    if len(leaf) != HASH_SIZE:
        raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, not {len(leaf)}")
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        raise ValueError(f"the proof has {len(proof)} hashes, not {inner + border}")
    if any(len(h) != HASH_SIZE for h in proof):
        raise ValueError(f"a proof hash has {HASH_SIZE} bytes")
    return _chain_border_right(_chain_inner(leaf, proof[:inner], index), proof[inner:])


def inclusion_problem(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> str | None:
    """Why ``proof`` does not show ``leaf`` at ``index`` of the tree of ``size`` whose
    root is ``root`` (None: it does)."""
    if len(root) != HASH_SIZE:
        return f"a root has {HASH_SIZE} bytes, not {len(root)}"
    try:
        got = inclusion_root(index, size, leaf, proof)
    except ValueError as exc:
        return str(exc)
    return None if got == root else "the proof leads to another root"


def consistency_problem(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> str | None:
    """Why ``proof`` does not show that the tree of ``new_size`` (root ``new_root``)
    extends the tree of ``old_size`` (root ``old_root``) (None: it does)."""
    if old_size <= 0:
        return "a consistency proof from the empty tree proves nothing"
    if new_size < old_size:
        return f"a tree of {new_size} cannot extend one of {old_size}"
    if old_size == new_size:
        if proof:
            return "two trees of one size need an empty proof"
        return None if old_root == new_root else "two trees of one size with different roots"
    if not proof:
        return "the proof is empty"
    if any(len(h) != HASH_SIZE for h in proof) or len(old_root) != HASH_SIZE:
        return f"every hash has {HASH_SIZE} bytes"
    inner, border = _decompose(old_size - 1, new_size)
    shift = (old_size & -old_size).bit_length() - 1
    inner -= shift
    seed, rest = proof[0], list(proof[1:])
    if old_size == 1 << shift:  # the old tree is one complete subtree: its root
        seed, rest = old_root, list(proof)
    if len(rest) != inner + border:
        return f"the proof has {len(proof)} hashes, not {len(proof) - len(rest) + inner + border}"
    mask = (old_size - 1) >> shift
    first = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    if first != old_root:
        return "the proof does not lead to the older root"
    second = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    if second != new_root:
        return "the proof does not lead to the newer root"
    return None


# -- what a store answers ------------------------------------------------------------------


def _hex(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


@attrs.frozen
class TreeHead:
    """The log's tree at ``size`` leaves: its root."""

    size: int
    root: bytes

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data (the root in hex)."""
        return {"tree_size": self.size, "root": self.root.hex()}


@attrs.frozen
class InclusionProof:
    """RFC 6962: that the event at global ``position`` is leaf ``index`` of the tree of
    ``tree_size`` leaves (``hashes``: the audit path, nearest the leaf first)."""

    position: int
    index: int
    tree_size: int
    hashes: tuple[bytes, ...]

    def problem(self, record: bytes, root: bytes) -> str | None:
        """Why this proof does not show the event whose stored record is ``record`` in
        the tree whose root is ``root`` (None: it does)."""
        return inclusion_problem(self.index, self.tree_size, event_leaf(record), self.hashes, root)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data (hashes in hex)."""
        return {
            "position": self.position, "leaf_index": self.index, "tree_size": self.tree_size,
            "hashes": _hex(self.hashes),
        }  # fmt: skip

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> InclusionProof:
        """The inverse of :meth:`to_data` (ValueError, KeyError, TypeError when malformed)."""
        return cls(
            _count(data["position"]), _count(data["leaf_index"]), _count(data["tree_size"]),
            tuple(_hash(h) for h in data["hashes"]),
        )  # fmt: skip


@attrs.frozen
class ConsistencyProof:
    """RFC 6962: that the tree of ``new_size`` leaves extends the tree of ``old_size``."""

    old_size: int
    new_size: int
    hashes: tuple[bytes, ...]

    def problem(self, old_root: bytes, new_root: bytes) -> str | None:
        """Why this proof does not show the newer root extending the older (None: it does)."""
        return consistency_problem(self.old_size, self.new_size, old_root, new_root, self.hashes)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data (hashes in hex)."""
        return {"old_size": self.old_size, "new_size": self.new_size, "hashes": _hex(self.hashes)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ConsistencyProof:
        """The inverse of :meth:`to_data` (ValueError, KeyError, TypeError when malformed)."""
        return cls(
            _count(data["old_size"]), _count(data["new_size"]),
            tuple(_hash(h) for h in data["hashes"]),
        )  # fmt: skip


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a whole number")
    return value


def _hash(value: Any) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * HASH_SIZE or value != value.lower():
        raise ValueError(f"{value!r} is not {HASH_SIZE} bytes in lowercase hex")
    return bytes.fromhex(value)
