"""What the database does wrong reaches the caller as the library's own error, with a
hint, never with the SQL text or its parameters: a SQLite lock held too long, a
PostgreSQL backend terminated mid-command, a server restarted mid-run, and processes
that start together on a new database (their migrations wait for each other)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from choice_workflow import ConnectionLost, ManualClock, Program, StoreError
from choice_workflow._pgserver import PostgresServer, ServerUnavailable
from choice_workflow.audit import verify
from choice_workflow.samples import sample_employer
from choice_workflow.store import _faults
from choice_workflow.store.sql import SqlStore
from tests.workers import DEPARTMENT, START, open_store

LEAKS = ("SELECT", "INSERT", "UPDATE", "[SQL:", "parameters:", "E-SECRET")
"""What no message may carry: statements, SQLAlchemy's parameter dump, bound values."""


def _clean(error: BaseException) -> None:
    text = f"{error} {getattr(error, 'hint', '')}"
    assert [] == [word for word in LEAKS if word in text], text


def _register(program: Program, employer_id: str) -> None:
    program.register_employer(sample_employer(employer_id, at=START), DEPARTMENT)


def test_a_sqlite_lock_held_too_long_is_a_store_error_with_the_timeout(tmp_path: Path) -> None:
    db = tmp_path / "grants.sqlite"
    program = Program(SqlStore(f"sqlite:///{db}", lock_timeout=0.2), clock=ManualClock(START))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer (an import, a backup) holds the lock
    try:
        with pytest.raises(StoreError) as refused:
            _register(program, "E-SECRET")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "stayed locked by another writer for 0.2 seconds" in refused.value.reason
    assert "lock_timeout" in refused.value.hint
    assert not isinstance(refused.value, ConnectionLost)
    _clean(refused.value)
    _register(program, "E-1")  # the lock gone, the same store goes on
    assert [] == [e.stream_id for e in program.store.all_events() if "SECRET" in e.stream_id]


@pytest.mark.parametrize("timeout", [0, -1, True, "5", 4000])
def test_a_lock_timeout_that_is_not_seconds_is_refused(tmp_path: Path, timeout: object) -> None:
    with pytest.raises(StoreError, match="lock_timeout"):
        SqlStore(f"sqlite:///{tmp_path / 'g.sqlite'}", lock_timeout=timeout)  # type: ignore[arg-type]
    assert not (tmp_path / "g.sqlite").exists()


def _backends(url: str) -> list[int]:
    """The pids of the other backends connected to ``url``'s database."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalars().all()  # fmt: skip
    engine.dispose()
    return list(pids)


def _terminate(url: str, pids: list[int]) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        for pid in pids:
            conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    engine.dispose()


@pytest.fixture(name="fresh_url")
def fixture_fresh_url(pg_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    return pg_server.create_database(f"e_{abs(hash(request.node.name)) % 10**8}")


@pytest.mark.postgres
def test_a_backend_terminated_mid_command_is_retried_by_its_command_id(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqlStore(fresh_url)
    program = Program(store, clock=ManualClock(START))
    done: list[object] = []
    held, release = threading.Event(), threading.Event()

    def hold_once(point: str) -> None:  # the first attempt waits after its reads
        if point == "after_read" and not held.is_set():
            held.set()
            release.wait(60)

    monkeypatch.setattr(_faults, "pause", hold_once)
    worker = threading.Thread(target=lambda: done.append(program.register_employer(
        sample_employer("E-1", at=START), DEPARTMENT, command_id="register-E-1")))  # fmt: skip
    worker.start()
    try:
        assert held.wait(60), "the command never held its transaction open"
        engine = sa.create_engine(fresh_url)
        with engine.connect() as conn:  # the worker's backend, idle in its transaction
            pids = list(conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'idle in transaction'"
            )).scalars())  # fmt: skip
        engine.dispose()
        assert pids
        _terminate(fresh_url, pids)
    finally:
        release.set()
        worker.join(60)
    assert done, "the command did not come back"
    assert program.conflicts >= 1
    commands = [e.command_id for e in store.all_events() if e.stream_id == "employer:E-1"]
    assert ["register-E-1"] == commands  # once, however many attempts
    assert verify(store).ok
    store.dispose()


@pytest.mark.postgres
def test_a_query_on_a_terminated_connection_is_connection_lost_without_its_sql(
    fresh_url: str,
) -> None:
    store = SqlStore(fresh_url)
    program = Program(store, clock=ManualClock(START))
    _register(program, "E-SECRET")
    program.grants()  # a pooled connection, warm
    _terminate(fresh_url, _backends(fresh_url))
    with pytest.raises(ConnectionLost) as lost:
        program.grants(employer_id="E-SECRET")
    _clean(lost.value)
    assert lost.value.retryable
    assert [] == program.grants(employer_id="E-SECRET")  # the pool reconnects
    store.dispose()


@pytest.fixture(name="own_server")
def fixture_own_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except ServerUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.postgres
def test_a_server_restarted_mid_run_costs_a_retry_not_a_raw_error(
    own_server: PostgresServer,
) -> None:
    store = SqlStore(own_server.url())
    program = Program(store, clock=ManualClock(START))
    _register(program, "E-1")
    own_server.restart()
    _register(program, "E-2")  # every pooled connection is dead: retried on a new one
    assert {"employer:E-1", "employer:E-2"} <= {e.stream_id for e in store.all_events()}
    own_server.restart()
    with pytest.raises(ConnectionLost) as lost:  # a query is not retried for the caller
        list(store.stored_events())
    _clean(lost.value)
    assert verify(store).ok
    own_server.stop()
    with pytest.raises(ConnectionLost) as gone:  # the server down: unreachable is lost too
        _register(program, "E-3")
    _clean(gone.value)
    store.dispose()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_four_processes_starting_on_a_new_database_all_open_it(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    else:
        url = request.getfixturevalue("pg_server").create_database("e_four_openers")
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4), context.Queue()
    openers = [
        context.Process(target=open_store, args=(url, "", barrier, results)) for _ in range(4)
    ]
    for p in openers:
        p.start()
    for p in openers:
        p.join(180)
    assert ["ok"] * 4 == [results.get(timeout=10) for _ in openers]
    store = SqlStore(url, migrate=False)
    assert [] == list(store.stored_events())
    store.dispose()
