"""Checkpoints against each other: a newer one extends an older one by a consistency
proof, and a monitor that trusts the first one it sees refuses, and keeps its state
through, every fork: fewer events, one size with another root, another history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from choice_workflow import Actor, InvalidInput, ManualClock, Program, Role
from choice_workflow.audit.monitor import Monitor, extension_problem, read_note
from choice_workflow.events.checkpoint import Checkpoint, Signer
from choice_workflow.service.proofs import LogProofs
from choice_workflow.testing import run_cycle
from choice_workflow.testing.scenarios import ACTORS, START, register_and_apply

SEALER = Actor("nightly-seal", Role.SYSTEM)
KEY = Signer.generate("dol.illinois.gov/choice-workflow")


def _sealed(program: Program, key: Signer | None = KEY) -> str:
    program.seal(SEALER, key=key)
    note = program.checkpoint()
    assert note is not None
    return note


def _grown(program: Program, employer: str) -> None:
    register_and_apply(program, employer)


@pytest.fixture(name="log")
def fixture_log() -> tuple[Program, str, str]:
    """A program sealed twice (signed): its two checkpoints."""
    program = Program(clock=ManualClock(START))
    run_cycle(program, employers=3)
    first = _sealed(program)
    _grown(program, "LATE-1")
    _grown(program, "LATE-2")
    return program, first, _sealed(program)


def _forked() -> Program:
    """Another history of the same program: what a rewritten log looks like."""
    program = Program(clock=ManualClock(START))
    run_cycle(program, employers=3, amount="30000.00")
    return program


def test_a_newer_checkpoint_extends_the_older_by_the_logs_consistency_proof(
    log: tuple[Program, str, str],
) -> None:
    program, first, second = log
    old, new = (read_note(n, [KEY.verifier()]) for n in (first, second))
    assert (None, None) == (old.problem, new.problem)
    assert old.checkpoint.size < new.checkpoint.size
    assert extension_problem(old.checkpoint, new.checkpoint, program.prove_consistency) is None
    assert extension_problem(old.checkpoint, old.checkpoint, program.prove_consistency) is None


def test_every_kind_of_fork_is_told_apart(log: tuple[Program, str, str]) -> None:
    program, first, second = log
    old = read_note(first, ()).checkpoint
    new = read_note(second, ()).checkpoint
    other_root = Checkpoint(old.origin, old.size, bytes(32))
    prove = program.prove_consistency
    cases = {
        "fewer": extension_problem(new, old, prove),
        "split": extension_problem(old, other_root, prove),
        "origin": extension_problem(old, Checkpoint("b.example/log", new.size, new.root), prove),
        "history": extension_problem(other_root, new, prove),
        "beyond": extension_problem(old, Checkpoint(new.origin, new.size + 5, new.root), prove),
    }
    assert f"fewer than the {new.size} of the one trusted" in str(cases["fewer"])
    assert "different roots: a split view or a rewritten history" in str(cases["split"])
    assert "two logs" in str(cases["origin"])
    assert "does not lead to the older root): a fork" in str(cases["history"])
    assert "no consistency proof" in str(cases["beyond"])


def test_the_monitor_trusts_the_first_checkpoint_then_only_what_extends_it(
    log: tuple[Program, str, str], tmp_path: Path
) -> None:
    program, first, second = log
    state = tmp_path / "monitor.json"
    monitor = Monitor(state, [KEY.verifier()])
    checked = monitor.check(first, program.prove_consistency)
    assert (True, None) == (checked.first, checked.problem)
    assert first == json.loads(state.read_text())["checkpoint"]
    checked = monitor.check(second, program.prove_consistency)
    assert (False, None) == (checked.first, checked.problem)
    assert checked.trusted is not None
    assert first == checked.trusted.note
    kept = state.read_bytes()
    assert second == json.loads(kept)["checkpoint"]
    # The older one again, and a rewritten history's, signed by the same key: forks.
    back = monitor.check(first, program.prove_consistency)
    forked = _forked()
    _grown(forked, "LATE-1")
    _grown(forked, "LATE-2")
    _grown(forked, "LATE-3")
    other = monitor.check(_sealed(forked), forked.prove_consistency)
    assert "fewer than the" in str(back.problem)
    assert "a fork (a split view or a rewritten history)" in str(other.problem)
    assert kept == state.read_bytes()
    assert [] == [p.name for p in tmp_path.iterdir() if p.name != "monitor.json"]


def test_the_monitor_refuses_an_unsigned_or_foreign_checkpoint_given_keys(
    log: tuple[Program, str, str], tmp_path: Path
) -> None:
    program, first, _ = log
    state = tmp_path / "monitor.json"
    unsigned = Monitor(state, [KEY.verifier()]).check(
        _sealed(program, None), program.prove_consistency
    )
    assert "not signed" in str(unsigned.problem)
    foreign = Monitor(state, [Signer.generate("b.example/other").verifier()])
    assert "no signature of a known key" in str(
        foreign.check(first, program.prove_consistency).problem
    )
    assert not state.exists()


@pytest.mark.parametrize("content", ["not json", '{"size": 3}', '{"checkpoint": "x\\n"}'])
def test_a_state_file_the_monitor_did_not_write_is_refused(
    log: tuple[Program, str, str], tmp_path: Path, content: str
) -> None:
    program, first, _ = log
    state = tmp_path / "monitor.json"
    state.write_text(content)
    with pytest.raises(InvalidInput) as refused:
        Monitor(state).check(first, program.prove_consistency)
    assert "monitor.json" in str(refused.value)
    assert content == state.read_text()


def test_proofs_are_read_from_a_store_without_a_program(log: tuple[Program, str, str]) -> None:
    program, first, second = log
    proofs = LogProofs(program.store)
    assert second == proofs.checkpoint()
    size = read_note(first, ()).checkpoint.size
    assert program.prove_consistency(size) == proofs.prove_consistency(size)


# -- the command line ---------------------------------------------------------------------


def _cli(*args: str) -> Any:
    from click.testing import CliRunner

    from choice_workflow.cli import cli

    return CliRunner().invoke(cli, list(args))


def test_checkpoints_and_the_monitor_on_the_command_line(tmp_path: Path) -> None:
    from choice_workflow.store.sql import SqlStore

    url = f"sqlite:///{tmp_path / 'grants.sqlite'}"
    key = tmp_path / "dol.key"
    assert 0 == _cli("keygen", "--name", "dol.illinois.gov/grants", "--out", str(key)).exit_code
    pub, old, new, state = (
        f"{key}.pub",
        tmp_path / "old.ckpt",
        tmp_path / "new.ckpt",
        tmp_path / "m.json",
    )
    store = SqlStore(url)  # the command line runs on the machine's clock: so does this
    Program(store).open_cycle(1, ACTORS.director, appropriation="100000.00")
    store.dispose()
    assert "no checkpoint yet" in _cli("checkpoint", "--db", url).output
    assert 0 == _cli("seal", "--db", url, "--key", str(key)).exit_code
    assert 0 == _cli("checkpoint", "--db", url, "--out", str(old)).exit_code
    assert 2 == _cli("checkpoint", "--db", url, "--out", str(old)).exit_code  # never over
    first = _cli("monitor", "--db", url, "--state", str(state), "--key", pub)
    assert (0, "trusted on first use") == (first.exit_code, first.output.splitlines()[-1][9:29])
    store = SqlStore(url)
    register_and_apply(Program(store), "E1")
    store.dispose()
    assert 0 == _cli("seal", "--db", url, "--key", str(key)).exit_code
    assert 0 == _cli("checkpoint", "--db", url, "--out", str(new)).exit_code
    checked = _cli(
        "verify", "--db", url, "--checkpoint", str(old), "--checkpoint", str(new), "--key", pub
    )
    assert 0 == checked.exit_code, checked.output
    assert "the newer extends the older" in checked.output
    swapped = _cli(
        "verify", "--db", url, "--checkpoint", str(new), "--checkpoint", str(old), "--json"
    )
    assert (0, True) == (swapped.exit_code, json.loads(swapped.output)["extends"])
    later = _cli("monitor", "--db", url, "--state", str(state), "--key", pub)
    assert (0, True) == (later.exit_code, "now trusting" in later.output)
    kept = state.read_bytes()
    back = _cli(
        "monitor", "--db", url, "--state", str(state), "--checkpoint", str(old), "--key", pub
    )
    assert (1, "[fork]") == (back.exit_code, back.output.splitlines()[2][:6])
    assert kept == state.read_bytes()
    one = _cli("verify", "--db", url, "--checkpoint", str(old))
    assert (2, True) == (one.exit_code, "give two checkpoints" in one.output)
    for result in (first, checked, later, back):
        assert key.read_text().split("+", 4)[4].strip() not in result.output
