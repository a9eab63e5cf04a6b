"""Verify's side of the log's tree: every seal's checkpoint against the tree of the
log before it, and its signature against the Department's keys.

As verify reads the log it keeps the root of the tree of the events so far in
O(log n) memory (:class:`~choice_workflow.events.tree.Frontier`). A seal of schema
version 2 records the tree's size and root and the checkpoint note (C2SP
tlog-checkpoint, signed or not): the three must say the same tree, the tree of every
event before the seal. Given verifier keys, the note must carry a signature of one of
them that verifies; without keys a signature is not checked, and the report says
which seals are signed and by whom.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from choice_workflow.events import Event
from choice_workflow.events.checkpoint import Checkpoint, Verifier, open_note
from choice_workflow.events.tree import Frontier, event_leaf

_HEX64 = re.compile(r"[0-9a-f]{64}")


@attrs.frozen
class SealCheckpoint:
    """One seal's checkpoint as verify read it."""

    position: int
    tree_size: int
    root: str
    """The tree's root (hex)."""
    origin: str
    signatures: int
    """How many signature lines the note carries."""
    signed_by: tuple[str, ...]
    """The names of the given keys whose signatures verify (empty without keys)."""

    @property
    def signed(self) -> bool:
        """Whether the note carries any signature."""
        return self.signatures > 0

    def to_data(self) -> dict[str, object]:
        """JSON-ready data."""
        return {
            "position": self.position, "tree_size": self.tree_size, "root": self.root,
            "origin": self.origin, "signatures": self.signatures,
            "signed_by": list(self.signed_by),
        }  # fmt: skip


class Checkpoints:
    """The tree of the log so far and the checkpoints of its seals."""

    def __init__(self, keys: Iterable[Verifier] = ()) -> None:
        self.keys = tuple(keys)
        self.tree = Frontier()
        self._pending: bytes | None = None
        self.seen: list[SealCheckpoint] = []

    def leaf(self, record: bytes) -> None:
        """The next event of the log (its stored record). The tree keeps every event
        before the last one read: a seal's checkpoint is of the events before it."""
        if self._pending is not None:
            self.tree.append(event_leaf(self._pending))
        self._pending = record

    def problems(self, position: int, event: Event, *, explained: bool = False) -> list[str]:
        """What is wrong with a seal's checkpoint (its tree, its text, its signature).
        ``explained``: the log has shown a break before the seal, which its tree then
        follows from; the tree is not compared again (one finding per break)."""
        p = event.payload
        size, root, note = p.get("tree_size"), p.get("tree_root"), p.get("checkpoint")
        if size is None and root is None and note is None:
            return []  # a seal written before the log's tree
        if not (type(size) is int and isinstance(root, str) and _HEX64.fullmatch(root)
                and isinstance(note, str)):  # fmt: skip
            return [
                "the seal's checkpoint is not a tree size (a whole number), a root (64 "
                "lowercase hex digits) and a note (text)"
            ]
        found = []
        actual = (self.tree.size, self.tree.root().hex())
        if (size, root) != actual and not explained:
            found.append(
                f"the seal's checkpoint is of {size} events with root {root[:16]}..., the "
                f"log before it of {actual[0]} with root {actual[1][:16]}..."
            )
        opened = open_note(note, self.keys)
        try:
            checkpoint = Checkpoint.parse(opened.text)
        except ValueError as exc:
            return [*found, f"the seal's checkpoint note is not a checkpoint: {exc}"]
        if (checkpoint.size, checkpoint.root.hex()) != (size, root):
            found.append("the seal's checkpoint note says another tree than the seal")
        signatures = note.count("\n\u2014 ") if "\n\n" in note else 0
        if self.keys and opened.problem is not None:
            found.append(f"the seal's checkpoint is not signed by a key given: {opened.problem}")
        self.seen.append(
            SealCheckpoint(position, size, root, checkpoint.origin, signatures, opened.signed_by)
        )
        return found
