"""Replay and verify: each check names what is wrong and where.

The forgeries below are made the way an insider with write access would make them: a
record is changed and its stream's hash chain recomputed, so that only the check under
test can catch it. The log is verified as a list of :class:`Item` (what verify reads),
from a store, or from its JSON Lines export.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest

from choice_workflow import Actor, ChoiceWorkflowError, Grant, ManualClock, Program, Role, State
from choice_workflow._pgserver import PostgresServer
from choice_workflow.audit import (
    INTEGRITY,
    Finding,
    Item,
    Kind,
    LogFormatError,
    export_log,
    read_lines,
    replay,
    verify,
)
from choice_workflow.audit.jsonl import HEADER, MAX_LINE
from choice_workflow.events import (
    PROGRAM_STREAM,
    UPCASTERS,
    Event,
    EventType,
    Upcaster,
    canonical_json,
    event_from_record,
    format_instant,
    parse_instant,
    register_upcaster,
)
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.base import Store
from choice_workflow.store.memory import MemoryStore
from choice_workflow.store.sql import SqlStore

DATA = Path(__file__).parent / "data"
START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
DEPARTMENT = Actor("dol", Role.DEPARTMENT)
DIRECTOR = Actor("director", Role.DIRECTOR)
SEALER = Actor("sys", Role.SYSTEM)


def _employer(employer_id: str) -> Actor:
    return Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id)


@attrs.frozen
class Scenario:
    """What the scenario left behind: the program, and the grants as they stood at
    ``between``, after G1's notice was confirmed and before G1 accepted."""

    program: Program
    between: pendulum.DateTime
    grants_then: dict[str, Grant]


def _scenario(store: Store | None = None) -> Scenario:
    """G1 accepted in time, G2 denied, G3 forfeited after its 48 hours (15(j))."""
    clock = ManualClock(START)
    program = Program(store, clock=clock)
    program.open_cycle(1, DIRECTOR, appropriation="150000.00")
    for n in (1, 2, 3):
        program.register_employer(sample_employer(f"E{n}", at=clock.now()), DEPARTMENT)
        application = sample_application(f"E{n}", at=clock.now(), amount="40000.00")
        program.apply(application, _employer(f"E{n}"), grant_id=f"G{n}")
    program.review("G1", DEPARTMENT, notes="complete")
    program.approve("G1", "40000.00", DIRECTOR)
    program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=clock.now())
    program.deny("G2", DEPARTMENT, reason="no current 14(c) certificate")
    program.approve("G3", "25000.00", DIRECTOR)
    program.confirm_notice("G3", DEPARTMENT, channel="address_of_record", confirmed_at=clock.now())
    grants_then = {g.id: g for g in program.grants()}
    between = clock.now().add(hours=1)
    clock.advance(hours=2)
    program.accept("G1", _employer("E1"))
    clock.advance(hours=47)
    program.sweep()
    return Scenario(program, between, grants_then)


def _items(store: Store) -> list[Item]:
    return [Item(s.position, s.record, s.prev_hash, s.hash) for s in store.stored_events()]


def _record(item: Item) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(item.record)
    return data


def _index(items: list[Item], stream_id: str, event_type: str) -> int:
    return next(
        i
        for i, item in enumerate(items)
        if (_record(item)["stream_id"], _record(item)["type"]) == (stream_id, event_type)
    )


def _rechain(items: list[Item], stream_id: str) -> list[Item]:
    """The items with one stream's hash chain recomputed over its records."""
    prev, out = GENESIS, []
    for item in items:
        if _record(item)["stream_id"] == stream_id:
            digest = link(prev, item.record)
            item = attrs.evolve(item, prev_hash=prev, hash=digest)
            prev = digest
        out.append(item)
    return out


def _forge(
    items: list[Item], stream_id: str, event_type: str, change: Callable[[dict[str, Any]], None]
) -> list[Item]:
    """Change one event's record and recompute its stream's chain."""
    i = _index(items, stream_id, event_type)
    record = _record(items[i])
    change(record)
    changed = [*items]
    changed[i] = attrs.evolve(items[i], record=canonical_json(record))
    return _rechain(changed, stream_id)


def _append(items: list[Item], event: Event) -> list[Item]:
    """Append an event, linked to the head of its stream."""
    head = next(i for i in reversed(items) if _record(i)["stream_id"] == event.stream_id)
    record = event.canonical_bytes()
    return [*items, Item(len(items) + 1, record, head.hash, link(head.hash, record))]


def _summary(findings: tuple[Finding, ...]) -> list[tuple[Kind, tuple[str, ...], str, int]]:
    return [(f.kind, f.cites, f.stream_id, f.version) for f in findings]


def _export(store: Store) -> bytes:
    out = io.BytesIO()
    export_log(store.stored_events(), out)
    return out.getvalue()


@pytest.fixture(name="scenario")
def fixture_scenario() -> Scenario:
    return _scenario()


@pytest.fixture(name="sqlite_store")
def fixture_sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'grants.sqlite'}")
    yield store
    store.dispose()


@pytest.fixture(name="upcasters")
def fixture_upcasters() -> Iterator[dict[tuple[str, int], Upcaster]]:
    """The upcaster registry, restored after the test."""
    saved = dict(UPCASTERS)
    yield UPCASTERS
    UPCASTERS.clear()
    UPCASTERS.update(saved)


# -- the scenario itself ---------------------------------------------------------------


def test_the_scenario_verifies_without_findings(scenario: Scenario) -> None:
    report = verify(scenario.program.store)
    assert () == report.findings
    expected = {"G1": State.ACCEPTED, "G2": State.DENIED, "G3": State.FORFEITED}
    assert expected == {gid: g.state for gid, g in report.grants.items()}


# -- forged records: the Act's guards at the recorded instant ---------------------------


@pytest.mark.cite("15(j)")
def test_an_acceptance_recorded_after_accept_by_is_a_failed_guard(scenario: Scenario) -> None:
    accept_by = scenario.program.grant("G1").accept_by
    assert accept_by is not None
    late = format_instant(accept_by.add(minutes=1))
    items = _forge(
        _items(scenario.program.store),
        "G1",
        EventType.ACCEPTED,
        lambda r: r.update(occurred_at=late, recorded_at=late),
    )
    assert [(Kind.GUARD_FAILED, ("15(j)",), "G1", 5)] == _summary(verify(items).findings)


@pytest.mark.cite("15(j)")
def test_an_acceptance_at_exactly_accept_by_is_in_time(scenario: Scenario) -> None:
    accept_by = scenario.program.grant("G1").accept_by
    assert accept_by is not None
    edge = format_instant(accept_by)
    items = _forge(
        _items(scenario.program.store),
        "G1",
        EventType.ACCEPTED,
        lambda r: r.update(occurred_at=edge, recorded_at=edge),
    )
    assert () == verify(items).findings


@pytest.mark.cite("15(h)")
def test_an_approval_of_60000_dollars_is_a_failed_guard(scenario: Scenario) -> None:
    items = _forge(
        _items(scenario.program.store),
        "G1",
        EventType.APPROVED,
        lambda r: r["payload"].update(amount="60000.00"),
    )
    findings = verify(items).findings
    # Then G3's lapse (nothing waiting) recorded $110,000 free, which the forged ledger
    # does not give: the return no longer agrees with the log (15(j)).
    assert [
        (Kind.GUARD_FAILED, ("15(h)",), "G1", 3), (Kind.GUARD_FAILED, ("15(j)",), "cycle:1", 2)
    ] == _summary(findings)  # fmt: skip
    assert "$110,000.00 free" in findings[1].message
    assert "the log gives $90,000.00" in findings[1].message


def test_an_acceptance_of_a_denied_grant_is_an_illegal_transition(scenario: Scenario) -> None:
    denied = scenario.program.events("G2")[-1]
    at = denied.recorded_at.add(hours=1)
    accepted = Event(
        EventType.ACCEPTED, "G2", 3, at, at, "E2-user", Role.EMPLOYER.value, "forged", {}
    )
    items = _append(_items(scenario.program.store), accepted)
    assert [(Kind.ILLEGAL_TRANSITION, (), "G2", 3)] == _summary(verify(items).findings)


@pytest.mark.cite("99")
def test_rules_changed_without_their_fingerprint_are_a_rules_mismatch(scenario: Scenario) -> None:
    items = _forge(
        _items(scenario.program.store),
        PROGRAM_STREAM,
        EventType.PROGRAM_STARTED,
        lambda r: r["payload"]["rules"].update(max_award="60000.00"),
    )
    assert [(Kind.RULES_MISMATCH, ("99",), PROGRAM_STREAM, 1)] == _summary(verify(items).findings)


def test_an_event_that_occurred_after_it_was_recorded_is_implausible(scenario: Scenario) -> None:
    def later(record: dict[str, Any]) -> None:
        recorded = parse_instant(record["recorded_at"])
        record["occurred_at"] = format_instant(recorded.add(hours=1))

    items = _forge(_items(scenario.program.store), "G1", EventType.REVIEWED, later)
    assert [(Kind.TIME_IMPLAUSIBLE, (), "G1", 2)] == _summary(verify(items).findings)


def _late_accept_by(record: dict[str, Any]) -> None:
    accept_by = parse_instant(record["payload"]["accept_by"])
    record["payload"]["accept_by"] = format_instant(accept_by.add(hours=24))


@pytest.mark.cite("15(j)")
def test_a_notice_with_a_wrong_accept_by_is_a_failed_guard(scenario: Scenario) -> None:
    items = _forge(
        _items(scenario.program.store), "G1", EventType.NOTICE_CONFIRMED, _late_accept_by
    )
    assert [(Kind.GUARD_FAILED, ("15(j)",), "G1", 4)] == _summary(verify(items).findings)


def test_the_wrong_accept_by_finding_names_the_position_of_its_event(scenario: Scenario) -> None:
    items = _forge(
        _items(scenario.program.store), "G1", EventType.NOTICE_CONFIRMED, _late_accept_by
    )
    position = items[_index(items, "G1", EventType.NOTICE_CONFIRMED)].position
    assert [position] == [f.position for f in verify(items).findings]


def test_an_employer_approving_is_not_permitted(scenario: Scenario) -> None:
    items = _forge(
        _items(scenario.program.store),
        "G1",
        EventType.APPROVED,
        lambda r: r.update(actor_id="E1-user", actor_role=Role.EMPLOYER.value),
    )
    cites = GRANT_LIFECYCLE.by_trigger["approve"].cites
    assert [(Kind.NOT_PERMITTED, cites, "G1", 3)] == _summary(verify(items).findings)


@pytest.mark.parametrize(
    "dropped", [pytest.param(1, id="Applied"), pytest.param(4, id="Applied-to-NoticeConfirmed")]
)
def test_a_grant_stream_missing_its_first_events_is_reported_not_raised(
    scenario: Scenario, dropped: int
) -> None:
    items = [
        i
        for i in _items(scenario.program.store)
        if not (_record(i)["stream_id"] == "G1" and _record(i)["version"] <= dropped)
    ]
    kinds = {f.kind for f in verify(items).findings}
    assert {Kind.STREAM_GAP, Kind.BROKEN_CHAIN} <= kinds


def test_an_approval_of_nan_dollars_is_reported_not_raised(scenario: Scenario) -> None:
    items = _forge(
        _items(scenario.program.store),
        "G1",
        EventType.APPROVED,
        lambda r: r["payload"].update(amount="NaN"),
    )
    found = sorted({(f.stream_id, f.version) for f in verify(items).findings})
    assert ("G1", 3) == found[0]  # the forged approval, then what could not follow it
    # and G3's return, judged against a ledger where G1 waits unapproved (15(j)).
    assert {"G1", "cycle:1"} == {stream for stream, _ in found}


# -- a SQLite store: projections and columns beside the log ------------------------------


def test_verify_of_a_program_run_on_sqlite_finds_nothing(sqlite_store: SqlStore) -> None:
    program = _scenario(sqlite_store).program
    root = program.seal(SEALER)
    report = verify(sqlite_store, expected_root=root)
    assert () == report.findings
    assert (len(_items(sqlite_store)), 1, root) == (report.events, report.seals, report.last_root)


def test_a_projection_changed_by_sql_is_a_projection_mismatch(sqlite_store: SqlStore) -> None:
    _scenario(sqlite_store)
    assert sqlite_store.engine is not None
    with sqlite_store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE grants SET state = 'approved', accepted_us = NULL WHERE id = 'G1'"
        )
    assert [(Kind.PROJECTION_MISMATCH, (), "G1", 5)] == _summary(verify(sqlite_store).findings)


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor_id", "'intruder'"), ("type", "'Denied'"), ("recorded_us", "recorded_us + 1")],
)
def test_an_events_column_changed_by_sql_is_a_column_mismatch(
    sqlite_store: SqlStore, column: str, value: str
) -> None:
    _scenario(sqlite_store)
    assert sqlite_store.engine is not None
    with sqlite_store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER events_no_update")
        conn.exec_driver_sql(
            f"UPDATE events SET {column} = {value} WHERE stream_id = 'G1' AND version = 3"
        )
    assert [(Kind.COLUMN_MISMATCH, (), "G1", 3)] == _summary(verify(sqlite_store).findings)


# -- replay as of an instant, and one answer from every source --------------------------


def test_replay_as_of_an_instant_returns_the_grants_as_they_were(scenario: Scenario) -> None:
    report = replay(scenario.program.store, as_of=scenario.between)
    assert scenario.grants_then == report.grants
    assert State.APPROVED == report.grants["G1"].state
    assert None is report.grants["G1"].accepted_us


def test_replay_as_of_before_the_first_event_has_no_grants(scenario: Scenario) -> None:
    report = replay(scenario.program.store, as_of=START - dt.timedelta(microseconds=1))
    assert ({}, 0) == (report.grants, report.events)


class _CountingUuids:
    """Stands in for the uuid module of the unit of work, where every id is drawn: 1, 2, ..."""

    def __init__(self) -> None:
        self.n = 0

    def uuid4(self) -> uuid.UUID:
        self.n += 1
        return uuid.UUID(int=self.n)


def test_replay_and_verify_agree_on_memory_sqlite_and_the_export(
    sqlite_store: SqlStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = MemoryStore()
    roots = []
    for store in (memory, sqlite_store):
        monkeypatch.setattr("choice_workflow.service.unit_of_work.uuid", _CountingUuids())
        roots.append(_scenario(store).program.seal(SEALER))
    exported = _export(memory)
    assert exported == _export(sqlite_store)  # one program, byte for byte
    path = tmp_path / "log.jsonl"
    path.write_bytes(exported)
    sources: list[Store | Path] = [memory, sqlite_store, path]
    replays = [replay(s) for s in sources]
    verifies = [verify(s, expected_root=roots[0]) for s in sources]
    assert roots[0] == roots[1]
    assert [replays[0]] * 3 == replays
    assert [verifies[0]] * 3 == verifies
    assert () == verifies[0].findings
    assert {"G1": State.ACCEPTED, "G2": State.DENIED, "G3": State.FORFEITED} == {
        gid: g.state for gid, g in replays[0].grants.items()
    }


# -- hostile JSON Lines -----------------------------------------------------------------


def _hostile(good: bytes) -> dict[str, tuple[bytes, int]]:
    """Damaged log files, each with the number of the line at fault."""
    lines = good.splitlines(keepends=True)
    first = lines[1]
    head = json.loads(first[: first.index(b',"record":')] + b"}")
    return {
        "no header": (b"".join(lines[1:]), 1),
        "empty file": (b"", 1),
        "truncated last line": (good[:-5], len(lines)),
        "oversized line": (HEADER + b"{" + b" " * MAX_LINE + b"}\n", 2),
        "invalid JSON": (HEADER + first + b'{"hash":"ab",,"position":2,"record":{}}\n', 3),
        "not an event line": (HEADER + first + b"hello\n", 3),
        "unexpected field": (
            HEADER + first.replace(b'{"hash"', b'{"extra":1,"hash"', 1),
            2,
        ),
        "upper-case hash": (
            HEADER + first.replace(head["hash"].encode(), head["hash"].upper().encode(), 1),
            2,
        ),
        "negative position": (
            HEADER + first.replace(b'"position":1,', b'"position":-1,', 1),
            2,
        ),
    }


HOSTILE = [
    "no header",
    "empty file",
    "truncated last line",
    "oversized line",
    "invalid JSON",
    "not an event line",
    "unexpected field",
    "upper-case hash",
    "negative position",
]


@pytest.mark.parametrize("damage", HOSTILE)
def test_a_damaged_log_file_is_refused_by_the_strict_reader_naming_its_line(
    scenario: Scenario, tmp_path: Path, damage: str
) -> None:
    content, line_no = _hostile(_export(scenario.program.store))[damage]
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(content)
    with pytest.raises(LogFormatError, match=rf"^line {line_no}\b"):
        list(read_lines(path))


@pytest.mark.parametrize("damage", [d for d in HOSTILE if d != "empty file"])
def test_verify_reports_a_damaged_line_at_its_line_and_goes_on(
    scenario: Scenario, tmp_path: Path, damage: str
) -> None:
    content, line_no = _hostile(_export(scenario.program.store))[damage]
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(content)
    report = verify(path)
    damaged = [f for f in report.findings if f.kind is Kind.DAMAGED_LINE]
    assert [line_no] == [f.line for f in damaged]
    assert re.match(rf"line {line_no}\b", damaged[0].message)


def test_verify_refuses_an_empty_file_which_is_no_log_at_all(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(LogFormatError, match=r"^line 1\b"):
        verify(path)


def test_the_log_format_error_is_a_library_error() -> None:
    assert issubclass(LogFormatError, ChoiceWorkflowError)


# -- upcasting: old records read as the current version ----------------------------------


def test_an_old_version_record_is_read_as_the_current_one_and_its_hash_still_verifies(
    scenario: Scenario, tmp_path: Path, upcasters: dict[tuple[str, int], Upcaster]
) -> None:
    # A made-up version 0 of Approved that kept the amount in cents.
    def version_0(record: dict[str, Any]) -> None:
        record["schema_version"] = 0
        record["payload"] = {"amount_cents": 4_000_000}

    items = _forge(_items(scenario.program.store), "G1", EventType.APPROVED, version_0)
    path = tmp_path / "old.jsonl"
    with path.open("wb") as out:
        out.write(HEADER)
        for item in items:
            head = canonical_json(
                {"hash": item.hash, "position": item.position, "prev_hash": item.prev_hash}
            )
            out.write(head[:-1] + b',"record":' + item.record + b"}\n")
    old = next(line for line in read_lines(path) if b'"schema_version":0' in line.record)
    assert old.hash == link(old.prev_hash, old.record)
    assert () != verify(path).findings  # unreadable until its upcaster is registered

    @register_upcaster(EventType.APPROVED, 0)
    def cents_to_amount(record: dict[str, Any]) -> dict[str, Any]:
        cents = int(record["payload"]["amount_cents"])
        amount = f"{Decimal(cents) / 100:.2f}"
        return {**record, "payload": {"amount": amount, "accept_by": None}}

    assert cents_to_amount is upcasters[(EventType.APPROVED, 0)]
    event = event_from_record(json.loads(old.record))
    assert (1, {"amount": "40000.00", "accept_by": None}) == (
        event.schema_version,
        dict(event.payload),
    )
    report = verify(path)
    # Read as the current version, folded and judged as such; but the format numbers
    # schema versions from 1, so the record itself is still not of the format.
    assert [(Kind.MALFORMED, "G1")] == [(f.kind, f.stream_id) for f in report.findings]
    assert "schema_version must be a whole number from 1" in report.findings[0].message
    assert Decimal("40000.00") == report.grants["G1"].amount
    assert old.record == next(line.record for line in read_lines(path) if line.hash == old.hash)


def test_an_employer_event_of_version_1_keeps_its_instants_and_reads_as_version_2(
    scenario: Scenario, tmp_path: Path
) -> None:
    # Version 1 of the employer events wrote the consent's instant with an offset; the
    # library's own old logs hold it so (tests/data/log-v1.jsonl). Its upcaster reads
    # it in the fixed form; the stored bytes and hashes stay as they were.
    def version_1(record: dict[str, Any]) -> None:
        consent = record["payload"]["employer"]["consent"]
        consent["given_at"] = parse_instant(consent["given_at"]).isoformat()
        record["schema_version"] = 1

    items = _forge(
        _items(scenario.program.store), "employer:E1", EventType.EMPLOYER_REGISTERED, version_1
    )
    old = items[_index(items, "employer:E1", EventType.EMPLOYER_REGISTERED)]
    assert b'"schema_version":1' in old.record
    assert b"+00:00" in old.record
    event = event_from_record(json.loads(old.record))
    assert 2 == event.schema_version
    given = event.payload["employer"]["consent"]["given_at"]
    assert given.endswith("Z")
    assert parse_instant(given) == parse_instant(
        json.loads(old.record)["payload"]["employer"]["consent"]["given_at"]
    )
    assert () == verify(items).findings

    # The same offset form in a record of version 2 is not of the format.
    def offset_in_version_2(record: dict[str, Any]) -> None:
        consent = record["payload"]["employer"]["consent"]
        consent["given_at"] = parse_instant(consent["given_at"]).isoformat()

    forged = _forge(
        _items(scenario.program.store),
        "employer:E1",
        EventType.EMPLOYER_REGISTERED,
        offset_in_version_2,
    )
    findings = verify(forged).findings
    assert [(Kind.MALFORMED, "employer:E1")] == [(f.kind, f.stream_id) for f in findings]
    assert "payload.employer.consent.given_at" in findings[0].message


def test_the_upcaster_registry_is_restored_after_a_test() -> None:
    assert (EventType.APPROVED, 0) not in UPCASTERS


# -- the committed version-1 log --------------------------------------------------------


LOG_V1 = DATA / "log-v1.jsonl"
ROOT_V1 = (DATA / "log-v1.root").read_text(encoding="ascii").strip()


def test_the_committed_version_1_log_replays_to_its_known_grants_and_root() -> None:
    assert LOG_V1.read_bytes().startswith(b'{"format":"choice_workflow-log","version":1}\n')
    report = replay(LOG_V1)
    assert () == report.findings
    assert (152, 1, ROOT_V1) == (report.events, report.seals, report.last_root)
    states = Counter(g.state.value for g in report.grants.values())
    assert {"evaluated": 7, "forfeited": 1} == dict(states)


def test_the_committed_version_1_log_keeps_its_chains_seal_and_known_root() -> None:
    report = verify(LOG_V1, expected_root=ROOT_V1)
    assert [] == [f for f in report.findings if f.kind in INTEGRITY]
    assert (152, 20, 1) == (report.events, report.streams, report.seals)


def test_the_committed_version_1_log_keeps_its_rules_fingerprint() -> None:
    findings = verify(LOG_V1).findings
    assert [] == [f for f in findings if f.kind is Kind.RULES_MISMATCH]


def test_the_committed_version_1_log_verifies_with_its_known_root() -> None:
    assert () == verify(LOG_V1, expected_root=ROOT_V1).findings


# -- PostgreSQL with a collation other than C --------------------------------------------


@pytest.mark.postgres
def test_a_clean_log_sealed_on_postgres_with_a_language_collation_verifies(
    pg_server: PostgresServer,
) -> None:
    import psycopg

    name = "t_verify_icu_collation"
    with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        try:
            conn.execute(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
            )
        except psycopg.Error as exc:
            pytest.skip(f"this PostgreSQL has no ICU collations: {exc}")
    store = SqlStore(pg_server.url(name))
    try:
        program = _scenario(store).program
        root = program.seal(SEALER)
        assert () == verify(store, expected_root=root).findings
    finally:
        store.dispose()
