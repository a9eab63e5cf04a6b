"""Signed checkpoints: the C2SP signed-note and tlog-checkpoint formats (byte for byte
those of golang.org/x/mod/sumdb/note), a seal's checkpoint of the log's tree, verify
with and without the Department's key, old seals, and a key that never shows."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from choice_workflow import Actor, InvalidInput, ManualClock, Program, Role
from choice_workflow.audit import export_log, verify
from choice_workflow.audit.findings import Kind
from choice_workflow.events import canonical_json
from choice_workflow.events.chain import GENESIS, link, merkle_root
from choice_workflow.events.checkpoint import Checkpoint, Signer, Verifier, open_note
from choice_workflow.store.base import Item
from choice_workflow.testing import run_cycle
from choice_workflow.testing.scenarios import START

# golang.org/x/mod/sumdb/note's own test key and note (note_test.go).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
SEALER = Actor("nightly-seal", Role.SYSTEM)
KEY = Signer.generate("dol.illinois.gov/choice-workflow")


def test_the_reference_key_and_note_are_read_and_written_byte_for_byte() -> None:
    signer, verifier = Signer.parse(GO_SKEY), Verifier.parse(GO_VKEY)
    assert (GO_SKEY, GO_VKEY) == (signer.text(), verifier.text())
    assert verifier == signer.verifier()
    assert f"{GO_TEXT}\n{GO_SIGNATURE}" == signer.sign(GO_TEXT)
    opened = open_note(f"{GO_TEXT}\n{GO_SIGNATURE}", [verifier])
    assert (GO_TEXT, ("PeterNeumann",), None) == (opened.text, opened.signed_by, opened.problem)


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        (f"{GO_TEXT}\n{GO_SIGNATURE}".replace("problem,", "problem;"), "does not verify"),
        (GO_TEXT, "not signed"),
        (f"{GO_TEXT}\n\u2014 Someone AAAAAAAA\n", "no signature of a known key"),
        (f"{GO_TEXT}\n{GO_SIGNATURE}"[:-1], "ends in a newline"),
        (f"{GO_TEXT}\n- PeterNeumann x08go\n", "not a signature line"),
        ("no newline at the end", "ends in a newline"),
        ("a\x07bell\n", "control character"),
    ],
)
def test_a_note_that_is_not_signed_by_a_known_key_is_refused(note: str, problem: str) -> None:
    found = open_note(note, [Verifier.parse(GO_VKEY)]).problem
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    "key",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # a key ID of another key
        GO_VKEY.replace("PeterNeumann", "Peter Neumann"),
        GO_VKEY + "+x",
        "PeterNeumann+c74f20a3",
        GO_VKEY.replace("+ARpc", "+Apc"),
    ],
)
def test_a_malformed_verifier_key_is_refused(key: str) -> None:
    with pytest.raises(InvalidInput):
        Verifier.parse(key)


def test_a_checkpoint_is_three_lines_and_only_that() -> None:
    checkpoint = Checkpoint("example.com/log42", 20852163, bytes(range(32)))
    assert checkpoint == Checkpoint.parse(checkpoint.text())
    assert checkpoint.text().startswith("example.com/log42\n20852163\n")
    for bad in ("example.com/log42\n020\nAAAA\n", "x\n1\n", "x\n1\nAAAA\n", "x\n-1\nAAAA\n",
                "x\n\n" + checkpoint.text().split("\n")[2] + "\n"):  # fmt: skip
        with pytest.raises(ValueError, match=r"checkpoint|tree size|root hash"):
            Checkpoint.parse(bad)


def _program() -> Program:
    program = Program(clock=ManualClock(START))
    run_cycle(program, employers=4)
    return program


def test_a_signed_seal_records_the_checkpoint_of_every_event_before_it() -> None:
    program = _program()
    before = [s.record for s in program.store.stored_events()]
    program.seal(SEALER, key=KEY)
    note = program.checkpoint()
    assert note is not None
    opened = open_note(note, [KEY.verifier()])
    assert opened.problem is None
    checkpoint = Checkpoint.parse(opened.text)
    assert (KEY.name, len(before), merkle_root(before)) == (
        checkpoint.origin, checkpoint.size, checkpoint.root
    )  # fmt: skip
    report = verify(program.store, keys=[KEY.verifier()])
    assert () == report.findings
    assert [(len(before), (KEY.name,))] == [(c.tree_size, c.signed_by) for c in report.checkpoints]


def test_without_a_key_a_seal_is_unsigned_and_reported_so() -> None:
    program = _program()
    program.seal(SEALER, origin="example.org/agency-log")
    report = verify(program.store)
    assert () == report.findings
    (seal,) = report.checkpoints
    assert ("example.org/agency-log", False) == (seal.origin, seal.signed)
    refused = verify(program.store, keys=[KEY.verifier()])
    assert [Kind.SEAL_MISMATCH] == [f.kind for f in refused.findings]
    assert "not signed" in refused.findings[0].message


def test_a_seal_signed_by_another_key_is_a_finding_under_the_departments_key() -> None:
    program = _program()
    program.seal(SEALER, key=Signer.generate("dol.illinois.gov/choice-workflow"))
    (finding,) = verify(program.store, keys=[KEY.verifier()]).findings
    assert "no signature of a known key" in finding.message


def _items(program: Program) -> list[Item]:
    return [Item(s.position, s.record, s.prev_hash, s.hash) for s in program.store.stored_events()]


def _reseal(items: list[Item], change: Any) -> list[Item]:
    """The last item (the seal) changed by ``change`` and its stream re-chained."""
    record = json.loads(items[-1].record)
    change(record)
    body = canonical_json(record)
    prev = items[-1].prev_hash
    return [*items[:-1], attrs.evolve(items[-1], record=body, hash=link(prev, body))]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["payload"].update(tree_size=r["payload"]["tree_size"] - 1), "of 22 events"),
        (lambda r: r["payload"].update(tree_root="0" * 64), "root 0000000000000000"),
        (
            lambda r: r["payload"].update(
                checkpoint=r["payload"]["checkpoint"].replace("\n23\n", "\n22\n")
            ),
            "not signed by a key given",
        ),
    ],
)
def test_a_changed_checkpoint_is_found(change: Any, message: str) -> None:
    program = _program()
    program.seal(SEALER, key=KEY)
    forged = _reseal(_items(program), change)
    findings = verify(forged, keys=[KEY.verifier()]).findings
    assert findings
    assert all(f.kind is Kind.SEAL_MISMATCH for f in findings)
    assert any(message in f.message for f in findings)


def test_a_seal_of_the_first_schema_still_verifies() -> None:
    program = _program()
    program.seal(SEALER)

    def first_schema(record: dict[str, Any]) -> None:
        record["schema_version"] = 1
        for key in ("tree_size", "tree_root", "checkpoint"):
            del record["payload"][key]

    items = _reseal(_items(program), first_schema)
    assert items[-1].prev_hash == GENESIS  # the seal stream's first event
    report = verify(items)
    assert () == report.findings
    assert () == report.checkpoints


def test_the_signing_key_shows_nowhere() -> None:
    program = _program()
    secret = KEY.text().split("+", 4)[4]
    program.seal(SEALER, key=KEY)
    exported = io.BytesIO()
    export_log(program.store.stored_events(), exported)
    shown = [repr(KEY), str(KEY), exported.getvalue().decode(), repr(program.events("seal"))]
    assert all(secret not in text and KEY.text() not in text for text in shown)
    broken = KEY.text()[:-4] + "!!!!"
    with pytest.raises(InvalidInput) as caught:
        Signer.parse(broken)
    assert secret[:20] not in str(caught.value)
    assert broken not in repr(caught.value)


# -- the command line ------------------------------------------------------------------


def test_keygen_seal_and_verify_on_the_command_line(tmp_path: Any, monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from choice_workflow.cli import cli
    from choice_workflow.store.sql import SqlStore

    runner, url = CliRunner(), f"sqlite:///{tmp_path / 'grants.sqlite'}"
    store = SqlStore(url)
    Program(store).open_cycle(1, Actor("d", Role.DIRECTOR), appropriation="100000.00")
    store.dispose()
    key = tmp_path / "dol.key"
    made = runner.invoke(cli, ["keygen", "--name", "dol.illinois.gov/grants", "--out", str(key)])
    assert 0 == made.exit_code, made.output
    secret = key.read_text().strip()
    assert (0o600, made.stdout.strip()) == (
        key.stat().st_mode & 0o777,
        Path(f"{key}.pub").read_text().strip(),
    )
    assert 2 == runner.invoke(cli, ["keygen", "--name", "x", "--out", str(key)]).exit_code
    monkeypatch.setenv("CHOICE_WORKFLOW_SEAL_KEY", str(key))
    sealed = runner.invoke(cli, ["seal", "--db", url, "--json"])
    assert 0 == sealed.exit_code, sealed.output
    assert "dol.illinois.gov/grants" == json.loads(sealed.stdout)["signed_by"]
    checked = runner.invoke(cli, ["verify", "--db", url, "--key", f"{key}.pub"])
    assert 0 == checked.exit_code, checked.output
    assert "signed by dol.illinois.gov/grants" in checked.stdout
    other = tmp_path / "other.key"
    runner.invoke(cli, ["keygen", "--name", "b.example/other", "--out", str(other)])
    refused = runner.invoke(cli, ["verify", "--db", url, "--key", f"{other}.pub"])
    assert 1 == refused.exit_code
    assert "signed, not by a key given" in refused.stdout
    wrong = runner.invoke(cli, ["seal", "--db", url, "--key", f"{key}.pub"])
    assert 2 == wrong.exit_code
    for result in (made, sealed, checked, refused, wrong):
        assert secret not in result.output
        # PRIVATE+KEY+<name>+<hash>+<key data>: the key data may itself hold a "+"
        assert secret.split("+", 4)[4] not in result.output


# -- one grant's records package, checked alone ---------------------------------------------


@pytest.fixture(name="package", scope="module")
def fixture_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from choice_workflow.audit.records import export_grant
    from choice_workflow.simulate import simulate

    program = simulate(3, 2030)
    program.seal(SEALER, key=KEY)
    grant = sorted(g.id for g in program.grants())[0]
    out = tmp_path_factory.mktemp("package") / grant
    export_grant(program, grant, out)
    return out


def _copy(package: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(package, tmp_path / "copy"))


def _rewrite(path: Path, change: Any) -> None:
    """Change a file of a package and its digest in the manifest (an attacker's edit)."""
    import hashlib

    path.write_bytes(change(path.read_bytes()))
    manifest = path.parent / "manifest.json"
    data = json.loads(manifest.read_text())
    data["files"][path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest.write_text(json.dumps(data))


def test_a_grants_package_alone_shows_its_events_in_the_signed_log(package: Path) -> None:
    from choice_workflow.audit.package_proofs import package_problems

    proofs = json.loads((package / "proofs.json").read_text())
    events = [line for line in (package / "events.jsonl").read_text().splitlines()[1:] if line]
    assert len(events) == len(proofs["proofs"])
    assert not proofs["after_checkpoint"]
    assert [] == package_problems(package, [KEY.verifier()])
    assert ["the checkpoint: no signature of a known key"] == package_problems(
        package, [Signer.generate("dol.illinois.gov/choice-workflow").verifier()]
    )


def _proof_hash(data: bytes) -> bytes:
    doc = json.loads(data)
    proof = next(p for p in doc["proofs"] if p["hashes"])
    last = proof["hashes"][0]
    proof["hashes"][0] = last[:-1] + ("0" if last[-1] != "0" else "1")
    return json.dumps(doc).encode()


def _note_line(index: int, change: Any) -> Any:
    def edit(data: bytes) -> bytes:
        doc = json.loads(data)
        lines = doc["checkpoint"].split("\n")
        lines[index] = change(lines[index])
        doc["checkpoint"] = "\n".join(lines)
        return json.dumps(doc).encode()

    return edit


@pytest.mark.parametrize(
    ("name", "change", "found"),
    [
        ("events.jsonl", lambda b: b.replace(b'"actor_role":"employer"', b'"actor_role":"director"', 1),
         "leads to another root"),
        ("proofs.json", _proof_hash, "leads to another root"),
        ("proofs.json", _note_line(1, lambda size: str(int(size) + 1)), "does not verify"),
        ("proofs.json", _note_line(4, lambda line: line[:-8] + "AAAAAAA="), "checkpoint"),
    ],
    ids=["an event", "a proof hash", "a checkpoint field", "the signature"],
)  # fmt: skip
def test_any_change_to_a_package_is_found(
    package: Path, tmp_path: Path, name: str, change: Any, found: str
) -> None:
    from choice_workflow.audit.package_proofs import package_problems

    copy = _copy(package, tmp_path)
    _rewrite(copy / name, change)
    problems = package_problems(copy, [KEY.verifier()])
    assert any(found in p for p in problems), problems
    (copy / "grant.json").write_text("{}")  # a file that is not the one listed
    assert any("grant.json" in p for p in package_problems(copy, [KEY.verifier()]))


def test_verify_package_on_the_command_line(package: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from choice_workflow.cli import cli

    public = tmp_path / "dol.key.pub"
    public.write_text(KEY.verifier().text() + "\n")
    runner = CliRunner()
    good = runner.invoke(cli, ["verify", "--package", str(package), "--key", str(public)])
    assert (0, True) == (good.exit_code, "its events are in the log the key signed" in good.stdout)
    assert 2 == runner.invoke(cli, ["verify", "--package", str(package)]).exit_code
    other = tmp_path / "other.pub"
    other.write_text(Signer.generate("dol.illinois.gov/choice-workflow").verifier().text())
    bad = runner.invoke(cli, ["verify", "--package", str(package), "--key", str(other), "--json"])
    assert (1, False) == (bad.exit_code, json.loads(bad.stdout)["ok"])
