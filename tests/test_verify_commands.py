"""verify re-judges every event through the registry, not only the grant's: forged
cycle, appropriation, selection, program and seal events are found, each with its cite
or integrity rule; instants that go back are found; the read models of an import are
those of the live program, amendments included."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest

from choice_workflow import Actor, ManualClock, Program, Role
from choice_workflow.audit import Item, Kind, export_log, import_log, verify
from choice_workflow.domain.application import application_to_data
from choice_workflow.events import (
    PROGRAM_STREAM,
    SEAL_STREAM,
    Event,
    EventType,
    canonical_json,
    event_from_record,
    format_instant,
)
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store import MemoryStore, Store
from choice_workflow.store.sql import SqlStore

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
DEPARTMENT = Actor("dol-1", Role.DEPARTMENT)
DIRECTOR = Actor("director-1", Role.DIRECTOR)
E1 = Actor("e1-user", Role.EMPLOYER, employer_id="E1")


def _program(store: Store | None = None) -> tuple[Program, ManualClock]:
    clock = ManualClock(START)
    program = Program(store or MemoryStore(), clock=clock)
    program.register_employer(sample_employer("E1", at=START), DEPARTMENT)
    program.open_cycle(1, DIRECTOR, appropriation="100000.00")
    program.apply(sample_application("E1", at=START), E1, grant_id="G1")
    clock.advance(hours=1)
    program.approve("G1", "25000.00", DIRECTOR)
    return program, clock


def _items(store: Store) -> list[Item]:
    return [Item(s.position, s.record, s.prev_hash, s.hash) for s in store.stored_events()]


def _record(item: Item) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(item.record)
    return value


def _rechain(items: list[Item]) -> list[Item]:
    """Every stream's chain computed again (an insider who can rewrite the log)."""
    heads: dict[str, str] = {}
    out = []
    for i in items:
        stream = _record(i)["stream_id"]
        prev = heads.get(stream, GENESIS)
        digest = link(prev, i.record)
        heads[stream] = digest
        out.append(Item(i.position, i.record, prev, digest))
    return out


def _forge(
    items: list[Item], stream: str, kind: str, edit: Callable[[dict[str, Any]], None]
) -> list[Item]:
    at = next(
        n
        for n, i in enumerate(items)
        if (_record(i)["stream_id"], _record(i)["type"]) == (stream, kind)
    )
    record = _record(items[at])
    edit(record)
    changed = list(items)
    changed[at] = attrs.evolve(items[at], record=canonical_json(record))
    return _rechain(changed)


def _insert(items: list[Item], after: int, event: Event) -> list[Item]:
    """An event inserted after position ``after`` (the log renumbered, chains rebuilt)."""
    new = Item(0, event.canonical_bytes(), "", "")
    merged = [*items[:after], new, *items[after:]]
    return _rechain([attrs.evolve(i, position=n) for n, i in enumerate(merged, start=1)])


def _kinds(items: list[Item]) -> list[tuple[Kind, tuple[str, ...], str]]:
    return [(f.kind, f.cites, f.stream_id) for f in verify(items).findings]


def test_a_clean_log_of_every_stream_kind_has_no_findings() -> None:
    program, _ = _program()
    program.seal(DEPARTMENT)
    report = verify(program.store)
    assert () == report.findings
    assert report.events == report.judged  # every event decided again


@pytest.mark.cite("15(a)")
def test_a_cycle_opened_by_an_employer_is_not_permitted() -> None:
    program, _ = _program()
    items = _forge(
        _items(program.store), "cycle:1", EventType.CYCLE_OPENED,
        lambda r: r.update(actor_id="e1-user", actor_role="employer"),
    )  # fmt: skip
    assert [(Kind.NOT_PERMITTED, ("15(a)", "15(f)"), "cycle:1")] == _kinds(items)


@pytest.mark.cite("15(a)")
def test_a_cycle_opened_before_july_1_2030_is_a_failed_guard() -> None:
    program, _ = _program()
    early = format_instant(pendulum.datetime(2029, 7, 1, tz="America/Chicago"))
    items = _forge(
        _items(program.store), "cycle:1", EventType.CYCLE_OPENED,
        lambda r: r["payload"].update(opens_at=early),
    )  # fmt: skip
    assert [(Kind.GUARD_FAILED, ("15(a)",), "cycle:1")] == _kinds(items)


@pytest.mark.cite("15(a)")
def test_an_appropriation_or_a_selection_by_a_role_that_may_not_make_it_is_found() -> None:
    program, clock = _program()
    clock.advance(hours=1)
    program.set_appropriation(1, "120000.00", DIRECTOR)
    program.select_awards(1, DIRECTOR)
    for kind, cites in (
        (EventType.APPROPRIATION_SET, ("15(a)",)),
        (EventType.AWARDS_SELECTED, ("15(d)", "15(e)")),
    ):
        items = _forge(
            _items(program.store), "cycle:1", kind,
            lambda r: r.update(actor_id="dol-1", actor_role="department"),
        )  # fmt: skip
        assert [(Kind.NOT_PERMITTED, cites, "cycle:1")] == _kinds(items)


@pytest.mark.cite("15(f)")
def test_a_second_opening_of_a_cycle_is_found() -> None:
    program, _ = _program()
    items = _items(program.store)
    opened = next(i for i in items if _record(i)["type"] == EventType.CYCLE_OPENED)
    second = attrs.evolve(
        _event_of(opened), version=2, command_id="again",
        recorded_at=START.add(hours=2), occurred_at=START.add(hours=2),
    )  # fmt: skip
    found = _kinds(_insert(items, len(items), second))
    assert (Kind.GUARD_FAILED, ("15(f)",), "cycle:1") in found


@pytest.mark.cite("99")
def test_a_second_program_start_is_found() -> None:
    program, _ = _program()
    items = _items(program.store)
    started = _event_of(items[0])
    second = attrs.evolve(
        started,
        version=2,
        command_id="restart",
        recorded_at=START.add(hours=2),
        occurred_at=START.add(hours=2),
    )
    found = _kinds(_insert(items, len(items), second))
    assert [(Kind.GUARD_FAILED, ("99",), PROGRAM_STREAM)] == found


def test_a_backdated_event_in_a_stream_is_found() -> None:
    program, clock = _program()
    clock.advance(days=1)
    program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=clock.now())
    early = format_instant(START.add(minutes=30))
    items = _forge(
        _items(program.store), "G1", EventType.NOTICE_CONFIRMED,
        lambda r: r.update(recorded_at=early),
    )  # fmt: skip
    assert (Kind.BACKDATED, (), "G1") in _kinds(items)


def test_a_seal_older_than_the_events_it_covers_is_found() -> None:
    program, clock = _program()
    clock.advance(days=1)
    program.seal(DEPARTMENT)
    early = format_instant(START.subtract(years=4))
    items = _forge(
        _items(program.store),
        SEAL_STREAM,
        EventType.SEALED,
        lambda r: r.update(recorded_at=early, occurred_at=early),
    )
    assert (Kind.BACKDATED, (), SEAL_STREAM) in _kinds(items)


@pytest.mark.cite("15(a)")
def test_a_cycles_table_that_differs_from_the_fold_of_its_events_is_found(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'c.sqlite'}")
    _program(store)
    assert store.engine is not None
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE cycles SET reserved = '0.00' WHERE number = 1")
    assert [(Kind.PROJECTION_MISMATCH, ("15(a)",), "cycle:1")] == [
        (f.kind, f.cites, f.stream_id) for f in verify(store).findings
    ]
    store.dispose()


@pytest.mark.cite("15(b)")
def test_an_import_keeps_the_amended_application_and_verify_compares_it(tmp_path: Path) -> None:
    clock = ManualClock(START)
    program = Program(clock=clock)
    program.register_employer(sample_employer("E1", at=START), DEPARTMENT)
    program.open_cycle(1, DIRECTOR, appropriation="100000.00")
    application = sample_application("E1", at=START)
    program.apply(application, E1, grant_id="G1")
    amended = attrs.evolve(application, amount_requested=application.amount_requested + 5000)
    program.amend("G1", amended, E1, reason="a larger budget")
    out = io.BytesIO()
    export_log(program.store.stored_events(), out)
    path = tmp_path / "log.jsonl"
    path.write_bytes(out.getvalue())
    copy = SqlStore(f"sqlite:///{tmp_path / 'copy.sqlite'}")
    import_log(path, copy)
    imported = Program(copy, clock=clock)
    assert (amended, program.grant("G1")) == (imported.application("G1"), imported.grant("G1"))
    assert () == verify(copy).findings
    assert copy.engine is not None
    with copy.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM applications")
        conn.exec_driver_sql(
            "INSERT INTO applications (grant_id, data) VALUES ('G1', :d)",
            {"d": canonical_json(_data(application)).decode()},
        )
    assert [(Kind.PROJECTION_MISMATCH, "G1")] == [
        (f.kind, f.stream_id) for f in verify(copy).findings
    ]
    copy.dispose()


def _data(application: Any) -> dict[str, Any]:
    return application_to_data(application)


def _event_of(item: Item) -> Event:
    return event_from_record(_record(item))


@pytest.mark.cite("15(g)", "10(3)")
def test_rows_the_log_lacks_and_an_award_it_never_made_are_found(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'r.sqlite'}")
    _program(store)
    assert () == verify(store).findings
    assert store.engine is not None
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO employers (id, data) SELECT 'E9', data FROM employers WHERE id = 'E1'"
        )
        conn.exec_driver_sql("DELETE FROM awards")
    found = [(f.kind, f.stream_id, f.cites) for f in verify(store).findings]
    assert [
        (Kind.PROJECTION_MISMATCH, "employer:E9", ()),
        (Kind.PROJECTION_MISMATCH, "", ("15(g)", "10(3)")),
    ] == found
    store.dispose()
