"""The log's Merkle tree (RFC 6962 section 2.1): known answers from
tests/data/rfc6962-proofs.json (sources in rfc6962-proofs.md beside it): every expected
proof produced, every bad probe refused; then random trees: every proof verifies, and
fails after any one-hash change, at a wrong index or for a wrong size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from choice_workflow.events.chain import leaf_hash, merkle_root
from choice_workflow.events.tree import (
    EMPTY_ROOT,
    Frontier,
    NodeId,
    consistency_plan,
    consistency_problem,
    cover,
    grow,
    inclusion_plan,
    inclusion_problem,
    needed,
    proof_from,
    root_from,
)

DATA = Path(__file__).resolve().parent / "data" / "rfc6962-proofs.json"  # with its sources (.md)
VECTORS: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaf_inputs_hex"]]


def _nodes(inputs: list[bytes]) -> dict[NodeId, bytes]:
    return {(level, index): h for level, index, h in grow(0, [], map(leaf_hash, inputs))}


def _hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


@pytest.mark.parametrize(
    "case", VECTORS["inclusion"] + VECTORS["rfc6962_example_inclusion"],
    ids=lambda c: f"{c['leaf_index']}-of-{c['tree_size']}",
)  # fmt: skip
def test_every_known_inclusion_proof_is_produced_and_verifies(case: dict[str, Any]) -> None:
    nodes = _nodes(LEAVES[: case["tree_size"]])
    proof = proof_from(inclusion_plan(case["leaf_index"], case["tree_size"]), nodes)
    assert case["proof_hex"] == [h.hex() for h in proof]
    assert case["root_hex"] == root_from(case["tree_size"], nodes).hex()
    assert leaf_hash(LEAVES[case["leaf_index"]]).hex() == case["leaf_hash_hex"]
    root, leaf = bytes.fromhex(case["root_hex"]), bytes.fromhex(case["leaf_hash_hex"])
    assert inclusion_problem(case["leaf_index"], case["tree_size"], leaf, proof, root) is None


@pytest.mark.parametrize(
    "case", VECTORS["consistency"] + VECTORS["rfc6962_example_consistency"],
    ids=lambda c: f"{c['old_size']}-to-{c['new_size']}",
)  # fmt: skip
def test_every_known_consistency_proof_is_produced_and_verifies(case: dict[str, Any]) -> None:
    old, new = case["old_size"], case["new_size"]
    nodes = _nodes(LEAVES[:new])
    proof = () if old == new else proof_from(consistency_plan(old, new), nodes)
    assert case["proof_hex"] == [h.hex() for h in proof]
    roots = bytes.fromhex(case["old_root_hex"]), bytes.fromhex(case["new_root_hex"])
    assert (roots[0], roots[1]) == (root_from(old, _nodes(LEAVES[:old])), root_from(new, nodes))
    assert consistency_problem(old, new, *roots, proof) is None


@pytest.mark.parametrize("case", VECTORS["bad_inclusion"], ids=lambda c: c["desc"])
def test_every_bad_inclusion_probe_is_refused(case: dict[str, Any]) -> None:
    problem = inclusion_problem(
        case["leaf_index"], case["tree_size"], bytes.fromhex(case["leaf_hash_hex"]),
        _hashes(case["proof_hex"]), bytes.fromhex(case["root_hex"]),
    )  # fmt: skip
    assert problem is not None


@pytest.mark.parametrize("case", VECTORS["bad_consistency"], ids=lambda c: c["desc"])
def test_every_bad_consistency_probe_is_refused(case: dict[str, Any]) -> None:
    problem = consistency_problem(
        case["old_size"], case["new_size"], bytes.fromhex(case["old_root_hex"]),
        bytes.fromhex(case["new_root_hex"]), _hashes(case["proof_hex"]),
    )  # fmt: skip
    assert problem is not None


@pytest.mark.parametrize(
    "case", VECTORS["inclusion_verify_only"] + VECTORS["consistency_verify_only"],
    ids=lambda c: c["desc"],
)  # fmt: skip
def test_the_verify_only_probes_are_accepted(case: dict[str, Any]) -> None:
    if "leaf_index" in case:
        problem = inclusion_problem(
            case["leaf_index"], case["tree_size"], bytes.fromhex(case["leaf_hash_hex"]),
            _hashes(case["proof_hex"]), bytes.fromhex(case["root_hex"]),
        )  # fmt: skip
    else:
        problem = consistency_problem(
            case["old_size"], case["new_size"], bytes.fromhex(case["old_root_hex"]),
            bytes.fromhex(case["new_root_hex"]), _hashes(case["proof_hex"]),
        )  # fmt: skip
    assert problem is None


def test_the_empty_tree_and_the_frontier_agree_with_the_recursive_definition() -> None:
    frontier = Frontier()
    assert EMPTY_ROOT == frontier.root() == merkle_root([])
    for n, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf_hash(leaf))
        assert merkle_root(LEAVES[:n]) == frontier.root() == root_from(n, _nodes(LEAVES[:n]))


def _flip(proof: tuple[bytes, ...], i: int) -> list[bytes]:
    changed = list(proof)
    changed[i] = bytes([changed[i][0] ^ 1]) + changed[i][1:]
    return changed


@settings(max_examples=12)
@given(st.integers(1, 2000), st.integers(0, 2**32))
@example(2000, 7)
@example(1024, 1)
def test_every_proof_of_a_random_tree_verifies_and_no_changed_one_does(
    size: int, salt: int
) -> None:
    inputs = [f"{salt}:{i}".encode() for i in range(size)]
    nodes = _nodes(inputs)
    root = root_from(size, nodes)
    assert merkle_root(inputs) == root
    for index in range(size):
        plan = inclusion_plan(index, size)
        assert len(needed(plan)) <= 2 * size.bit_length()  # O(log n) nodes read
        proof = proof_from(plan, nodes)
        leaf = leaf_hash(inputs[index])
        assert inclusion_problem(index, size, leaf, proof, root) is None
        assert (
            inclusion_problem((index + 1) % size, size, leaf, proof, root) is not None or size == 1
        )
        # A wrong size, as transparency-dev probes it (twice or half the height): an
        # inclusion proof fixes the size only up to its shape; the checkpoint signs it.
        assert inclusion_problem(index, size * 2, leaf, proof, root) is not None
        if index < size // 2:
            assert inclusion_problem(index, size // 2, leaf, proof, root) is not None
        if index % 97 == 0:  # every hash of a sample of the proofs, changed in turn
            for i in range(len(proof)):
                assert inclusion_problem(index, size, leaf, _flip(proof, i), root) is not None


@settings(max_examples=60)
@given(st.integers(1, 2000).flatmap(lambda new: st.tuples(st.integers(1, new), st.just(new))))
@example((1337, 2000))
@example((1024, 1025))
def test_every_consistency_proof_of_a_random_growth_verifies_and_no_changed_one_does(
    sizes: tuple[int, int],
) -> None:
    old, new = sizes
    inputs = [f"c:{i}".encode() for i in range(new)]
    nodes = _nodes(inputs)
    old_root, new_root = root_from(old, _nodes(inputs[:old])), root_from(new, nodes)
    assert old_root == root_from(old, nodes)  # the same nodes answer every older size
    if old == new:
        assert consistency_problem(old, new, old_root, new_root, ()) is None
        return
    plan = consistency_plan(old, new)
    assert len(needed(plan)) <= 2 * new.bit_length()
    proof = proof_from(plan, nodes)
    assert consistency_problem(old, new, old_root, new_root, proof) is None
    for i in range(len(proof)):
        assert consistency_problem(old, new, old_root, new_root, _flip(proof, i)) is not None
    other = leaf_hash(b"another leaf")
    assert consistency_problem(old, new, other, new_root, proof) is not None
    assert consistency_problem(old, new * 2, old_root, new_root, proof) is not None


@pytest.mark.parametrize(("begin", "end"), [(0, 1), (0, 7), (4, 7), (6, 7), (8, 13), (3, 9)])
def test_a_cover_is_complete_subtrees_that_tile_the_range(begin: int, end: int) -> None:
    covered: list[int] = []
    for level, index in cover(begin, end):
        covered += range(index << level, (index + 1) << level)
    assert list(range(begin, end)) == covered
