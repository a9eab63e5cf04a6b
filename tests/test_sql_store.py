"""What only the SQL store does: triggers, migrations, savepoints, schemas, masked URLs."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from choice_workflow import Actor, ManualClock, Program, Role, State
from choice_workflow.errors import ConcurrencyConflict
from choice_workflow.events import Event
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.schema import make_tables
from choice_workflow.store.sql import SqlStore, StoreError, create_engine, upgrade
from choice_workflow.store.urls import mask_url

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
DEPARTMENT = Actor("dol", Role.DEPARTMENT)
E1 = Actor("e1", Role.EMPLOYER, employer_id="E1")
_prefixes = itertools.count()


def _one_grant(store: SqlStore) -> Program:
    program = Program(store, clock=ManualClock(START))
    program.register_employer(sample_employer("E1", at=START), DEPARTMENT)
    program.apply(sample_application("E1", at=START), E1, grant_id="G1")
    return program


@pytest.fixture(name="sqlite_url")
def fixture_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'grants.sqlite'}"


@pytest.fixture(
    name="engines", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fixture_engines(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[sa.Engine, str]]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'grants.sqlite'}")
        prefix = ""
    else:
        engine = create_engine(request.getfixturevalue("pg_url"))
        prefix = f"s{next(_prefixes)}_"
    yield engine, prefix
    engine.dispose()


@pytest.mark.parametrize("statement", ["UPDATE {t} SET type = 'Forged'", "DELETE FROM {t}"])
def test_the_database_refuses_to_update_or_delete_events(
    engines: tuple[sa.Engine, str], statement: str
) -> None:
    engine, prefix = engines
    _one_grant(SqlStore(engine, prefix=prefix))
    table = f"{prefix}events"
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(statement.format(t=table))
    with engine.connect() as conn:
        assert 3 == conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


@pytest.mark.postgres
def test_postgres_also_refuses_truncate_of_events(pg_url: str) -> None:
    engine = create_engine(pg_url)
    prefix = f"s{next(_prefixes)}_"
    _one_grant(SqlStore(engine, prefix=prefix))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {prefix}events")
    engine.dispose()


def test_the_migrations_create_exactly_the_models(engines: tuple[sa.Engine, str]) -> None:
    engine, prefix = engines
    upgrade(engine, prefix=prefix)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": f"{prefix}alembic_version"}
        )
        diff = compare_metadata(context, make_tables(prefix).metadata)
    ours = [d for d in diff if prefix in repr(d) or not prefix]
    assert [] == ours


def test_upgrading_twice_changes_nothing(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    upgrade(sqlite_url)
    program = _one_grant(SqlStore(sqlite_url))
    assert State.APPLIED == program.grant("G1").state


def test_sqlite_runs_in_wal_mode_with_full_sync_and_foreign_keys(sqlite_url: str) -> None:
    store = SqlStore(sqlite_url)
    assert store.engine is not None
    with store.engine.connect() as conn:
        assert "wal" == conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        assert 2 == conn.exec_driver_sql("PRAGMA synchronous").scalar_one()  # FULL
        assert 1 == conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
        assert 30000 == conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()


def test_inside_a_callers_transaction_the_store_uses_savepoints_and_the_caller_decides(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)
    upgrade(engine)
    with engine.connect() as conn:
        outer = conn.begin()
        store = SqlStore(conn, migrate=False)
        assert not store.owns_transactions
        _one_grant(store)
        assert 3 == len(list(store.all_events()))
        outer.rollback()
    with engine.connect() as conn:
        assert 0 == conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
    engine.dispose()


def _conflict_once(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the next append lose a race once; count the attempts."""
    from choice_workflow.store import sql_transaction as sql

    calls: list[int] = []
    real = sql.SqlTransaction.append

    def append(self: sql.SqlTransaction, events: list[Event], **kw: Any) -> None:
        calls.append(len(events))
        if len(calls) == 1:
            raise ConcurrencyConflict(reason="lost a race", hint="retry")
        real(self, events, **kw)

    monkeypatch.setattr(sql.SqlTransaction, "append", append)
    return calls


def test_a_conflict_is_retried_when_the_store_owns_the_transaction(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = _one_grant(SqlStore(sqlite_url))
    calls = _conflict_once(monkeypatch)
    assert 2 == program.review("G1", DEPARTMENT).version
    assert 2 == len(calls)


def test_a_conflict_inside_a_callers_transaction_is_raised_not_retried(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(sqlite_url)
    upgrade(engine)
    with engine.connect() as conn, conn.begin():
        program = _one_grant(SqlStore(conn, migrate=False))
        calls = _conflict_once(monkeypatch)
        with pytest.raises(ConcurrencyConflict):
            program.review("G1", DEPARTMENT)
        assert 1 == len(calls)
        assert 1 == program.grant("G1").version
    engine.dispose()


@pytest.mark.postgres
def test_the_tables_can_live_in_a_postgres_schema_of_the_agency(pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS grants_program")
    program = _one_grant(SqlStore(engine, schema="grants_program", prefix="cw_"))
    assert State.APPLIED == program.grant("G1").state
    with engine.connect() as conn:
        n = conn.exec_driver_sql("SELECT count(*) FROM grants_program.cw_events").scalar_one()
    assert 3 == n
    engine.dispose()


def test_an_unreachable_database_is_a_store_error_without_the_password() -> None:
    url = "postgresql+psycopg://agency:s3cret-pw@127.0.0.1:1/grants"
    with pytest.raises(StoreError) as failed:
        SqlStore(url)
    assert "s3cret-pw" not in str(failed.value)
    assert "***" in str(failed.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://agency:s3cret-pw@db.example:5432/grants",
        "postgresql://agency:s3cret-pw@db/grants?sslmode=require",
        "weird+scheme://agency:s3cret-pw@[::1",
    ],
)
def test_masked_urls_never_show_the_password(url: str) -> None:
    masked = mask_url(url)
    assert "s3cret-pw" not in masked
    assert "agency" in masked


# -- the URLs people write ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_libpq_style_url_opens_the_store_with_psycopg_3(pg_url: str, scheme: str) -> None:
    url = pg_url.replace("postgresql+psycopg://", f"{scheme}://", 1)
    assert url.startswith(f"{scheme}://")
    store = SqlStore(url)
    try:
        assert "postgresql" == store.dialect
        assert store.engine is not None
        assert "postgresql+psycopg" == store.engine.url.drivername
        assert [] == list(store.stored_events())
    finally:
        store.dispose()


def test_a_url_with_a_driver_that_is_not_installed_names_the_url_to_use() -> None:
    with pytest.raises(StoreError) as info:
        SqlStore("postgresql+pg8000://agency:s3cret@db.example/grants", migrate=False)
    hint = info.value.hint
    assert "postgresql+psycopg://agency:***@db.example/grants" in hint
    assert "s3cret" not in str(info.value)


# -- a store opened without migrations ----------------------------------------------------


def test_without_migrations_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.sqlite"
    with pytest.raises(StoreError, match="there is no database file"):
        SqlStore(f"sqlite:///{path}", migrate=False)
    assert not path.exists()


def test_without_migrations_a_database_without_the_tables_says_how_to_make_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).close()  # a database of something else
    with pytest.raises(StoreError) as info:
        SqlStore(f"sqlite:///{path}", migrate=False)
    assert "holds no choice_workflow tables" in info.value.reason
    assert "choice-workflow db upgrade" in info.value.hint
    assert "prefix=" in info.value.hint


def test_without_migrations_a_forgotten_prefix_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cw.sqlite'}"
    SqlStore(url, prefix="cw_").dispose()
    with pytest.raises(StoreError, match="holds no choice_workflow tables with the prefix 'x_'"):
        SqlStore(url, prefix="x_", migrate=False)
    store = SqlStore(url, prefix="cw_", migrate=False)
    assert [] == list(store.stored_events())
    store.dispose()


def test_drop_schema_never_drops_a_store_that_holds_events(tmp_path: Path) -> None:
    from choice_workflow.store.sql import drop_schema

    url = f"sqlite:///{tmp_path / 'held.sqlite'}"
    _one_grant(SqlStore(url))
    with pytest.raises(StoreError, match="holds events"):
        drop_schema(url)
    store = SqlStore(url, migrate=False)
    assert 3 == len(list(store.stored_events()))
    store.dispose()
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    SqlStore(empty).dispose()
    drop_schema(empty)
    with pytest.raises(StoreError, match="holds no choice_workflow tables"):
        SqlStore(empty, migrate=False)
