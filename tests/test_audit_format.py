"""The audit format, strictly: a damaged line is a finding at its line and verify goes
on; a break of a stream is reported once, with what it left unjudged.

The log is a sealed demo program's export (docs/audit-format.md). Each damage is made
to one line only, so that the findings it yields are the ones it causes and no more.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
from click.testing import CliRunner

from choice_workflow import Actor, Role
from choice_workflow.audit import Kind, LogFormatError, read_lines, verify
from choice_workflow.audit.jsonl import HEADER
from choice_workflow.cli import cli
from choice_workflow.demo import simulate
from choice_workflow.events.chain import head_leaf, merkle_root
from fuzz.fuzz_log import records_of, render
from tests.logs import exported, sealed_demo_log


@pytest.fixture(name="log", scope="module")
def fixture_log() -> bytes:
    return sealed_demo_log(4)


def _lines(log: bytes) -> list[bytes]:
    return log.split(b"\n")[:-1]  # the last line ends with the final newline


def _joined(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


def _middle(log: bytes) -> int:
    """The index (0-based, in the file's lines) of an event line in the log's middle."""
    return len(_lines(log)) // 2


def _crlf(log: bytes) -> tuple[bytes, int]:
    lines, i = _lines(log), _middle(log)
    lines[i] += b"\r"
    return _joined(lines), i + 1


def _empty_line(log: bytes) -> tuple[bytes, int]:
    lines, i = _lines(log), _middle(log)
    lines.insert(i, b"")
    return _joined(lines), i + 1


def _no_final_newline(log: bytes) -> tuple[bytes, int]:
    return log[:-1], len(_lines(log))


def _spaces(log: bytes) -> tuple[bytes, int]:
    lines, i = _lines(log), _middle(log)
    lines[i] = lines[i].replace(b'","position":', b'", "position": ', 1)
    return _joined(lines), i + 1


def _extra_key(log: bytes) -> tuple[bytes, int]:
    lines, i = _lines(log), _middle(log)
    lines[i] = lines[i].replace(b'{"hash":', b'{"a_note":"x","hash":', 1)
    return _joined(lines), i + 1


def _upper_hex(log: bytes) -> tuple[bytes, int]:
    lines, i = _lines(log), _middle(log)
    digest = json.loads(lines[i][: lines[i].index(b',"record":')] + b"}")["hash"]
    lines[i] = lines[i].replace(digest.encode(), digest.upper().encode(), 1)
    return _joined(lines), i + 1


def _position_repeated(log: bytes) -> tuple[bytes, int]:
    lines, i = _lines(log), _middle(log)
    before = json.loads(lines[i - 1][: lines[i - 1].index(b',"record":')] + b"}")["position"]
    mine = json.loads(lines[i][: lines[i].index(b',"record":')] + b"}")["position"]
    lines[i] = lines[i].replace(b'"position":%d,' % mine, b'"position":%d,' % before, 1)
    return _joined(lines), i + 1


def _no_header(log: bytes) -> tuple[bytes, int]:
    return log[len(HEADER) :], 1


DAMAGED: dict[str, Callable[[bytes], tuple[bytes, int]]] = {
    "a CR before the newline": _crlf,
    "an empty line": _empty_line,
    "no final newline": _no_final_newline,
    "spaces in the line": _spaces,
    "an extra key in the line": _extra_key,
    "upper-case hex": _upper_hex,
    "a position that does not increase": _position_repeated,
    "no header": _no_header,
}


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_line_is_one_finding_at_its_line_and_exit_1(
    log: bytes, tmp_path: Path, damage: str
) -> None:
    content, line_no = DAMAGED[damage](log)
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(content)
    report = verify(path)
    assert [(Kind.DAMAGED_LINE, line_no)] == [(f.kind, f.line) for f in report.findings]
    assert report.events == len(_lines(log)) - 1  # every event was still read
    result = CliRunner().invoke(cli, ["verify", "--log", str(path), "--json"])
    assert 1 == result.exit_code, result.output
    doc = json.loads(result.output)
    assert [line_no] == [f["line"] for f in doc["findings"]]


def test_a_line_with_spaces_added_to_its_record_breaks_the_chain_there_only(
    log: bytes, tmp_path: Path
) -> None:
    lines, i = _lines(log), _middle(log)
    cut = lines[i].index(b',"record":') + len(b',"record":')
    spaced = json.dumps(json.loads(lines[i][cut:-1]), separators=(", ", ": "), ensure_ascii=False)
    lines[i] = lines[i][:cut] + spaced.encode() + b"}"
    path = tmp_path / "spaced.jsonl"
    path.write_bytes(_joined(lines))
    report = verify(path)
    kinds = [f.kind for f in report.findings]
    assert Kind.BROKEN_CHAIN == kinds[0]
    assert set(kinds) <= {Kind.BROKEN_CHAIN, Kind.MALFORMED, Kind.NOT_JUDGED, Kind.SEAL_MISMATCH}
    assert len(kinds) <= 3
    assert all(f.cause in (None, 0) for f in report.findings)


def test_a_file_whose_first_line_is_no_json_is_refused_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"minutes of the meeting\n")
    result = CliRunner().invoke(cli, ["verify", "--log", str(path)])
    assert 2 == result.exit_code, result.output


# -- causes, not cascades ------------------------------------------------------------------


def _records(log: bytes) -> list[bytes]:
    found = records_of(log)
    assert found is not None
    return found


def _stream_positions(records: list[bytes], stream: str) -> list[int]:
    return [i for i, r in enumerate(records) if json.loads(r)["stream_id"] == stream]


def _longest_grant(records: list[bytes]) -> str:
    counts: dict[str, int] = {}
    for r in records:
        s = json.loads(r)["stream_id"]
        if ":" not in s and s not in ("program", "security", "seal"):
            counts[s] = counts.get(s, 0) + 1
    return max(counts, key=lambda s: counts[s])


def _exported(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "cut.jsonl"
    path.write_bytes(HEADER + b"".join(line + b"\n" for line in lines))
    return path


@pytest.mark.parametrize("which", ["second", "middle", "before last"])
def test_one_deleted_event_yields_at_most_three_findings_caused_by_the_gap(
    log: bytes, tmp_path: Path, which: str
) -> None:
    lines = _lines(log)[1:]
    records = _records(log)
    grant = _longest_grant(records)
    mine = _stream_positions(records, grant)
    victim = {"second": mine[1], "middle": mine[len(mine) // 2], "before last": mine[-2]}[which]
    del lines[victim]  # the line as it was: its neighbours keep their links and hashes
    report = verify(_exported(tmp_path, lines))
    kinds = [f.kind for f in report.findings]
    assert 3 >= len(kinds), [str(f) for f in report.findings]
    # The event after the deleted one breaks the chain; the ones after it are not judged.
    later = len(mine) - mine.index(victim) - 2
    assert [Kind.STREAM_GAP, Kind.BROKEN_CHAIN, Kind.NOT_JUDGED][: 3 if later else 2] == kinds
    assert [None, 0, 0][: len(kinds)] == [f.cause for f in report.findings]
    assert {grant} == {f.stream_id for f in report.findings}
    if later:
        assert f"{later} later event" in report.findings[2].message


def test_a_broken_chain_alone_is_one_finding_and_the_stream_goes_on(
    log: bytes, tmp_path: Path
) -> None:
    lines = _lines(log)[1:]
    records = _records(log)
    grant = _longest_grant(records)
    i = _stream_positions(records, grant)[2]
    # A changed actor, the hash left as it was: the chain breaks at this event, which is
    # not judged; the versions go on, and the later events are judged from the record
    # as it stands (docs/audit-format.md).
    lines[i] = lines[i].replace(b'"actor_id":"', b'"actor_id":"x', 1)
    report = verify(_exported(tmp_path, lines))
    assert [(Kind.BROKEN_CHAIN, grant)] == [(f.kind, f.stream_id) for f in report.findings]


def test_a_gap_with_the_chain_recomputed_is_one_gap_and_what_followed_it(
    log: bytes, tmp_path: Path
) -> None:
    records = _records(log)
    grant = _longest_grant(records)
    mine = _stream_positions(records, grant)
    renumbered = list(records)
    # Every later event of the stream is renumbered one up: version 3 is missing.
    for i in mine[2:]:
        value = json.loads(renumbered[i])
        value["version"] += 1
        renumbered[i] = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    path = tmp_path / "gap.jsonl"
    path.write_bytes(render(renumbered))
    report = verify(path)
    assert [Kind.STREAM_GAP, Kind.NOT_JUDGED] == [f.kind for f in report.findings]
    assert [None, 0] == [f.cause for f in report.findings]


def test_a_stream_cut_before_a_seal_is_one_seal_finding(log: bytes, tmp_path: Path) -> None:
    records = _records(log)
    grant = _longest_grant(records)
    last = _stream_positions(records, grant)[-1]
    kept = records[:last] + records[last + 1 :]
    # The chains recomputed, the seal left as it was: it names the cut stream's head.
    path = tmp_path / "tail.jsonl"
    path.write_bytes(render(kept, reseal=False))
    report = verify(path)
    assert [Kind.SEAL_MISMATCH] == [f.kind for f in report.findings]
    assert grant in report.findings[0].message


# -- the record's own rules: an insider recomputes every hash, the format still holds -------


def _rewritten(log: bytes, event_type: str, change: Callable[[dict[str, Any]], None]) -> bytes:
    """``log`` with the first record of ``event_type`` changed (then written sorted and
    without spaces, as a canonical writer would), every chain and the last seal
    recomputed: only the format's rules can tell."""
    records = _records(log)
    i = next(n for n, r in enumerate(records) if json.loads(r)["type"] == event_type)
    value = json.loads(records[i])
    change(value)
    records[i] = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    return render(records)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda record: record.__setitem__(key, value)


def _instant_as(form: str) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        at = pendulum.parse(record["occurred_at"])
        assert isinstance(at, pendulum.DateTime)
        record["occurred_at"] = {
            "seconds": at.in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
            "+00:00": at.in_timezone("UTC").isoformat(),
            "-05:00": at.in_timezone("America/Chicago").isoformat(),
        }[form]

    return change


def _given_at_with_offset(record: dict[str, Any]) -> None:
    consent = record["payload"]["employer"]["consent"]
    consent["given_at"] = pendulum.parse(consent["given_at"]).isoformat()  # type: ignore[union-attr]  # an instant


FORBIDDEN: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    "an extra key": ("Applied", _set("note", "x"), "keys the format does not have: note"),
    "no schema_version": ("Applied", lambda r: r.pop("schema_version"), "lacks schema_version"),
    "an instant without fraction": ("Applied", _instant_as("seconds"), "occurred_at must be UTC"),
    "an instant with +00:00": ("Applied", _instant_as("+00:00"), "occurred_at must be UTC"),
    "an instant with -05:00": ("Applied", _instant_as("-05:00"), "occurred_at must be UTC"),
    "an integer command_id": ("Applied", _set("command_id", 7), "command_id must be text"),
    "an integer actor_id": ("Applied", _set("actor_id", 7), "actor_id must be text"),
    "a payload instant with an offset": (
        "NoticeConfirmed",
        lambda r: r["payload"].__setitem__(
            "confirmed_at", pendulum.parse(r["payload"]["confirmed_at"]).isoformat()  # type: ignore[union-attr]  # an instant
        ),
        "payload.confirmed_at must be an instant",
    ),
    "a payload amount as a number": (
        "Approved",
        lambda r: r["payload"].__setitem__("amount", int(float(r["payload"]["amount"]))),
        "payload.amount must be an amount",
    ),
    "a nested instant with an offset": (
        "EmployerRegistered", _given_at_with_offset, "payload.employer.consent.given_at"
    ),
}  # fmt: skip


@pytest.mark.parametrize("mutation", FORBIDDEN)
def test_what_the_format_forbids_is_malformed_though_every_hash_is_recomputed(
    log: bytes, tmp_path: Path, mutation: str
) -> None:
    event_type, change, words = FORBIDDEN[mutation]
    path = tmp_path / "rewritten.jsonl"
    path.write_bytes(_rewritten(log, event_type, change))
    report = verify(path)
    assert {Kind.MALFORMED} == {f.kind for f in report.findings}, [str(f) for f in report.findings]
    assert any(words in f.message for f in report.findings)
    result = CliRunner().invoke(cli, ["verify", "--log", str(path)])
    assert 1 == result.exit_code, result.output


@pytest.mark.parametrize("version", ["text", "float"])
def test_a_seal_head_whose_version_is_not_a_whole_number_is_malformed(
    log: bytes, tmp_path: Path, version: str
) -> None:
    records = _records(log)
    seal = json.loads(records[-1])
    assert "Sealed" == seal["type"]
    stream, number, digest = seal["payload"]["heads"][0]
    seal["payload"]["heads"][0] = [
        stream,
        str(number) if version == "text" else float(number),
        digest,
    ]
    records[-1] = json.dumps(seal, sort_keys=True, separators=(",", ":")).encode()
    path = tmp_path / "seal.jsonl"
    path.write_bytes(render(records, reseal=False))  # the root is over "21" either way
    report = verify(path)
    assert {Kind.MALFORMED} == {f.kind for f in report.findings}, [str(f) for f in report.findings]
    assert any("the seal's heads are not" in f.message for f in report.findings)


def test_the_librarys_own_logs_keep_every_rule_of_the_format(log: bytes, tmp_path: Path) -> None:
    path = tmp_path / "clean.jsonl"
    path.write_bytes(log)
    assert () == verify(path).findings
    assert b"+00:00" not in log  # no instant in any other form, payloads included


# -- the page's own verifier, standard library only ----------------------------------------


def _page_checker() -> Callable[..., list[str]]:
    """``check_log`` of docs/audit-format.md, run as a module of its own (not as the
    page's demonstration)."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "audit-format.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```$", page, re.MULTILINE | re.DOTALL)
    [code] = [b for b in blocks if "def check_log(" in b]
    namespace: dict[str, Any] = {"__name__": "check_log"}
    exec(compile(code, "docs/audit-format.md", "exec"), namespace)  # noqa: S102 - the page's own code
    checker: Callable[..., list[str]] = namespace["check_log"]
    return checker


@pytest.fixture(name="check_log", scope="module")
def fixture_check_log() -> Callable[..., list[str]]:
    return _page_checker()


def test_the_pages_verifier_finds_nothing_in_the_librarys_clean_logs(
    check_log: Callable[..., list[str]],
) -> None:
    with_wages = simulate(20)  # wages, corrections, a termination, close-outs
    first = with_wages.seal(Actor("nightly", Role.SYSTEM))
    with_wages.sweep()
    second = with_wages.seal(Actor("nightly", Role.SYSTEM))
    log = exported(with_wages)
    assert b'"type":"Corrected"' in log
    assert b'"type":"ClosedOut"' in log
    assert [] == check_log(log)
    assert [] == check_log(log, first)  # the root of an earlier seal
    assert [] == check_log(log, second.upper())
    without = simulate(5, wages=False)
    assert [] == check_log(exported(without))  # no seal at all
    v1 = Path(__file__).parent / "data" / "log-v1.jsonl"
    root = (Path(__file__).parent / "data" / "log-v1.root").read_text().strip()
    assert [] == check_log(v1.read_bytes(), root)


def _mutations(log: bytes) -> dict[str, bytes]:
    found = {name: make(log)[0] for name, make in DAMAGED.items()}
    for name, (event_type, change, _) in FORBIDDEN.items():
        if "payload" not in name and "nested" not in name:  # the page leaves those to verify
            found[name] = _rewritten(log, event_type, change)
    lines = _lines(log)
    records = _records(log)
    grant = _longest_grant(records)
    mine = _stream_positions(records, grant)
    found["a deleted event"] = _joined(lines[: mine[2] + 1] + lines[mine[2] + 2 :])
    flipped = list(lines)
    flipped[mine[1] + 1] = flipped[mine[1] + 1].replace(b'"actor_id":"', b'"actor_id":"x', 1)
    found["a changed record, its hash kept"] = _joined(flipped)
    kept = records[: mine[-1]] + records[mine[-1] + 1 :]
    found["a stream's tail cut, the seal kept"] = render(kept, reseal=False)
    return found


def test_the_pages_verifier_and_verify_agree_on_every_mutation(
    log: bytes, tmp_path: Path, check_log: Callable[..., list[str]]
) -> None:
    path = tmp_path / "mutated.jsonl"
    disagree = {}
    for name, mutated in _mutations(log).items():
        path.write_bytes(mutated)
        ours, theirs = bool(verify(path).findings), bool(check_log(mutated))
        if not (ours and theirs):
            disagree[name] = (ours, theirs)
    assert {} == disagree


# -- what the review of this page found ---------------------------------------------------


def test_every_deletion_of_one_event_yields_at_most_three_findings(tmp_path: Path) -> None:
    program = simulate(3)
    program.seal(Actor("nightly", Role.SYSTEM))
    lines = _lines(exported(program))
    path = tmp_path / "deleted.jsonl"
    counts = {}
    for i in range(1, len(lines)):
        path.write_bytes(_joined(lines[:i] + lines[i + 1 :]))
        findings = verify(path).findings
        counts[i] = len(findings)
        # Whatever follows from the deletion says what it follows from.
        assert all(f.cause is None or f.cause < len(findings) for f in findings)
    assert {} == {i: n for i, n in counts.items() if n > 3}
    # Only the last seal can go unseen: with no published root, nothing covers it.
    assert [len(lines) - 1] == [i for i, n in counts.items() if n == 0]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r["payload"].__setitem__("cycle", 1.0), "float"),
        (_set("schema_version", 9), "schema_version 9 of Applied is not one the format has"),
        (_set("actor_role", "mayor"), "actor_role 'mayor' is not one of the roles"),
    ],
    ids=["a float", "an unknown schema version", "a role not in the list"],
)
def test_more_of_what_the_format_forbids(
    log: bytes, tmp_path: Path, change: Callable[[dict[str, Any]], None], words: str
) -> None:
    path = tmp_path / "rewritten.jsonl"
    path.write_bytes(_rewritten(log, "Applied", change))
    findings = verify(path).findings
    assert Kind.MALFORMED is findings[0].kind
    assert words in findings[0].message


def test_a_stream_id_of_no_form_is_malformed(log: bytes, tmp_path: Path) -> None:
    path = tmp_path / "rewritten.jsonl"
    path.write_bytes(_rewritten(log, "CycleOpened", _set("stream_id", "cycle:one")))
    assert any("stream_id 'cycle:one'" in f.message for f in verify(path).findings)


def test_spaces_around_the_record_key_are_a_damaged_line(log: bytes, tmp_path: Path) -> None:
    lines, i = _lines(log), _middle(log)
    lines[i] = lines[i].replace(b',"record":', b', "record" : ', 1)
    path = tmp_path / "spaced.jsonl"
    path.write_bytes(_joined(lines))
    assert [(Kind.DAMAGED_LINE, i + 1)] == [(f.kind, f.line) for f in verify(path).findings]
    with pytest.raises(LogFormatError, match=f"line {i + 1} is not in canonical form"):
        list(read_lines(path))


def test_an_unreadable_line_is_the_cause_of_what_its_loss_leaves_unjudged(
    log: bytes, tmp_path: Path
) -> None:
    lines = _lines(log)
    records = _records(log)
    grant = _longest_grant(records)
    i = _stream_positions(records, grant)[3] + 1
    cut = lines[i].index(b',"record":') + len(b',"record":')
    lines[i] = lines[i][:cut] + lines[i][cut:].replace(b'"type":"', b'"type":', 1)  # broken JSON
    path = tmp_path / "unreadable.jsonl"
    path.write_bytes(_joined(lines))
    findings = verify(path).findings
    assert [Kind.MALFORMED, Kind.NOT_JUDGED] == [f.kind for f in findings]
    assert [None, 0] == [f.cause for f in findings]


def test_a_line_repeated_is_one_finding_and_cuts_nothing(log: bytes, tmp_path: Path) -> None:
    lines, i = _lines(log), _middle(log)
    path = tmp_path / "twice.jsonl"
    path.write_bytes(_joined([*lines[: i + 1], lines[i], *lines[i + 1 :]]))
    assert [(Kind.DAMAGED_LINE, i + 2)] == [(f.kind, f.line) for f in verify(path).findings]


def test_a_broken_program_stream_still_gives_the_rules_to_judge_by(
    log: bytes, tmp_path: Path
) -> None:
    records = [json.loads(r) for r in _records(log)]
    records[0]["version"] = 2  # the program's start, renumbered: its stream is cut
    approval = next(r for r in records if r["type"] == "Approved")
    approval["actor_role"] = "employer"
    path = tmp_path / "program.jsonl"
    path.write_bytes(render([_canonical(r) for r in records]))
    kinds = {f.kind for f in verify(path).findings}
    assert Kind.STREAM_GAP in kinds
    assert Kind.NOT_PERMITTED in kinds


def test_a_log_without_its_program_start_says_nothing_was_judged(
    log: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "headless.jsonl"
    path.write_bytes(render(_records(log)[1:]))
    findings = verify(path).findings
    assert any(f.kind is Kind.NOT_JUDGED and "no program start" in f.message for f in findings), [
        str(f) for f in findings
    ]


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_the_nested_instants_table_is_the_domains() -> None:
    from choice_workflow.domain.application import Application
    from choice_workflow.domain.employer import Employer
    from choice_workflow.events.payloads import NESTED_INSTANTS

    def instants(cls: type, prefix: str = "") -> set[str]:
        found = set()
        for field in attrs.fields(cls):
            hints = typing.get_type_hints(cls)
            kinds = [hints[field.name], *typing.get_args(hints[field.name])]
            if any(k is pendulum.DateTime for k in kinds):
                found.add(prefix + field.name)
            for kind in kinds:
                if attrs.has(kind):
                    found |= instants(kind, f"{prefix}{field.name}.")
        return found

    employer = {f"employer.{p}" for p in instants(Employer)}
    for key, paths in NESTED_INSTANTS.items():
        assert employer == set(paths), key
    assert set() == instants(Application)  # else its instants belong in the table too


# -- no forged line silences the Act's checks ----------------------------------------------


def _with_violation(log: bytes) -> list[dict[str, Any]]:
    """The log's records with one approval of $90,000 (15(h) allows $50,000)."""
    records = [json.loads(r) for r in _records(log)]
    next(r for r in records if r["type"] == "Approved")["payload"]["amount"] = "90000.00"
    return records


def _outside_bounds(path: Path) -> bool:
    return any("outside $10,000.00 - $50,000.00" in f.message for f in verify(path).findings)


def test_a_fake_gap_stream_at_the_end_hides_no_violation(log: bytes, tmp_path: Path) -> None:
    records = _with_violation(log)
    fake = dict(next(r for r in records if r["type"] == "Approved"))
    fake.update(stream_id="ZZZ-fake", version=2)  # a stream first seen at version 2
    path = tmp_path / "fake.jsonl"
    path.write_bytes(render([_canonical(r) for r in [*records[:-1], fake, records[-1]]]))
    assert _outside_bounds(path)
    assert Kind.STREAM_GAP in {f.kind for f in verify(path).findings}


def test_a_forged_early_seal_hides_no_violation(log: bytes, tmp_path: Path) -> None:
    records = _with_violation(log)
    streams = sorted({r["stream_id"] for r in records} - {"seal"})
    forged = dict(records[-1])
    heads = [[s, 1, "0" * 64] for s in streams]
    forged["payload"] = {"heads": heads, "root": merkle_root([head_leaf(*h) for h in heads]).hex()}
    forged.update(
        version=1, recorded_at=records[0]["recorded_at"], occurred_at=records[0]["recorded_at"]
    )
    real = dict(records[-1], version=2)
    path = tmp_path / "early-seal.jsonl"
    path.write_bytes(render([_canonical(r) for r in [records[0], forged, *records[1:-1], real]]))
    findings = verify(path).findings
    assert _outside_bounds(path)
    assert Kind.SEAL_MISMATCH in {f.kind for f in findings}


def test_rules_forged_in_another_stream_or_a_second_start_do_not_judge_the_log(
    log: bytes, tmp_path: Path
) -> None:
    records = _with_violation(log)
    forged = json.loads(json.dumps(records[0]))
    forged["payload"]["rules"]["max_award"] = "100000.00"
    forged["payload"]["fingerprint"] = hashlib.sha256(
        _canonical(forged["payload"]["rules"])
    ).hexdigest()
    elsewhere = dict(forged, stream_id="G-RULES")
    path = tmp_path / "rules.jsonl"
    path.write_bytes(render([_canonical(r) for r in [records[0], elsewhere, *records[1:]]]))
    assert _outside_bounds(path)
    second = dict(forged, version=2, command_id="again")
    path.write_bytes(render([_canonical(r) for r in [records[0], second, *records[1:]]]))
    assert _outside_bounds(path)
    assert Kind.RULES_MISMATCH in {f.kind for f in verify(path).findings}


def test_an_early_application_of_an_unregistered_employer_hides_no_later_violation(
    log: bytes, tmp_path: Path
) -> None:
    records = _with_violation(log)
    grant = next(r for r in records if r["type"] == "Approved")["stream_id"]
    applied = next(r for r in records if r["stream_id"] == grant)
    fake = dict(applied, stream_id="G-X")  # before the employer is registered
    path = tmp_path / "early.jsonl"
    path.write_bytes(render([_canonical(r) for r in [records[0], fake, *records[1:]]]))
    findings = verify(path).findings
    assert _outside_bounds(path)
    assert [] == [f for f in findings if "which the log does not have" in f.message]
