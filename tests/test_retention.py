"""Record retention (2 CFR 200.334, applied to State grants by 30 ILCS 708): the
retention date set at close-out, holds, and the records package for the archive;
nothing is ever deleted from the log."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pendulum
import pytest

from choice_workflow import ManualClock, NotPermitted, Program, Rules, State, TransitionRefused
from choice_workflow.audit import verify
from choice_workflow.audit.records import PackageRefused, export_grant
from choice_workflow.domain.wages import WageRecord
from choice_workflow.events import EventType
from choice_workflow.store.base import Store
from choice_workflow.store.sql import SqlStore
from choice_workflow.testing.scenarios import (
    START,
    Actors,
    approve_and_accept,
    register_and_apply,
)

CHICAGO = "America/Chicago"
GRANT = "G-E1"
ACTORS = Actors()
EMPLOYER = ACTORS.employer("E1")


def _clock(program: Program) -> ManualClock:
    clock = program.clock
    assert isinstance(clock, ManualClock)
    return clock


def _ready_to_close(store: Store | None = None, rules: Rules | None = None) -> Program:
    """E1's grant at the end of its 3-year period with every record a close-out needs:
    accepted July 1, 2030 9:00 CDT, so the period ends July 1, 2033 9:00 CDT."""
    program = Program(store, clock=ManualClock(START), rules=rules)
    clock = _clock(program)
    register_and_apply(program, "E1")
    approve_and_accept(program, GRANT)
    program.begin_transition(GRANT, EMPLOYER, started_at=clock.now())
    for k in range(program.rules.disbursement_quarters):
        clock.move_to(START.add(months=3 * k))
        program.disburse(GRANT, ACTORS.department)
    wage = WageRecord(
        employee_id="w1", paid_on=clock.now().in_timezone(CHICAGO).date(),
        hourly=Decimal("16.00"), has_disability=True,
    )  # fmt: skip
    program.record_wages(GRANT, EMPLOYER, [wage], final=True)
    program.evaluate(GRANT, ACTORS.evaluator)
    clock.move_to(START.add(years=3))
    return program


def _closed(store: Store | None = None, rules: Rules | None = None) -> Program:
    program = _ready_to_close(store, rules)
    program.close_out(GRANT, ACTORS.department)
    return program


@pytest.fixture(name="sqlite_store")
def fixture_sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'retention.sqlite'}")
    yield store
    store.dispose()


# -- the retention date ------------------------------------------------------------


@pytest.mark.cite("2 CFR 200.334", "15(f)")
@pytest.mark.parametrize("years", [3, 7])
def test_records_are_kept_the_rules_retention_years_after_the_close_out(years: int) -> None:
    rules = attrs.evolve(Rules.illinois(), retention_years=years)
    program = _closed(rules=rules)
    closed_at = START.add(years=3)
    retention = program.retention(GRANT)
    expected = pendulum.datetime(2033 + years, 7, 1, 9, tz=CHICAGO)
    assert (closed_at, expected, False, False) == (
        retention.closed_at,
        retention.retain_until,
        retention.on_hold,
        retention.may_archive,
    )
    event = program.events(GRANT)[-1]
    assert (EventType.CLOSED_OUT, years) == (event.type, event.payload["retention_years"])
    assert expected == pendulum.parse(event.payload["retain_until"])
    assert expected == program.grant(GRANT).retain_until


@pytest.mark.cite("2 CFR 200.334")
def test_the_retention_date_is_on_the_local_calendar_across_daylight_saving_time() -> None:
    # Closed out in summer (CDT): the date three years on is at the same wall-clock hour.
    program = _ready_to_close()
    clock = _clock(program)
    clock.move_to(pendulum.datetime(2033, 11, 4, 9, tz=CHICAGO))  # CST
    program.close_out(GRANT, ACTORS.director)
    until = program.retention(GRANT).retain_until
    assert until is not None
    local = until.in_timezone(CHICAGO)
    assert (2036, 11, 4, 9, 0) == (local.year, local.month, local.day, local.hour, local.minute)


@pytest.mark.cite("2 CFR 200.334")
def test_an_open_grant_has_no_retention_date_and_may_not_be_archived() -> None:
    program = _ready_to_close()
    retention = program.retention(GRANT)
    assert (None, None, False) == (
        retention.closed_at,
        retention.retain_until,
        retention.may_archive,
    )


@pytest.mark.cite("2 CFR 200.334")
def test_records_may_be_archived_from_the_retention_date_and_not_before() -> None:
    program = _closed()
    until = program.retention(GRANT).retain_until
    assert until is not None
    clock = _clock(program)
    clock.move_to(until.subtract(microseconds=1))
    assert not program.retention(GRANT).may_archive
    clock.move_to(until)
    assert program.retention(GRANT).may_archive
    clock.advance(days=400)
    assert program.retention(GRANT).may_archive


# -- holds ---------------------------------------------------------------------


@pytest.mark.cite("2 CFR 200.334")
def test_a_hold_keeps_records_past_the_retention_date_until_it_is_released() -> None:
    program = _closed()
    until = program.retention(GRANT).retain_until
    assert until is not None
    program.place_hold(GRANT, ACTORS.director, reason="litigation: Doe v. Works")
    _clock(program).move_to(until.add(days=1))
    held = program.retention(GRANT)
    assert (True, False) == (held.on_hold, held.may_archive)
    program.release_hold(GRANT, ACTORS.department, reason="case closed")
    released = program.retention(GRANT)
    assert (False, True) == (released.on_hold, released.may_archive)
    types = [e.type for e in program.events(GRANT)][-2:]
    assert [EventType.HOLD_PLACED, EventType.HOLD_RELEASED] == types
    assert State.CLOSED == program.grant(GRANT).state


@pytest.mark.cite("2 CFR 200.334")
def test_a_hold_is_placed_once_and_released_once() -> None:
    program = _closed()
    with pytest.raises(TransitionRefused, match="not on hold"):
        program.release_hold(GRANT, ACTORS.director, reason="nothing held")
    program.place_hold(GRANT, ACTORS.director, reason="audit")
    with pytest.raises(TransitionRefused, match="already on hold"):
        program.place_hold(GRANT, ACTORS.director, reason="audit again")
    program.release_hold(GRANT, ACTORS.director, reason="audit done")
    with pytest.raises(TransitionRefused, match="not on hold"):
        program.release_hold(GRANT, ACTORS.director, reason="twice")
    holds = [e.type for e in program.events(GRANT) if "Hold" in e.type]
    assert [EventType.HOLD_PLACED, EventType.HOLD_RELEASED] == holds


@pytest.mark.cite("2 CFR 200.334")
def test_a_hold_needs_a_reason_and_the_department_or_the_director() -> None:
    program = _closed()
    with pytest.raises(TransitionRefused) as refused:
        program.place_hold(GRANT, ACTORS.director, reason=" ")
    assert [("2 CFR 200.334",)] == [p.cites for p in refused.value.problems]
    for actor in (EMPLOYER, ACTORS.evaluator, ACTORS.auditor):
        with pytest.raises(NotPermitted):
            program.place_hold(GRANT, actor, reason="mine")
    assert not program.retention(GRANT).on_hold


@pytest.mark.cite("2 CFR 200.334")
def test_a_hold_placed_before_the_close_out_still_holds_after_it() -> None:
    program = _ready_to_close()
    program.place_hold(GRANT, ACTORS.director, reason="audit of cycle 1")
    program.close_out(GRANT, ACTORS.department)
    until = program.retention(GRANT).retain_until
    assert until is not None
    _clock(program).move_to(until)
    assert (True, False) == (
        program.retention(GRANT).on_hold,
        program.retention(GRANT).may_archive,
    )


# -- the records package -------------------------------------------------------------


def _event_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM events").fetchone()
    return int(count)


@pytest.mark.cite("2 CFR 200.334", "20(a)(1)")
def test_the_records_package_holds_verified_files_with_their_digests(
    tmp_path: Path, sqlite_store: SqlStore
) -> None:
    program = _closed(sqlite_store)
    final = program.grant(GRANT).final_wages_version
    assert final is not None
    corrected = WageRecord(
        employee_id="w1", paid_on=START.add(months=33).date(), hourly=Decimal("16.50"),
        has_disability=True,
    )  # fmt: skip
    program.correct(GRANT, EMPLOYER, corrects=final, reason="keyed wrong", wages=[corrected])
    database = tmp_path / "retention.sqlite"
    rows = _event_rows(database)
    package = export_grant(program, GRANT, tmp_path / "package")
    out = tmp_path / "package"
    expected = ["chain.json", "events.jsonl", "grant.json", "manifest.json", "notice.html",
                "notice.txt", "proofs.json"]  # fmt: skip
    assert expected == sorted(p.name for p in out.iterdir())
    assert sorted(package.files) == expected
    manifest = json.loads((out / "manifest.json").read_text())
    assert (GRANT, 1) == (manifest["grant_id"], manifest["version"])
    assert sorted(set(expected) - {"manifest.json"}) == sorted(manifest["files"])
    for name, digest in manifest["files"].items():
        assert digest == hashlib.sha256((out / name).read_bytes()).hexdigest(), name

    report = verify(out / "events.jsonl")
    assert () == report.findings
    assert package.events == report.events
    lines = (out / "events.jsonl").read_bytes().splitlines()[1:]
    packed = {(r["stream_id"], r["version"]) for r in (json.loads(x)["record"] for x in lines)}
    for stream in (GRANT, "employer:E1"):
        assert {(stream, e.version) for e in program.events(stream)} <= packed
    assert program.grant(GRANT) == report.grants[GRANT]

    chain = json.loads((out / "chain.json").read_text())
    head = [s for s in sqlite_store.stored_events() if s.event.stream_id == GRANT][-1]
    assert (GRANT, head.event.version, head.hash, True) == (
        chain["stream_id"],
        chain["version"],
        chain["hash"],
        chain["verified"],
    )
    assert (head.event.version, head.hash) == (package.head_version, package.head_hash)
    with sqlite_store.transaction() as tx:
        heads = {s: (v, h) for s, v, h in tx.stream_heads()}
    assert heads[GRANT] == (chain["version"], chain["hash"])

    assert program.notice_of_award(GRANT).text() == (out / "notice.txt").read_text()
    summary = json.loads((out / "grant.json").read_text())
    assert ("closed", "25000.00", "25000.00") == (
        summary["state"],
        summary["amount"],
        summary["disbursed"],
    )
    assert "2036-07-01T14:00:00.000000Z" == summary["retention"]["retain_until"]
    assert [(final, ["records"], "keyed wrong")] == [
        (c["corrects"], c["fields"], c["reason"]) for c in summary["corrections"]
    ]
    assert rows == _event_rows(database)


@pytest.mark.cite("2 CFR 200.334")
def test_nothing_is_deleted_from_the_log_when_records_may_be_archived(
    tmp_path: Path, sqlite_store: SqlStore
) -> None:
    program = _closed(sqlite_store)
    database = tmp_path / "retention.sqlite"
    rows = _event_rows(database)
    until = program.retention(GRANT).retain_until
    assert until is not None
    _clock(program).move_to(until.add(years=10))
    assert program.retention(GRANT).may_archive
    export_grant(program, GRANT, tmp_path / "archive")
    export_grant(program, GRANT, tmp_path / "archive-2")  # again, into a new directory
    assert rows == _event_rows(database)
    assert State.CLOSED == program.grant(GRANT).state
    assert () == verify(sqlite_store).findings


@pytest.mark.cite("2 CFR 200.334")
def test_the_package_records_the_last_seal_of_the_grants_head(
    tmp_path: Path, sqlite_store: SqlStore
) -> None:
    program = _closed(sqlite_store)
    root = program.seal(ACTORS.department)
    package = export_grant(program, GRANT, tmp_path / "sealed")
    chain = json.loads((tmp_path / "sealed" / "chain.json").read_text())
    assert (root, root, True) == (
        package.sealed_root,
        chain["last_seal"]["root"],
        chain["sealed_at_head"],
    )
    program.place_hold(GRANT, ACTORS.director, reason="audit")
    export_grant(program, GRANT, tmp_path / "later")
    later = json.loads((tmp_path / "later" / "chain.json").read_text())
    assert (root, False) == (later["last_seal"]["root"], later["sealed_at_head"])
    summary = json.loads((tmp_path / "later" / "grant.json").read_text())
    assert summary["retention"]["on_hold"] is True


@pytest.mark.cite("2 CFR 200.334")
def test_a_records_package_is_never_written_over_files_or_through_a_link(
    tmp_path: Path,
) -> None:
    program = _closed()
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "chain.json").symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(PackageRefused):
        export_grant(program, GRANT, taken)
    assert not (tmp_path / "elsewhere.json").exists()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "target", target_is_directory=True)
    with pytest.raises(PackageRefused):
        export_grant(program, GRANT, link)
    assert not (tmp_path / "target").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    package = export_grant(program, GRANT, empty)
    assert sorted(p.name for p in empty.iterdir()) == sorted(package.files)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial left


@pytest.mark.cite("15(i)")
def test_the_package_holds_each_notice_as_it_was_sent(tmp_path: Path) -> None:
    program = Program(clock=ManualClock(START))
    program.open_cycle(1, ACTORS.director, appropriation="1000000.00")
    register_and_apply(program, "E1")
    program.approve(GRANT, "25000.00", ACTORS.director)
    program.send_notice(GRANT, ACTORS.department, channel="email")
    program.change_contact("E1", ACTORS.department, email="new@e1.example", reason="moved")
    program.send_notice(GRANT, ACTORS.department, channel="email")
    program.change_contact("E1", ACTORS.department, email="later@e1.example", reason="again")
    package = export_grant(program, GRANT, tmp_path / "p")
    assert "later@e1.example" in (package.directory / "notice.txt").read_text()
    summary = json.loads((package.directory / "grant.json").read_text())
    sent = [e for e in program.events(GRANT) if e.type == EventType.NOTICE_SENT]
    assert [e.version for e in sent] == [n["version"] for n in summary["notices_sent"]]
    for event, notice in zip(sent, summary["notices_sent"], strict=True):
        text = (package.directory / f"notice-sent-v{event.version}.txt").read_bytes()
        assert event.payload["sha256"] == hashlib.sha256(text).hexdigest() == notice["sha256"]
        assert notice["matches_the_log"] is True
        assert str(event.payload["to"]) in text.decode()
