"""The Act as data: ``choice-workflow rules --json`` prints what verify judges a log by,
and a second judge written from that document and docs/audit-format.md alone
(tests/act_verifier.py, no import of the library) agrees with verify on the grant
lifecycle of a demo log and on forgeries of it, each with every chain and the seals
recomputed."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from choice_workflow import Rules
from choice_workflow.audit import Finding, Kind, replay, verify
from choice_workflow.cli import cli
from choice_workflow.commands import REGISTRY
from choice_workflow.commands.catalog import act_document
from fuzz.fuzz_log import records_of, render
from tests.act_verifier import judge
from tests.logs import sealed_demo_log

DATA = Path(__file__).parent / "data"


@pytest.fixture(name="act", scope="module")
def fixture_act() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["rules", "--json"], catch_exceptions=False)
    assert 0 == result.exit_code, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture(name="log", scope="module")
def fixture_log() -> bytes:
    return sealed_demo_log(20)


def test_the_document_is_the_registry_and_the_rules_in_force(act: dict[str, Any]) -> None:
    assert act == json.loads(json.dumps(act_document()))
    assert ("choice_workflow-act", 1) == (act["format"], act["version"])
    assert [s.name for s in REGISTRY] == [c["name"] for c in act["commands"]]
    assert Rules.illinois().fingerprint == act["fingerprint"]
    approve = next(c for c in act["commands"] if c["name"] == "approve")
    assert (["director", "system"], ["applied"], "approved", "Approved") == (
        approve["roles"], approve["sources"], approve["destination"], approve["event_type"]
    )  # fmt: skip
    assert {"min_award": "10000.00", "max_award": "50000.00"}.items() <= act["amounts"].items()
    assert (172800, "notice") == (act["acceptance_window"]["seconds"], act["acceptance_window"]["starts"])  # fmt: skip
    apply = next(c for c in act["commands"] if c["name"] == "apply")
    assert (True, []) == (apply["creates"], apply["sources"])


def test_the_rules_of_a_log_are_those_recorded_at_its_start() -> None:
    result = CliRunner().invoke(
        cli, ["rules", "--log", str(DATA / "log-v1.jsonl"), "--json"], catch_exceptions=False
    )
    assert 0 == result.exit_code, result.output
    # The Rules as read: settings the old log did not record take their defaults.
    recorded = replay(DATA / "log-v1.jsonl").rules
    assert recorded is not None
    assert recorded.fingerprint == json.loads(result.stdout)["fingerprint"]


def test_the_table_names_every_command(act: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["rules"], catch_exceptions=False, terminal_width=200)
    assert 0 == result.exit_code, result.output
    assert all(c["name"] in result.stdout for c in act["commands"])
    assert act["fingerprint"] in result.stdout


def test_the_second_judge_imports_nothing_of_the_library() -> None:
    source = (Path(__file__).parent / "act_verifier.py").read_text()
    imports = [line for line in source.splitlines() if re.match(r"\s*(import|from) ", line)]
    assert [] == [line for line in imports if "choice_workflow" in line]


def test_both_judges_find_nothing_in_a_clean_log(
    log: bytes, act: dict[str, Any], tmp_path: Path
) -> None:
    assert [] == judge(log, act)
    assert () == verify(_file(tmp_path, log)).findings


# -- forgeries: the record changed, every chain and the seal recomputed ---------------------


def _file(directory: Path, log: bytes) -> Path:
    path = directory / "log.jsonl"
    path.write_bytes(log)
    return path


def _parsed(log: bytes) -> list[dict[str, Any]]:
    records = records_of(log)
    assert records is not None
    return [json.loads(r) for r in records]


def _rendered(records: list[dict[str, Any]]) -> bytes:
    return render(
        [json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() for r in records]
    )  # fmt: skip


def _first(records: list[dict[str, Any]], event_type: str, *, then: str = "") -> int:
    """The index of the first ``event_type`` of a grant that also has a ``then``."""
    grants_with = {r["stream_id"] for r in records if r["type"] == then} if then else None
    return next(
        i for i, r in enumerate(records)
        if r["type"] == event_type and (grants_with is None or r["stream_id"] in grants_with)
    )  # fmt: skip


def _amount_outside(records: list[dict[str, Any]]) -> str:
    i = _first(records, "Approved")
    records[i]["payload"]["amount"] = "60000.00"
    return str(records[i]["stream_id"])


def _accepted_late(records: list[dict[str, Any]]) -> str:
    i = _first(records, "Accepted")
    grant = records[i]["stream_id"]
    notice = next(r for r in records if r["stream_id"] == grant and r["type"] == "NoticeConfirmed")
    opened = dt.datetime.fromisoformat(notice["payload"]["confirmed_at"])  # at the notice
    late = (opened + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # 48 h long past
    records[i]["occurred_at"] = records[i]["recorded_at"] = late
    return str(grant)


def _approval_removed(records: list[dict[str, Any]]) -> str:
    i = _first(records, "Approved", then="Accepted")
    grant = records[i]["stream_id"]
    del records[i]
    for r in records[i:]:
        if r["stream_id"] == grant:
            r["version"] -= 1  # the stream renumbered: no gap to see
    return str(grant)


def _approved_by_the_department(records: list[dict[str, Any]]) -> str:
    i = _first(records, "Approved")
    records[i]["actor_role"] = "department"
    return str(records[i]["stream_id"])


FORGERIES: dict[str, tuple[Callable[[list[dict[str, Any]]], str], Kind, str, str]] = {
    "an approval outside $10,000-$50,000": (_amount_outside, Kind.GUARD_FAILED, "15(h)", "outside"),
    "an acceptance after its window": (_accepted_late, Kind.GUARD_FAILED, "15(j)", "after its window"),
    "a removed approval, the stream renumbered": (
        _approval_removed, Kind.ILLEGAL_TRANSITION, "", "from applied"
    ),
    "an approval by a role that may not approve": (
        _approved_by_the_department, Kind.NOT_PERMITTED, "", "role department may not approve"
    ),
}  # fmt: skip


@pytest.mark.parametrize("forgery", FORGERIES)
def test_the_second_judge_agrees_with_verify_on_a_forgery(
    log: bytes, act: dict[str, Any], forgery: str, tmp_path: Path
) -> None:
    forge, kind, cite, words = FORGERIES[forgery]
    records = _parsed(log)
    grant = forge(records)
    forged = _rendered(records)
    ours = [f for f in verify(_file(tmp_path, forged)).findings if f.stream_id == grant]
    theirs = [p for p in judge(forged, act) if p.startswith(f"{grant} ")]
    assert _has(ours, kind, cite), [str(f) for f in ours]
    assert any(words in p for p in theirs), theirs
    # Neither judge sees anything wrong with any other grant's lifecycle.
    assert [] == [p for p in judge(forged, act) if not p.startswith(f"{grant} ")]


def _has(findings: list[Finding], kind: Kind, cite: str) -> bool:
    return any(f.kind is kind and (not cite or cite in f.cites) for f in findings)


def test_the_rules_of_a_log_whose_rules_were_forged_are_refused(tmp_path: Path) -> None:
    text = (DATA / "log-v1.jsonl").read_bytes()
    forged = text.replace(b'"max_award":"50000.00"', b'"max_award":"90000.00"', 1)
    assert forged != text
    path = tmp_path / "forged.jsonl"
    path.write_bytes(forged)
    result = CliRunner().invoke(cli, ["rules", "--log", str(path), "--json"])
    assert 2 == result.exit_code, result.output
    assert "do not match their fingerprint" in result.output
