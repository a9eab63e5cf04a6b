"""Checkpoints against each other: does a newer one extend an older one of the same log?

What Certificate Transparency monitors do for their logs (RFC 9162 section 8.3), for the
Department's checkpoints (docs/audit-format.md, "The log's tree and its checkpoints"):
:func:`extension_problem` says why a newer checkpoint is not the older one's log grown
(another origin, fewer events, one size with two roots, a consistency proof that fails);
:class:`Monitor` keeps the last checkpoint it trusted in a state file (trusting the
first one it sees, as a client of immudb or a CT monitor does) and moves on to a newer
one only when a consistency proof shows that it extends it. A checkpoint that does not
is a fork: a split view (two versions of the log shown to different readers) or a
rewritten history. The state file is not changed then.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.events.checkpoint import Checkpoint, Verifier, open_note
from choice_workflow.events.tree import ConsistencyProof
from choice_workflow.store.files import write_whole

Prove = Callable[[int, int], ConsistencyProof]
"""Where consistency proofs come from: ``prove(old_size, new_size)`` (a log's store)."""


@attrs.frozen
class Published:
    """A checkpoint note read back: the checkpoint, the given keys whose signatures
    verify, and why it is not to be trusted (None: it is)."""

    note: str
    checkpoint: Checkpoint
    signed_by: tuple[str, ...]
    problem: str | None

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "origin": self.checkpoint.origin,
            "tree_size": self.checkpoint.size,
            "root": self.checkpoint.root.hex(),
            "signed_by": list(self.signed_by),
            "problem": self.problem,
        }


def _refused(reason: str, hint: str, field: str) -> InvalidInput:
    return InvalidInput(problems=[Problem((), reason, hint, field)])


def read_note(note: str, keys: Iterable[Verifier], *, what: str = "checkpoint") -> Published:
    """A checkpoint note (signed or not). Given ``keys``, its signature must be one of
    theirs (else :attr:`Published.problem` says why); without keys its signatures are
    not checked. :class:`~choice_workflow.errors.InvalidInput` when it is no checkpoint."""
    keys = tuple(keys)
    opened = open_note(note, keys)
    try:
        checkpoint = Checkpoint.parse(opened.text)
    except ValueError as exc:
        raise _refused(f"the {what} is not a checkpoint note: {exc}",
                       "Give a checkpoint as a seal wrote it (choice-workflow checkpoint).",
                       "checkpoint") from None  # fmt: skip
    problem = opened.problem if keys else None
    return Published(note, checkpoint, opened.signed_by, problem)


def extension_problem(old: Checkpoint, new: Checkpoint, prove: Prove) -> str | None:
    """Why ``new`` is not ``old``'s log grown (None: it is), with the consistency proof
    from ``prove`` (a fork of the log when it fails)."""
    if old.origin != new.origin:
        return f"the checkpoints are of two logs ({old.origin!r} and {new.origin!r})"
    if new.size < old.size:
        return (
            f"the newer checkpoint has {new.size} events, fewer than the {old.size} of "
            "the one trusted: the log was cut or rewritten"
        )
    if new.size == old.size:
        if new.root == old.root:
            return None
        return (
            f"two checkpoints of {new.size} events with different roots: a split view "
            "or a rewritten history"
        )
    if old.size == 0:
        return None  # every tree extends the empty one
    try:
        proof = prove(old.size, new.size)
    except InvalidInput as exc:
        return f"the log gives no consistency proof from {old.size} to {new.size} events: {exc}"
    problem = proof.problem(old.root, new.root)
    if problem is None:
        return None
    return (
        f"the log's consistency proof from {old.size} to {new.size} events fails "
        f"({problem}): a fork (a split view or a rewritten history)"
    )


@attrs.frozen
class Checked:
    """What the monitor made of a checkpoint: whether it is trusted now, whether it
    was the first one seen, and the finding when it is refused."""

    published: Published
    trusted: Published | None
    """The checkpoint trusted before (None: none, the first one is trusted)."""
    problem: str | None

    @property
    def first(self) -> bool:
        """Whether this checkpoint is trusted because it is the first one seen."""
        return self.trusted is None and self.problem is None

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "checkpoint": self.published.to_data(),
            "trusted_before": None if self.trusted is None else self.trusted.to_data(),
            "first_use": self.first,
            "ok": self.problem is None,
            "problem": self.problem,
        }


class Monitor:
    """The last checkpoint trusted, kept in the JSON file ``state`` (written whole,
    by a rename, only when a newer checkpoint is trusted)."""

    def __init__(self, state: Path, keys: Iterable[Verifier] = ()) -> None:
        self.state = state
        self.keys = tuple(keys)

    def trusted(self) -> Published | None:
        """The checkpoint trusted so far (None: no state yet)."""
        try:
            text = self.state.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise _refused(f"cannot read the monitor's state {self.state}: {exc}",
                           "Give a readable state file, or a new path.", "state") from None  # fmt: skip
        try:
            data = json.loads(text)
            note = data["checkpoint"]
            if not isinstance(note, str):
                raise TypeError("checkpoint")
            return read_note(note, self.keys, what="state's checkpoint")
        except (ValueError, KeyError, TypeError, InvalidInput):
            raise _refused(f"the monitor's state {self.state} is not one this monitor wrote",
                           "Restore it from a backup, or start a new one (trust on first "
                           "use again).", "state") from None  # fmt: skip

    def check(self, note: str, prove: Prove) -> Checked:
        """Check the checkpoint ``note`` against the one trusted, and trust it when it
        extends it (or when it is the first one); the state is written then."""
        published = read_note(note, self.keys)
        trusted = self.trusted()
        problem = published.problem
        if problem is None and trusted is not None:
            problem = extension_problem(trusted.checkpoint, published.checkpoint, prove)
        if problem is None and (trusted is None or published.checkpoint != trusted.checkpoint):
            self._write(published)
        return Checked(published, trusted, problem)

    def _write(self, published: Published) -> None:
        data = {"checkpoint": published.note, **published.to_data()}
        del data["problem"]
        write_whole(self.state, json.dumps(data, indent=2, sort_keys=True) + "\n")
