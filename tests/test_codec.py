"""One codec: the canonical bytes are RFC 8785's, byte for byte, on every record the
library has written (the v1 fixture and a demo log); every payload is exactly its
class's JSON; what RFC 8785 cannot hold is refused at write; the fast reader takes
what is canonical and leaves the rest to the strict one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
import rfc8785

from choice_workflow import Actor, InvalidInput, ManualClock, Program, Role
from choice_workflow.audit import Item, Kind, read_lines, verify
from choice_workflow.audit.jsonl import read_record
from choice_workflow.demo import simulate
from choice_workflow.events import canonical_json, event_from_record, payloads
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.store import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "log-v1.jsonl"


@pytest.fixture(name="records", scope="module")
def fixture_records() -> list[bytes]:
    """Every record of the v1 fixture and of a small simulated program."""
    program = simulate(4, 2030, MemoryStore())
    return [line.record for line in read_lines(FIXTURE)] + [
        s.record for s in program.store.stored_events()
    ]


def test_every_stored_record_is_its_own_rfc_8785_form(records: list[bytes]) -> None:
    assert [] == [r for r in records if rfc8785.dumps(json.loads(r)) != r]
    assert [] == [r for r in records if canonical_json(json.loads(r)) != r]


def test_every_payload_is_exactly_the_json_of_its_class(records: list[bytes]) -> None:
    bad = []
    for record in records:
        event = event_from_record(json.loads(record))
        if payloads.write(payloads.read(event.type, event.payload)) != dict(event.payload):
            bad.append(event.type)
    assert [] == bad


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"amount": "25000.00", "accept_by": None, "note": "x"}, "note"),
        ({"accept_by": None}, "amount"),
        ({"amount": 25000, "accept_by": None}, "two decimal places"),
        ({"amount": "25000.00", "accept_by": "2030-07-03T14:00:00Z"}, "YYYY-MM-DD"),
    ],
)
def test_a_payload_that_is_not_its_class_is_refused_by_field(
    payload: dict[str, Any], words: str
) -> None:
    with pytest.raises(payloads.PayloadError, match=words):
        payloads.read("Approved", payload)


def test_the_amounts_and_instants_of_each_payload_are_named_by_its_class() -> None:
    assert ("amount",) == payloads.fields_of_kind("Approved", payloads.AMOUNT)
    assert ("accept_by",) == payloads.fields_of_kind("Approved", payloads.INSTANT)
    assert ("opens_at", "applications_close") == payloads.fields_of_kind(
        "CycleOpened", payloads.INSTANT
    )


def test_what_rfc_8785_cannot_hold_is_refused_at_write() -> None:
    with pytest.raises(ValueError, match="53-bit"):
        canonical_json({"n": 2**53})
    assert b'{"n":9007199254740991}' == canonical_json({"n": 2**53 - 1})
    with pytest.raises(TypeError):
        canonical_json({"amount": object()})
    program = Program(clock=ManualClock(pendulum.datetime(2030, 7, 1, tz="America/Chicago")))
    for evaluation in ({"ratio": 0.5}, {"count": 2**60}, {"x": float("nan")}):
        with pytest.raises(InvalidInput, match="not plain JSON data"):
            program.evaluate("G1", Actor("evaluator-1", Role.EVALUATOR), evaluation=evaluation)


def test_keys_beyond_the_basic_plane_are_ordered_by_utf_16_code_units() -> None:
    value = {"\U0001f600": 1, "\ufb00": 2, "a": 3}
    assert rfc8785.dumps(value) == canonical_json(value)
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16: before U+FB00, unlike by code point.
    out = canonical_json(value)
    assert out.index("\U0001f600".encode()) < out.index("\ufb00".encode())


def test_the_fast_reader_takes_canonical_records_and_leaves_the_rest_to_the_strict_one(
    records: list[bytes],
) -> None:
    assert all(read_record(r)[1] for r in records)
    spaced = records[0].replace(b'":', b'": ', 1)
    value, canonical = read_record(spaced)
    assert (json.loads(records[0]), False) == (value, canonical)


def test_verify_finds_a_payload_with_a_key_its_class_does_not_have(records: list[bytes]) -> None:
    store = simulate(2, 2030, MemoryStore()).store
    items = []
    heads: dict[str, str] = {}
    forged = False
    for s in store.stored_events():
        record = json.loads(s.record)
        if not forged and record["type"] == "Approved":
            record["payload"]["note"] = "an extra key"
            forged = True
        raw = canonical_json(record)
        prev = heads.get(record["stream_id"], GENESIS)
        heads[record["stream_id"]] = link(prev, raw)
        items.append(Item(s.position, raw, prev, heads[record["stream_id"]]))
    found = [(f.kind, f.message) for f in verify(items).findings]
    assert forged
    assert 1 == len(found), found
    assert Kind.MALFORMED == found[0][0]
    assert "note" in found[0][1]


def test_the_codec_is_the_events_own() -> None:
    event = event_from_record(json.loads(next(read_lines(FIXTURE)).record))
    assert event.canonical_bytes() == next(read_lines(FIXTURE)).record
    assert attrs.has(payloads.payload_class(event.type) or object)
