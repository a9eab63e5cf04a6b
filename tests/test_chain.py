"""Hash chains and RFC 6962 Merkle roots."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choice_workflow.events.chain import GENESIS, link, merkle_root

DATA = json.loads((Path(__file__).parent / "data" / "rfc6962-roots.json").read_text())


@pytest.mark.parametrize("size", range(len(DATA["root_by_size"])))
def test_the_merkle_root_matches_the_rfc_6962_known_answers(size: int) -> None:
    leaves = [bytes.fromhex(h) for h in DATA["leaf_inputs_hex"][:size]]
    assert DATA["root_by_size"][size] == merkle_root(leaves).hex()


def test_a_link_hashes_the_previous_hash_and_the_stored_bytes() -> None:
    record = b'{"type":"Applied"}'
    expected = hashlib.sha256(bytes(32) + record).hexdigest()
    assert expected == link(GENESIS, record)
    assert hashlib.sha256(bytes.fromhex(expected) + record).hexdigest() == link(expected, record)


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_changing_any_leaf_changes_the_root(leaves: list[bytes], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(leaves) - 1))
    changed = [*leaves]
    changed[i] = changed[i] + b"x"
    assert merkle_root(leaves) != merkle_root(changed)
