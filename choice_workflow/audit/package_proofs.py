"""A records package's proofs: that one grant's events belong to the signed log.

:func:`package_proofs` writes ``proofs.json`` into a package: the latest checkpoint
(the C2SP note, as the seal recorded it) and an RFC 6962 inclusion proof of each of
the package's events against it; events recorded after that checkpoint are listed as
such. :func:`package_problems` checks a package alone, with the Department's verifier
keys: every file against the manifest, the checkpoint's signature, and each event's
record against its proof and the checkpoint's root; no other grantee's data is needed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from choice_workflow.audit.jsonl import log_items
from choice_workflow.events.checkpoint import Checkpoint, Verifier, open_note
from choice_workflow.events.tree import InclusionProof

if TYPE_CHECKING:
    from choice_workflow.service.program import Program
    from choice_workflow.store.base import StoredEvent


def package_proofs(program: Program, events: Sequence[StoredEvent]) -> dict[str, Any]:
    """The content of ``proofs.json`` for a package of ``events``."""
    note = program.checkpoint()
    if note is None:
        return {"checkpoint": None, "tree_size": 0, "proofs": [],
                "after_checkpoint": [s.position for s in events]}  # fmt: skip
    size = Checkpoint.parse(open_note(note, ()).text).size
    proofs, after = [], []
    for stored in events:
        index = None
        with program.store.transaction() as tx:
            index = tx.tree_leaf(stored.position)
        if index is not None and index < size:
            proofs.append(program.prove_inclusion(stored.position, size).to_data())
        else:
            after.append(stored.position)
    return {"checkpoint": note, "tree_size": size, "proofs": proofs, "after_checkpoint": after}


def package_problems(directory: str | Path, keys: Iterable[Verifier]) -> list[str]:
    """Why the package in ``directory`` does not show its events in the log the
    Department signed (empty: it does)."""
    out = Path(directory)
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        listed: dict[str, str] = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return ["the package has no readable manifest.json"]
    found = []
    for name, digest in sorted(listed.items()):
        try:
            data = (out / Path(name).name).read_bytes()
        except OSError:
            found.append(f"{name} is missing")
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            found.append(f"{name} is not the file the manifest lists")
    if "proofs.json" not in listed:
        return [*found, "the package carries no proofs (exported before the log's tree)"]
    try:
        proofs = json.loads((out / "proofs.json").read_text(encoding="utf-8"))
        note = proofs["checkpoint"]
        by_position = {
            p.position: p for p in (InclusionProof.from_data(d) for d in proofs["proofs"])
        }
        after = {int(p) for p in proofs["after_checkpoint"]}
    except (OSError, ValueError, KeyError, TypeError):
        return [*found, "proofs.json is not readable"]
    if not isinstance(note, str):
        return [*found, "no seal had recorded a checkpoint when the package was made"]
    opened = open_note(note, tuple(keys))
    if opened.problem is not None:
        found.append(f"the checkpoint: {opened.problem}")
    try:
        checkpoint = Checkpoint.parse(opened.text)
    except ValueError as exc:
        return [*found, f"the checkpoint: {exc}"]
    proven = 0
    for item in log_items(out / "events.jsonl"):
        proof = by_position.get(item.position)
        if proof is None:
            if item.position not in after or (by_position and item.position < max(by_position)):
                found.append(f"the event at position {item.position} has no proof")
            continue
        if proof.tree_size != checkpoint.size:
            found.append(f"the proof of position {item.position} is of another tree")
            continue
        problem = proof.problem(item.record, checkpoint.root)
        if problem is not None:
            found.append(f"the event at position {item.position}: {problem}")
        proven += 1
    if proven != len(by_position):
        found.append("proofs.json proves events the package does not hold")
    return found
