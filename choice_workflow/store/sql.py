"""The SQL store (SQLAlchemy 2.x): SQLite as the embedded default, PostgreSQL shared.

Every command is one transaction. On SQLite, a write transaction starts with ``BEGIN
IMMEDIATE`` (the database's write lock is taken at once, so two writers never
deadlock on an upgrade); the file runs in WAL mode with ``synchronous=FULL``. On
PostgreSQL, a unique (stream, version) turns a lost race into
:class:`~choice_workflow.errors.ConcurrencyConflict`, which the Program retries.

A caller may hand in its own :class:`~sqlalchemy.engine.Connection` inside its own
transaction: the store then works in a SAVEPOINT per command and never retries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from choice_workflow.errors import (
    ConcurrencyConflict,
    StoreError,
)
from choice_workflow.events import event_from_record
from choice_workflow.store import _faults
from choice_workflow.store.base import Item, Store, StoredEvent, Transaction
from choice_workflow.store.schema import Tables, make_tables
from choice_workflow.store.sql_errors import RETRYABLE as _RETRYABLE
from choice_workflow.store.sql_errors import database_error
from choice_workflow.store.sql_transaction import SqlTransaction, Statements
from choice_workflow.store.urls import mask_url

if TYPE_CHECKING:
    pass

__all__ = [
    "PSYCOPG",
    "SqlStore",
    "StoreError",
    "create_engine",
    "database_url",
    "drop_schema",
    "missing_sqlite_file",
    "upgrade",
]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite would BEGIN on its own (deferred) before writes; the store begins itself.
    # The wait for another writer's lock is the connection's timeout (create_engine),
    # set before this runs, so that switching a new file to WAL waits too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=FULL"):
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


PSYCOPG = "postgresql+psycopg"
"""The PostgreSQL driver the library ships with (psycopg 3, the ``postgres`` extra)."""


def database_url(url: str) -> sa.URL:
    """The URL the store connects with. ``postgres://`` and ``postgresql://`` (libpq's
    and many hosts' form, which SQLAlchemy would read as psycopg2 or not at all) mean
    psycopg 3; any other URL is used as given."""
    parsed = sa.engine.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        return parsed.set(drivername=PSYCOPG)
    return parsed


def create_engine(url: str, *, lock_timeout: float = 30.0, **kwargs: Any) -> Engine:
    """An engine set up for the store: on SQLite, immediate transactions that wait at
    most ``lock_timeout`` seconds for another writer, WAL, full durability."""
    if sa.engine.make_url(database_url(url)).get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": lock_timeout, **kwargs.get("connect_args", {})}
    # No bound values in any message SQLAlchemy writes (employee data in an error log).
    engine = sa.create_engine(database_url(url), **{"hide_parameters": True, **kwargs})
    if engine.dialect.name == "sqlite":
        sa_event.listen(engine, "connect", _sqlite_pragmas)
        sa_event.listen(engine, "begin", _sqlite_begin)
    return engine


def missing_sqlite_file(url: str) -> str | None:
    """The path of the SQLite file ``url`` names when that file does not exist (opening
    it would create it); None for any other URL, or a file that is there."""
    parsed = sa.engine.make_url(url)
    path = parsed.database or ""
    if path.startswith("file:"):  # a SQLite URI: its path before the query
        path = path.removeprefix("file:").split("?", 1)[0]
        if path.startswith("//"):
            path = path[2:]
    if (
        parsed.get_backend_name() == "sqlite"
        and path not in ("", ":memory:")
        and "mode=memory" not in (parsed.database or "")
        and not Path(path).exists()
    ):
        return path
    return None


def drop_schema(url: str, *, prefix: str = "", schema: str | None = None) -> None:
    """Drop every table of the store at ``url`` (the migrations down to nothing, then
    their version table): only for tables just created for an import that was refused,
    never for a log that holds anything (the events' triggers refuse no DROP)."""
    engine = create_engine(url)
    events = make_tables(prefix, schema).events
    try:
        with engine.begin() as conn:
            if sa.inspect(conn).has_table(events.name, schema=schema) and (
                conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
            ):
                raise StoreError(
                    reason="the store holds events: its tables are not dropped",
                    hint="Only the empty tables of a refused import are dropped.",
                )
            cfg = Config(attributes={"connection": conn, "prefix": prefix, "schema": schema})
            cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
            command.downgrade(cfg, "base")
            sa.Table(f"{prefix}alembic_version", sa.MetaData(), schema=schema).drop(
                conn, checkfirst=True
            )
    finally:
        engine.dispose()


def _url_hint(url: str) -> str:
    """What to use instead of a URL the store cannot open: for PostgreSQL, the very URL
    with the shipped driver (password hidden)."""
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return "Use sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE."
    if parsed.drivername.startswith("postgres"):
        fixed = parsed.set(drivername=PSYCOPG).render_as_string(hide_password=True)
        return f"Use {fixed} (psycopg 3: pip install 'choice_workflow[postgres]')."
    return "Use sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE."


def upgrade(
    target: str | Engine | Connection, *, prefix: str = "", schema: str | None = None
) -> None:
    """Apply the store's migrations (alembic, shipped in the package) to ``target``."""

    def run(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            # Processes that start together on a new database migrate one after another
            # (the others then find the schema at head), never racing on alembic_version.
            key = int.from_bytes(hashlib.sha256(f"choice_workflow:migrate:{schema}:{prefix}".encode()).digest()[:8], "big", signed=True)  # fmt: skip
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        cfg = Config(attributes={"connection": conn, "prefix": prefix, "schema": schema})
        cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
        command.upgrade(cfg, "head")

    if isinstance(target, Connection):
        run(target)
        return
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as conn:
            run(conn)
    finally:
        if isinstance(target, str):
            engine.dispose()


class SqlStore(Store):
    """Events and projections in a SQL database (SQLite or PostgreSQL).

    ``target`` is a URL (``sqlite:///grants.sqlite``,
    ``postgresql+psycopg://user@host/db``), an Engine, or a Connection inside the
    caller's transaction. ``prefix`` and ``schema`` place the tables inside an existing
    database. With ``migrate=True`` (the default) the schema is brought up to date.
    """

    def __init__(
        self,
        target: str | Engine | Connection,
        *,
        prefix: str = "",
        schema: str | None = None,
        migrate: bool = True,
        lock_timeout: float = 30.0,
    ) -> None:
        if (
            isinstance(lock_timeout, bool)
            or not isinstance(lock_timeout, int | float)
            or not 0 < lock_timeout <= 3600
        ):
            raise StoreError(reason=f"lock_timeout must be from 0 to 3600 seconds, not {lock_timeout!r}",
                             hint="Give the seconds a command waits for another writer's lock (SQLite).")  # fmt: skip
        self.lock_timeout = float(lock_timeout)
        """How long a SQLite command waits for another writer's lock (seconds): for a
        store opened from a URL (an Engine or Connection of the caller's keeps its own)."""
        self.tables: Tables = make_tables(prefix, schema)
        self.statements = Statements(self.tables)
        digest = hashlib.sha256(f"choice_workflow:{schema}:{prefix}events".encode()).digest()
        self.lock_key = int.from_bytes(digest[:8], "big", signed=True)
        """The advisory lock of this store's log (PostgreSQL): writers share it, a seal
        holds it alone."""
        self._connection: Connection | None = target if isinstance(target, Connection) else None
        self._listener: Any = None
        self._listener_lock = threading.Lock()
        self._owns_engine = isinstance(target, str)
        if isinstance(target, str):
            try:
                self.engine: Engine | None = create_engine(target, lock_timeout=self.lock_timeout)
            except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
                raise StoreError(
                    reason=f"cannot open {mask_url(target)}: {exc}", hint=_url_hint(target)
                ) from None
        elif isinstance(target, Engine):
            self.engine = target
        else:
            self.engine = None
        if not migrate:
            self._check_schema(target, prefix=prefix, schema=schema)
        if migrate:
            try:
                upgrade(
                    self._connection if self._connection is not None else self._engine,
                    prefix=prefix,
                    schema=schema,
                )
            except sa.exc.DBAPIError as exc:
                where = (
                    mask_url(str(self._engine.url)) if self.engine is not None else "the connection"
                )
                raise StoreError(
                    reason=f"cannot use {where}: {exc.orig}",
                    hint="Check that the database is reachable.",
                ) from None

    def _check_schema(
        self, target: str | Engine | Connection, *, prefix: str, schema: str | None
    ) -> None:
        """Without migrations the store's tables must be there already: a SQLite file
        that does not exist is not created, and a database without the tables is a
        :class:`StoreError` that says how to create them (never a driver's "no such
        table" at the first read)."""
        where = mask_url(target) if isinstance(target, str) else "the database"
        if isinstance(target, str):
            path = missing_sqlite_file(target)
            if path is not None:
                self.dispose()
                raise StoreError(
                    reason=f"there is no database file {path}",
                    hint="Check the URL; with migrate=True (the default), or after "
                    "'choice-workflow db upgrade', the file is created.",
                )
        name, owner = self.tables.events.name, self.tables.schema
        try:
            if self._connection is not None:
                present = sa.inspect(self._connection).has_table(name, schema=owner)
            else:
                with self._engine.connect() as conn:
                    present = sa.inspect(conn).has_table(name, schema=owner)
        except sa.exc.DatabaseError as exc:
            self.dispose()
            raise StoreError(
                reason=f"cannot use {where}: {exc.orig}",
                hint="Check that the database is reachable.",
            ) from None
        if not present:
            self.dispose()
            raise StoreError(
                reason=f"{where} holds no choice_workflow tables"
                + (f" with the prefix {prefix!r}" if prefix else "")
                + (f" in the schema {schema!r}" if schema else ""),
                hint="Create them with 'choice-workflow db upgrade' (or SqlStore(..., "
                "migrate=True)); check prefix= and schema=.",
            )

    @property
    def _engine(self) -> Engine:
        assert self.engine is not None  # noqa: S101 - only called where an engine exists
        return self.engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        if self._connection is not None:
            return self._connection.dialect.name
        return self._engine.dialect.name

    @property
    def owns_transactions(self) -> bool:
        """False inside a caller's connection: then the store never retries."""
        return self._connection is None

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One command's unit of work (a SAVEPOINT inside a caller's transaction)."""
        if self._connection is not None:
            with self._connection.begin_nested():
                if self._connection.dialect.name == "postgresql":
                    # Held to the caller's commit: a follower's page waits for it too.
                    self._connection.execute(self.statements.shared_lock, {"k": self.lock_key})
                yield SqlTransaction(self, self._connection)
            return
        try:
            with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(self.statements.shared_lock, {"k": self.lock_key})
                yield SqlTransaction(self, conn)
                _faults.reach("before_commit")
        except sa.exc.DBAPIError as exc:
            # A deadlock or serialization failure: another writer won; the command may be
            # retried as a whole (PostgreSQL SQLSTATE 40P01 / 40001).
            if getattr(exc.orig, "sqlstate", None) in _RETRYABLE:
                raise ConcurrencyConflict(
                    reason=f"the database aborted the transaction ({exc.orig.sqlstate})",  # type: ignore[union-attr]  # checked above
                    hint="Retry the command.",
                ) from None
            raise database_error(exc, self._where, self._lock_timeout) from None

    def stored_events(self, after: int = 0) -> Iterator[StoredEvent]:
        """Every stored event after position ``after``, streamed in pages."""
        page = 2000
        t = self.tables.events
        position = after
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    sa.select(t.c.position, t.c.record, t.c.prev_hash, t.c.hash)
                    .where(t.c.position > position)
                    .order_by(t.c.position)
                    .limit(page)
                ).all()
            for r in rows:
                record = bytes(r.record)
                yield StoredEvent(
                    int(r.position),
                    event_from_record(json.loads(record)),
                    record,
                    r.prev_hash,
                    r.hash,
                )
            if len(rows) < page:
                return
            position = int(rows[-1].position)

    def log_page(self, after: int, limit: int) -> list[StoredEvent]:
        """At most ``limit`` events after ``after`` from the log's complete part. On
        PostgreSQL positions are taken as events are inserted, so an event may commit
        after one positioned later: the page ends at the last position written before
        every writer in flight has finished (read under the seal's lock, held only for
        that one read); SQLite has one writer at a time."""
        t = self.tables.events
        horizon: int | None = None
        if self.dialect == "postgresql" and self._connection is None:
            horizon = self._newest(locked=True)
            if horizon <= after:
                return []
        query = sa.select(t.c.position, t.c.record, t.c.prev_hash, t.c.hash).where(
            t.c.position > after
        )
        if horizon is not None:
            query = query.where(t.c.position <= horizon)
        with self._read() as conn:
            rows = conn.execute(query.order_by(t.c.position).limit(limit)).all()
        return [
            StoredEvent(
                int(r.position), event_from_record(json.loads(bytes(r.record))),
                bytes(r.record), r.prev_hash, r.hash,
            )
            for r in rows
        ]  # fmt: skip

    def wait_for_events(self, after: int, timeout: float) -> bool:
        """On PostgreSQL, wait for the log's notification (``LISTEN`` on the store's
        channel, which migration 0006's trigger notifies at each commit of events), at
        most ``timeout`` seconds; elsewhere, or when the notification connection fails,
        poll (wait ``timeout``, then look)."""
        if self.dialect != "postgresql" or self._connection is not None:
            return super().wait_for_events(after, timeout)
        try:
            listener = self._listening()
            if self._newest() > after:  # a hint to look again: no lock (the page has it)
                return True
            for _ in listener.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception as exc:  # a lost notification connection: poll instead
            if not type(exc).__module__.startswith("psycopg"):
                raise
            self._close_listener()
            return super().wait_for_events(after, timeout)
        return self._newest() > after

    def _newest(self, *, locked: bool = False) -> int:
        """The last position written (0: none); ``locked``: read under the seal's lock,
        after every writer in flight, and released with the read's transaction."""
        with self._read() as conn:
            if locked:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.lock_key})
            return int(
                conn.execute(sa.select(sa.func.max(self.tables.events.c.position))).scalar() or 0
            )

    def _listening(self) -> Any:
        """The connection that listens on the store's channel (its own, autocommit; one
        per store: a store follows the log for one subscription at a time)."""
        with self._listener_lock:
            return self._listen()

    def _listen(self) -> Any:
        if self._listener is None:
            raw = self._engine.raw_connection()
            driver: Any = raw.driver_connection
            raw.detach()  # the pool forgets it: it stays in autocommit, listening
            driver.rollback()
            driver.autocommit = True
            driver.execute("LISTEN choice_workflow_events")  # NOTIFY_CHANNEL
            self._listener = driver
        return self._listener

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                listener.close()

    def audit_items(self) -> Iterator[Item]:
        """Every stored event with the columns kept beside its record, for verify."""
        page = 2000
        t = self.tables.events
        position = 0
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    sa.select(t).where(t.c.position > position).order_by(t.c.position).limit(page)
                ).all()
            for r in rows:
                m = dict(r._mapping)
                yield Item(
                    int(m["position"]), bytes(m["record"]), str(m["prev_hash"]), str(m["hash"]), m
                )
            if len(rows) < page:
                return
            position = int(rows[-1].position)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
            return
        try:
            with self._engine.connect() as conn:
                yield conn
        except sa.exc.DBAPIError as exc:
            raise database_error(exc, self._where, self._lock_timeout) from None

    @property
    def _lock_timeout(self) -> float | None:
        """The SQLite busy timeout this store set (None: the engine was the caller's)."""
        return self.lock_timeout if self._owns_engine else None

    @property
    def _where(self) -> str:
        """The database, as messages name it (its URL without the password)."""
        return mask_url(str(self._engine.url)) if self.engine is not None else "the database"

    def dispose(self) -> None:
        """Close the engine's connections (when the store opened the engine itself)."""
        self._close_listener()
        if self._owns_engine and self.engine is not None:
            self.engine.dispose()
