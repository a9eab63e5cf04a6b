"""Following the log (docs/howto/subscriptions.md): every event after a stored position,
at least once, from a complete prefix of the log, woken by PostgreSQL's notification."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from choice_workflow import (
    InvalidInput,
    ManualClock,
    PositionFile,
    Program,
    StoreError,
    Subscription,
)
from choice_workflow.samples import sample_employer
from choice_workflow.simulate import simulate
from choice_workflow.store.base import Store, StoredEvent
from choice_workflow.store.sql import SqlStore
from tests.workers import DEPARTMENT, START, hold_a_commit

ROOT = Path(__file__).resolve().parent.parent
OUTBOX = ROOT / "examples" / "outbox.py"


def _register(store: Store, employer_id: str) -> None:
    Program(store, clock=ManualClock(START)).register_employer(
        sample_employer(employer_id, at=START), DEPARTMENT
    )


def _positions(events: list[StoredEvent]) -> list[int]:
    return [s.position for s in events]


def test_a_subscription_hands_out_the_log_in_order_and_then_what_comes(every_store: Store) -> None:
    _register(every_store, "E-1")
    everything = list(every_store.stored_events())
    follow = Subscription(every_store, batch=2)
    assert _positions(everything) == _positions(list(follow.caught_up()))
    assert everything[-1].position == follow.position
    assert [] == list(follow.caught_up())
    _register(every_store, "E-2")
    new = list(follow.caught_up())
    assert new
    assert all(s.event.stream_id == "employer:E-2" for s in new)
    assert _positions(list(every_store.stored_events()))[len(everything) :] == _positions(new)


def test_a_subscription_resumes_after_the_position_given(every_store: Store) -> None:
    _register(every_store, "E-1")
    _register(every_store, "E-2")
    everything = list(every_store.stored_events())
    middle = everything[len(everything) // 2].position
    resumed = list(Subscription(every_store, middle).caught_up())
    assert [p for p in _positions(everything) if p > middle] == _positions(resumed)
    assert _positions(everything[:3]) == _positions(Program(every_store).log(0, limit=3))


def test_stop_ends_the_iteration_after_the_event_being_handled() -> None:
    program = Program(clock=ManualClock(START))
    program.register_employer(sample_employer("E-1", at=START), DEPARTMENT)
    follow = program.follow(batch=100)
    handed = []
    for stored in follow:
        handed.append(stored.position)
        if len(handed) == 2:
            follow.stop()
    assert [1, 2] == handed
    assert 2 == follow.position


def test_the_position_is_the_event_being_handled_not_the_end_of_its_batch() -> None:
    program = Program(clock=ManualClock(START))
    for n in range(1, 4):
        program.register_employer(sample_employer(f"E-{n}", at=START), DEPARTMENT)
    follow = program.follow(batch=100)  # one batch holds the whole log
    seen = []
    for stored in follow.caught_up():
        assert stored.position == follow.position
        seen.append(stored.position)
        if len(seen) == 2:
            follow.stop()
    assert [1, 2] == seen
    assert 2 == follow.position  # what a consumer stores: nothing after it was handed out
    batches = program.follow(batch=2)
    first = next(batches.batches())
    assert first[-1].position == batches.position


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"after": -1}, "after"), ({"after": "3"}, "after"), ({"after": True}, "after"),
     ({"batch": 0}, "batch"), ({"wait": 0}, "wait"), ({"wait": 7200}, "wait")],
)  # fmt: skip
def test_a_subscription_refuses_what_is_not_a_position_a_batch_or_a_wait(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        Program().follow(**kwargs)  # type: ignore[arg-type]
    assert [field] == [p.field for p in refused.value.problems]


def test_a_follower_of_the_memory_store_is_woken_by_the_commit() -> None:
    program = Program(clock=ManualClock(START))
    follow = program.follow(wait=600)
    got: list[StoredEvent] = []

    def consume() -> None:
        for stored in follow:
            got.append(stored)
            if stored.event.stream_id == "employer:E-1":
                follow.stop()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    program.register_employer(sample_employer("E-1", at=START), DEPARTMENT)
    consumer.join(60)  # a 600-second wait ends only by the commit's wake-up
    assert not consumer.is_alive()
    assert "employer:E-1" == got[-1].event.stream_id


def test_the_position_file_is_written_whole_and_read_back(tmp_path: Path) -> None:
    kept = PositionFile(tmp_path / "position")
    assert 0 == kept.load()
    kept.save(41)
    kept.save(42)
    assert 42 == kept.load()
    assert ["position"] == sorted(p.name for p in tmp_path.iterdir())  # no temporary left
    (tmp_path / "position").write_text("forty-two\n")
    with pytest.raises(StoreError, match="does not hold a position"):
        kept.load()
    with pytest.raises(InvalidInput):
        kept.save(-1)


def _outbox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(OUTBOX), *args], capture_output=True, text=True,
        timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip


@pytest.fixture(
    name="url_and_prefix", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fixture_url_and_prefix(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'grants.sqlite'}", ""
    return str(request.getfixturevalue("pg_url")), f"f{os.getpid()}_{len(request.node.name)}_"


def test_a_consumer_killed_mid_batch_resumes_from_its_position_and_misses_nothing(
    url_and_prefix: tuple[str, str], tmp_path: Path
) -> None:
    url, prefix = url_and_prefix
    store = SqlStore(url, prefix=prefix)
    simulate(4, store=store)
    log = list(store.stored_events())
    store.dispose()
    base = [f"--db={url}", f"--prefix={prefix}", f"--position={tmp_path / 'position'}",
            f"--sink={tmp_path / 'sink.jsonl'}", "--batch=100"]  # fmt: skip
    killed = _outbox(*base, "--crash-after=150")
    assert -signal.SIGKILL == killed.returncode, killed.stderr
    assert log[99].position == PositionFile(tmp_path / "position").load()  # the first batch
    resumed = _outbox(*base)
    assert 0 == resumed.returncode, resumed.stderr
    rows = [json.loads(line) for line in (tmp_path / "sink.jsonl").read_text().splitlines()]
    warehouse = [r["position"] for r in rows if r["kind"] == "warehouse"]
    assert _positions(log) == sorted(set(warehouse))  # every event, after deduplication
    again = sorted(p for p in set(warehouse) if warehouse.count(p) > 1)
    assert _positions(log[100:150]) == again  # handed out twice: the unsaved batch's part
    approvals = {s.position for s in log if s.event.type == "Approved"}
    assert approvals == {r["position"] for r in rows if r["kind"] == "email"}
    assert log[-1].position == PositionFile(tmp_path / "position").load()


def test_a_waiting_consumer_is_woken_by_a_new_event(
    url_and_prefix: tuple[str, str], tmp_path: Path
) -> None:
    url, prefix = url_and_prefix
    store = SqlStore(url, prefix=prefix)
    _register(store, "E-1")
    count = sum(1 for _ in store.stored_events())
    position = tmp_path / "position"
    wait = "600" if url.startswith("postgresql") else "0.2"  # PostgreSQL: woken by NOTIFY only
    consumer = subprocess.Popen(
        [sys.executable, str(OUTBOX), f"--db={url}", f"--prefix={prefix}", f"--position={position}",
         f"--sink={tmp_path / 'sink.jsonl'}", "--follow", f"--wait={wait}", f"--stop-after={count + 1}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        last = list(store.stored_events())[-1].position
        assert consumer.stdout is not None
        for line in consumer.stdout:  # until the consumer has caught up and waits
            if line.strip() == f"saved {last}":
                break
        _register(store, "E-2")
        _, err = consumer.communicate(timeout=60)
        last = list(store.stored_events())[-1].position
    finally:
        consumer.kill()
        store.dispose()
    assert 0 == consumer.returncode, err
    assert last == PositionFile(position).load()


@pytest.mark.postgres
def test_a_page_of_the_log_never_passes_an_event_still_to_commit(pg_url: str) -> None:
    prefix = "held_"
    store = SqlStore(pg_url, prefix=prefix)
    _register(store, "E-0")
    before = list(store.stored_events())[-1].position
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=hold_a_commit, args=(pg_url, prefix, ready, release))
    holder.start()
    try:
        assert ready.wait(60), "the holder never reached its commit"
        _register(store, "E-LATER")  # positioned after E-HELD's events, committed first
        page: list[StoredEvent] = []
        reader = threading.Thread(target=lambda: page.extend(store.log_page(before, 100)))
        reader.start()
        reader.join(0.5)  # without the horizon, the page would be E-LATER's events alone
        release.set()
        reader.join(60)
        holder.join(60)
    finally:
        release.set()
        holder.join(5)
        store.dispose()
    assert 0 == holder.exitcode
    streams = [s.event.stream_id for s in page]
    assert "employer:E-HELD" == streams[0], [(s.position, s.event.stream_id) for s in page]
    assert "employer:E-LATER" in streams
    assert sorted(_positions(page)) == _positions(page)


def test_the_trigger_and_the_listener_name_the_same_channel() -> None:
    import inspect

    from choice_workflow.store import sql
    from choice_workflow.store.schema import NOTIFY_CHANNEL, make_tables, notify_ddl

    (function, _trigger) = notify_ddl(make_tables("p_", "s"), "postgresql")
    assert f"pg_notify('{NOTIFY_CHANNEL}'" in function
    assert f'LISTEN {NOTIFY_CHANNEL}"' in inspect.getsource(sql.SqlStore._listen).replace(")", '"')
    assert [] == notify_ddl(make_tables(), "sqlite")
