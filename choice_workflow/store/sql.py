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

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from choice_workflow.audit.chain import GENESIS, link
from choice_workflow.errors import (
    ChoiceWorkflowError,
    ConcurrencyConflict,
    Problem,
    TransitionRefused,
)
from choice_workflow.events import Event, canonical_json, event_from_record
from choice_workflow.lifecycle.grant import Grant, to_us
from choice_workflow.lifecycle.states import State
from choice_workflow.store import _faults
from choice_workflow.store.base import Store, StoredEvent, Transaction
from choice_workflow.store.schema import Tables, make_tables
from choice_workflow.store.urls import mask_url

if TYPE_CHECKING:
    from choice_workflow.allocation import Cycle
    from choice_workflow.audit.verify import Item
    from choice_workflow.domain.application import Application
    from choice_workflow.domain.employer import Employer

_GRANT_COLUMNS = (
    "id", "employer_id", "state", "version", "cycle", "amount_requested", "applied_us", "amount",
    "reviewed_by", "approved_us", "approved_by", "notice_channel", "notice_us", "accept_by_us",
    "accepted_us", "transition_start_us", "ended_us", "disbursed", "instalments", "referred_from",
    "endorsed_by", "endorsed_amount", "final_wages_version", "cause", "receivable", "repaid",
    "on_hold", "retain_until_us", "unspent",
)  # fmt: skip


_RETRYABLE = frozenset({"40P01", "40001"})


class StoreError(ChoiceWorkflowError):
    """The database could not be used as a store (unreachable, wrong schema, ...)."""


def _grant_row(g: Grant) -> dict[str, Any]:
    row = {name: getattr(g, name) for name in _GRANT_COLUMNS}
    row["state"] = g.state.value
    row["amount_requested"] = f"{g.amount_requested:.2f}"
    row["amount"] = None if g.amount is None else f"{g.amount:.2f}"
    row["disbursed"] = f"{g.disbursed:.2f}"
    row["endorsed_amount"] = None if g.endorsed_amount is None else f"{g.endorsed_amount:.2f}"
    row["receivable"] = f"{g.receivable:.2f}"
    row["repaid"] = f"{g.repaid:.2f}"
    row["unspent"] = f"{g.unspent:.2f}"
    return row


def _grant_from_row(row: sa.Row[Any]) -> Grant:
    m = row._mapping
    values = {name: m[name] for name in _GRANT_COLUMNS}
    values["state"] = State(values["state"])
    values["amount_requested"] = Decimal(values["amount_requested"])
    values["amount"] = None if values["amount"] is None else Decimal(values["amount"])
    values["disbursed"] = Decimal(values["disbursed"])
    if values["endorsed_amount"] is not None:
        values["endorsed_amount"] = Decimal(values["endorsed_amount"])
    values["receivable"] = Decimal(values["receivable"])
    values["repaid"] = Decimal(values["repaid"])
    values["unspent"] = Decimal(values["unspent"])
    values["on_hold"] = bool(values["on_hold"])
    return Grant(**values)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite would BEGIN on its own (deferred) before writes; the store begins itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA busy_timeout=30000",
        "PRAGMA synchronous=FULL",
    ):
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine set up for the store: SQLite pragmas and immediate transactions."""
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        sa_event.listen(engine, "connect", _sqlite_pragmas)
        sa_event.listen(engine, "begin", _sqlite_begin)
    return engine


def upgrade(
    target: str | Engine | Connection, *, prefix: str = "", schema: str | None = None
) -> None:
    """Apply the store's migrations (alembic, shipped in the package) to ``target``."""
    from alembic import command
    from alembic.config import Config

    def run(conn: Connection) -> None:
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


class _Statements:
    """The hot path's statements, built once per store: SQLAlchemy then reuses their
    cache keys and compiled forms instead of rebuilding them for every command."""

    def __init__(self, t: Tables) -> None:
        e, c, g = t.events.c, t.commands.c, t.grants.c
        self.command = sa.select(c.first_position).where(c.command_id == sa.bindparam("cid"))
        self.grant = sa.select(t.grants).where(g.id == sa.bindparam("gid"))
        self.head = (
            sa.select(e.version, e.hash)
            .where(e.stream_id == sa.bindparam("sid"))
            .order_by(e.version.desc())
            .limit(1)
        )
        self.insert_event = sa.insert(t.events).returning(e.position)
        self.insert_command = sa.insert(t.commands)
        self.insert_grant = sa.insert(t.grants)
        self.shared_lock = sa.text("SELECT pg_advisory_xact_lock_shared(:k)")
        self._grants = t.grants
        self.update_grant = self._update_grant(
            frozenset(name for name in _GRANT_COLUMNS if name != "id")
        )
        self._updates: dict[frozenset[str], sa.Update] = {}

    def _update_grant(self, columns: frozenset[str]) -> sa.Update:
        g = self._grants.c
        return (
            sa.update(self._grants)
            .where(g.id == sa.bindparam("b_id"), g.version < sa.bindparam("b_version"))
            .values({name: sa.bindparam(name) for name in _GRANT_COLUMNS if name in columns})
        )

    def update_grant_of(self, columns: frozenset[str]) -> sa.Update:
        """The update of the grants row that writes ``columns`` (and the version) only:
        one statement per set of columns, built once."""
        wanted = columns | {"version"}
        found = self._updates.get(wanted)
        if found is None:
            found = self._updates[wanted] = self._update_grant(wanted)
        return found


class _SqlTransaction(Transaction):
    def __init__(self, store: SqlStore, conn: Connection) -> None:
        self.s = store
        self.t = store.tables
        self.q = store.statements
        self.conn = conn
        self.commands_written: set[str] = set()
        self.read_rows: dict[str, dict[str, Any]] = {}
        """The grants rows read in this transaction: an update writes only the columns
        that changed (unchanged indexed columns then cost no index pages)."""

    def command_events(self, command_id: str) -> tuple[Event, ...] | None:
        found = self.conn.execute(self.q.command, {"cid": command_id}).first()
        if found is None:
            return None
        rows = self.conn.execute(
            sa.select(self.t.events.c.record)
            .where(self.t.events.c.command_id == command_id)
            .order_by(self.t.events.c.position)
        )
        return tuple(event_from_record(json.loads(r.record)) for r in rows)

    def stream(self, stream_id: str) -> list[Event]:
        rows = self.conn.execute(
            sa.select(self.t.events.c.record)
            .where(self.t.events.c.stream_id == stream_id)
            .order_by(self.t.events.c.version)
        )
        return [event_from_record(json.loads(r.record)) for r in rows]

    def stream_version(self, stream_id: str) -> int:
        value = self.conn.execute(
            sa.select(sa.func.max(self.t.events.c.version)).where(
                self.t.events.c.stream_id == stream_id
            )
        ).scalar()
        return int(value or 0)

    def stream_heads(self) -> list[tuple[str, int, str]]:
        e = self.t.events.c
        last = (
            sa.select(e.stream_id, sa.func.max(e.version).label("version"))
            .group_by(e.stream_id)
            .subquery()
        )
        rows = self.conn.execute(
            sa.select(e.stream_id, e.version, e.hash)
            .join(last, sa.and_(e.stream_id == last.c.stream_id, e.version == last.c.version))
            .order_by(e.stream_id)
        )
        # Sorted here, by code point, not by the database's collation: the seal's leaf
        # order (and so its root) must not depend on the server's locale.
        return sorted((str(r.stream_id), int(r.version), str(r.hash)) for r in rows)

    def grant(self, grant_id: str) -> Grant | None:
        row = self.conn.execute(self.q.grant, {"gid": grant_id}).first()
        if row is None:
            return None
        grant = _grant_from_row(row)
        self.read_rows[grant_id] = _grant_row(grant)
        return grant

    def grants(self, state: State | None = None) -> list[Grant]:
        q = sa.select(self.t.grants).order_by(self.t.grants.c.id)
        if state is not None:
            q = q.where(self.t.grants.c.state == state.value)
        return [_grant_from_row(r) for r in self.conn.execute(q)]

    def grants_of_employer(self, employer_id: str) -> list[Grant]:
        q = (
            sa.select(self.t.grants)
            .where(self.t.grants.c.employer_id == employer_id)
            .order_by(self.t.grants.c.id)
        )
        return [_grant_from_row(r) for r in self.conn.execute(q)]

    def _due(self, before_us: int) -> sa.Select[Any]:
        g = self.t.grants.c
        return (
            sa.select(self.t.grants)
            .where(
                g.state == State.APPROVED.value,
                g.accept_by_us.is_not(None),
                g.accept_by_us < before_us,
            )
            .order_by(g.accept_by_us, g.id)
        )

    def approvals_due(self, before_us: int) -> list[Grant]:
        return [_grant_from_row(r) for r in self.conn.execute(self._due(before_us))]

    def claim_due(self, before_us: int, skip: frozenset[str]) -> Grant | None:
        q = self._due(before_us)
        if skip:
            q = q.where(self.t.grants.c.id.not_in(sorted(skip)))
        q = q.limit(1)
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        row = self.conn.execute(q).first()
        return None if row is None else _grant_from_row(row)

    def lock_for_seal(self) -> None:
        # Exclusive against every writer's shared advisory lock (taken as each
        # transaction begins): a seal sees exactly the events positioned before it. An
        # advisory lock needs no privilege on the table, so the application's role,
        # which may only INSERT and SELECT events, can seal.
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.s.lock_key})

    def lock_employer(self, employer_id: str) -> None:
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(
                sa.select(self.t.employers.c.id)
                .where(self.t.employers.c.id == employer_id)
                .with_for_update()
            )

    def cycle(self, number: int, *, lock: bool = False) -> Cycle | None:
        from choice_workflow.allocation import Cycle, waitlist_from_data

        t = self.t.cycles
        q = sa.select(t).where(t.c.number == number)
        if lock and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        if row is None:
            return None
        m = row._mapping
        return Cycle(
            number=int(m["number"]),
            opens_us=int(m["opens_us"]),
            applications_close_us=m["applications_close_us"],
            appropriation=Decimal(m["appropriation"]),
            reserved=Decimal(m["reserved"]),
            disbursed=Decimal(m["disbursed"]),
            waitlist=waitlist_from_data(json.loads(m["waitlist"])),
            referred=tuple(json.loads(m["referred"])),
        )

    def put_cycle(self, cycle: Cycle) -> None:
        from choice_workflow.allocation import waitlist_data

        t = self.t.cycles
        row = {
            "opens_us": cycle.opens_us,
            "applications_close_us": cycle.applications_close_us,
            "appropriation": f"{cycle.appropriation:.2f}",
            "reserved": f"{cycle.reserved:.2f}",
            "disbursed": f"{cycle.disbursed:.2f}",
            "waitlist": json.dumps([waitlist_data(w) for w in cycle.waitlist]),
            "referred": json.dumps(list(cycle.referred)),
        }
        done = self.conn.execute(sa.update(t).where(t.c.number == cycle.number).values(row))
        if done.rowcount == 0:
            self.conn.execute(sa.insert(t).values(number=cycle.number, **row))

    def record_award(self, employer_id: str, grant_id: str) -> None:
        t = self.t.awards
        earlier = self.conn.execute(
            sa.select(t.c.grant_id).where(t.c.employer_id == employer_id)
        ).scalar()
        if earlier == grant_id:
            return
        try:
            with self.conn.begin_nested():
                self.conn.execute(sa.insert(t).values(employer_id=employer_id, grant_id=grant_id))
        except sa.exc.IntegrityError:
            raise TransitionRefused(
                "approve",
                grant_id,
                [
                    Problem(
                        ("15(g)", "10(3)"),
                        f"the database already records an award to employer {employer_id}",
                        "An employer may only be awarded one grant.",
                    )
                ],
            ) from None

    def employer(self, employer_id: str) -> Employer | None:
        from choice_workflow.domain.employer import employer_from_data

        row = self.conn.execute(
            sa.select(self.t.employers.c.data).where(self.t.employers.c.id == employer_id)
        ).first()
        return None if row is None else employer_from_data(json.loads(row.data))

    def application(self, grant_id: str) -> Application | None:
        from choice_workflow.domain.application import application_from_data

        row = self.conn.execute(
            sa.select(self.t.applications.c.data).where(self.t.applications.c.grant_id == grant_id)
        ).first()
        return None if row is None else application_from_data(json.loads(row.data))

    def append(self, events: Sequence[Event]) -> None:
        heads: dict[str, tuple[int, str]] = {}
        first_position: int | None = None
        for e in events:
            if e.stream_id not in heads:
                row = self.conn.execute(self.q.head, {"sid": e.stream_id}).first()
                heads[e.stream_id] = (
                    (0, GENESIS) if row is None else (int(row.version), str(row.hash))
                )
            version, prev = heads[e.stream_id]
            if e.version != version + 1:
                raise ConcurrencyConflict(
                    f"stream {e.stream_id} is at version {version}; event version {e.version} conflicts",
                    hint="Reload and retry the command.",
                )
            record = e.canonical_bytes()
            digest = link(prev, record)
            values = {
                "stream_id": e.stream_id, "version": e.version, "type": e.type,
                "schema_version": e.schema_version, "occurred_us": to_us(e.occurred_at),
                "recorded_us": to_us(e.recorded_at), "actor_id": e.actor_id,
                "actor_role": e.actor_role, "command_id": e.command_id, "record": record,
                "prev_hash": prev, "hash": digest,
            }  # fmt: skip
            try:
                position = self.conn.execute(self.q.insert_event, values).scalar_one()
            except sa.exc.IntegrityError as exc:
                raise ConcurrencyConflict(
                    f"another writer added version {e.version} of stream {e.stream_id}",
                    hint="Reload and retry the command.",
                ) from exc
            heads[e.stream_id] = (e.version, digest)
            _faults.reach("after_event_insert")
            if first_position is None:
                first_position = int(position)
        if first_position is not None:
            command_id = events[0].command_id
            # The Program checked the command id at the start of this transaction; a
            # command that appends twice records its id once.
            if command_id not in self.commands_written:
                self.commands_written.add(command_id)
                try:
                    self.conn.execute(
                        self.q.insert_command,
                        {"command_id": command_id, "first_position": first_position},
                    )
                    _faults.reach("after_command_insert")
                except sa.exc.IntegrityError as exc:
                    raise ConcurrencyConflict(
                        f"command {command_id} was recorded by another writer",
                        hint="Retry: it returns the first result.",
                    ) from exc

    def restore(self, stored: StoredEvent) -> None:
        e = stored.event
        values = {
            "stream_id": e.stream_id, "version": e.version, "type": e.type,
            "schema_version": e.schema_version, "occurred_us": to_us(e.occurred_at),
            "recorded_us": to_us(e.recorded_at), "actor_id": e.actor_id,
            "actor_role": e.actor_role, "command_id": e.command_id, "record": stored.record,
            "prev_hash": stored.prev_hash, "hash": stored.hash,
        }  # fmt: skip
        position = self.conn.execute(self.q.insert_event, values).scalar_one()
        # An import writes into an empty store within this one transaction: the first
        # event of each command id in the log is the one the commands table records.
        if e.command_id not in self.commands_written:
            self.commands_written.add(e.command_id)
            self.conn.execute(
                self.q.insert_command,
                {"command_id": e.command_id, "first_position": int(position)},
            )

    def put_grant(self, grant: Grant, *, new: bool = False) -> None:
        row = _grant_row(grant)
        if grant.version == 1 or new:
            self.conn.execute(self.q.insert_grant, row)
            _faults.reach("after_projection")
            return
        before = self.read_rows.get(grant.id)
        changed = (
            None
            if before is None
            else frozenset(k for k, v in row.items() if k != "id" and before.get(k) != v)
        )
        self.read_rows[grant.id] = dict(row)
        row["b_id"] = row.pop("id")
        row["b_version"] = grant.version
        statement = self.q.update_grant if changed is None else self.q.update_grant_of(changed)
        done = self.conn.execute(statement, row)
        if done.rowcount != 1:
            raise ConcurrencyConflict(
                f"grant {grant.id} changed meanwhile", hint="Reload and retry the command."
            )
        _faults.reach("after_projection")

    def put_employer(self, employer: Employer) -> None:
        from choice_workflow.domain.employer import employer_to_data

        data = canonical_json(employer_to_data(employer)).decode()
        t = self.t.employers
        if self.conn.execute(sa.select(t.c.id).where(t.c.id == employer.id)).first() is None:
            self.conn.execute(sa.insert(t).values(id=employer.id, data=data))
        else:
            self.conn.execute(sa.update(t).where(t.c.id == employer.id).values(data=data))

    def put_application(self, grant_id: str, application: Application) -> None:
        from choice_workflow.domain.application import application_to_data

        data = canonical_json(application_to_data(application)).decode()
        t = self.t.applications
        if (
            self.conn.execute(sa.select(t.c.grant_id).where(t.c.grant_id == grant_id)).first()
            is None
        ):
            self.conn.execute(sa.insert(t).values(grant_id=grant_id, data=data))
        else:
            self.conn.execute(sa.update(t).where(t.c.grant_id == grant_id).values(data=data))


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
    ) -> None:
        self.tables: Tables = make_tables(prefix, schema)
        self.statements = _Statements(self.tables)
        digest = hashlib.sha256(f"choice_workflow:{schema}:{prefix}events".encode()).digest()
        self.lock_key = int.from_bytes(digest[:8], "big", signed=True)
        """The advisory lock of this store's log (PostgreSQL): writers share it, a seal
        holds it alone."""
        self._connection: Connection | None = target if isinstance(target, Connection) else None
        self._owns_engine = isinstance(target, str)
        if isinstance(target, str):
            try:
                self.engine: Engine | None = create_engine(target)
            except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
                raise StoreError(
                    f"cannot open {mask_url(target)}: {exc}", hint="Check the database URL."
                ) from None
        elif isinstance(target, Engine):
            self.engine = target
        else:
            self.engine = None
        if migrate:
            try:
                upgrade(
                    self._connection if self._connection is not None else self._engine,
                    prefix=prefix,
                    schema=schema,
                )
            except sa.exc.OperationalError as exc:
                where = (
                    mask_url(str(self._engine.url)) if self.engine is not None else "the connection"
                )
                raise StoreError(
                    f"cannot use {where}: {exc.orig}", hint="Check that the database is reachable."
                ) from None

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
                yield _SqlTransaction(self, self._connection)
            return
        try:
            with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(self.statements.shared_lock, {"k": self.lock_key})
                yield _SqlTransaction(self, conn)
                _faults.reach("before_commit")
        except sa.exc.DBAPIError as exc:
            # A deadlock or serialization failure: another writer won; the command may be
            # retried as a whole (PostgreSQL SQLSTATE 40P01 / 40001).
            if getattr(exc.orig, "sqlstate", None) in _RETRYABLE:
                raise ConcurrencyConflict(
                    f"the database aborted the transaction ({exc.orig.sqlstate})",  # type: ignore[union-attr]  # checked above
                    hint="Retry the command.",
                ) from exc
            raise

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

    def audit_items(self) -> Iterator[Item]:
        """Every stored event with the columns kept beside its record, for verify."""
        from choice_workflow.audit.verify import Item

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
        with self._engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        """Close the engine's connections (when the store opened the engine itself)."""
        if self._owns_engine and self.engine is not None:
            self.engine.dispose()
