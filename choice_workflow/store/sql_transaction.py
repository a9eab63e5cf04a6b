"""The SQL store's transaction: the reads and writes of one command over SQLAlchemy 2.x,
with statements built once per store (:class:`Statements`)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from choice_workflow.domain.application import (
    Application,
    application_from_data,
    application_to_data,
)
from choice_workflow.domain.cycle import (
    Cycle,
    referrals_data,
    referrals_from_data,
    waitlist_data,
    waitlist_from_data,
)
from choice_workflow.domain.employer import Employer, employer_from_data, employer_to_data
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.errors import ConcurrencyConflict, Problem, TransitionRefused
from choice_workflow.events import Event, canonical_json, event_from_record
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.events.tree import NodeId
from choice_workflow.store import _faults, sql_tree
from choice_workflow.store.base import Rows, StoredEvent, StreamHead, Transaction
from choice_workflow.store.schema import Tables
from choice_workflow.time.instants import to_us

if TYPE_CHECKING:
    from choice_workflow.store.sql import SqlStore

_GRANT_COLUMNS = (
    "id", "employer_id", "state", "version", "cycle", "amount_requested", "applied_us", "amount",
    "reviewed_by", "approved_us", "approved_by", "notice_channel", "notice_us", "accept_by_us",
    "accepted_us", "transition_start_us", "ended_us", "disbursed", "instalments", "referred_from",
    "endorsed_by", "endorsed_amount", "final_wages_version", "cause", "receivable", "repaid",
    "on_hold", "retain_until_us", "unspent",
)  # fmt: skip


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


class Statements:
    """The hot path's statements, built once per store: SQLAlchemy then reuses their
    cache keys and compiled forms instead of rebuilding them for every command."""

    def __init__(self, t: Tables) -> None:
        e, c, g = t.events.c, t.commands.c, t.grants.c
        self.command = sa.select(c.first_position).where(c.command_id == sa.bindparam("cid"))
        self.grant = sa.select(t.grants).where(g.id == sa.bindparam("gid"))
        self.head = (
            sa.select(e.version, e.hash, e.recorded_us)
            .where(e.stream_id == sa.bindparam("sid"))
            .order_by(e.version.desc())
            .limit(1)
        )
        self.insert_event = sa.insert(t.events).returning(e.position)
        self.insert_command = sa.insert(t.commands)
        self.insert_grant = sa.insert(t.grants)
        self.shared_lock = sa.text("SELECT pg_advisory_xact_lock_shared(:k)")
        self.stream_lock = sa.text("SELECT pg_advisory_xact_lock(:k, hashtext(:sid))")
        self.types = sa.select(e.type).where(e.stream_id == sa.bindparam("sid")).order_by(e.version)
        # Two streams' heads in one statement, each an index seek (the last version of
        # the stream): a command's own stream and the seal stream.
        lasts = [
            sa.select(e.stream_id, e.version, e.hash, e.recorded_us)
            .where(e.stream_id == sa.bindparam(name))
            .order_by(e.version.desc())
            .limit(1)
            .subquery()
            for name in ("s1", "s2")
        ]
        self.heads = sa.union_all(*(sa.select(last) for last in lasts))
        self.newest = sa.select(sa.func.max(e.recorded_us))
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


class SqlTransaction(Transaction):
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

    def head(self, stream_id: str) -> StreamHead | None:
        row = self.conn.execute(self.q.head, {"sid": stream_id}).first()
        if row is None:
            return None
        return StreamHead(int(row.version), str(row.hash), int(row.recorded_us))

    def heads(self, stream_ids: Sequence[str]) -> dict[str, StreamHead | None]:
        if len(stream_ids) > 2:
            return super().heads(stream_ids)
        found: dict[str, StreamHead | None] = dict.fromkeys(stream_ids)
        first, second = stream_ids[0], stream_ids[-1]
        for r in self.conn.execute(self.q.heads, {"s1": first, "s2": second}):
            found[str(r.stream_id)] = StreamHead(int(r.version), str(r.hash), int(r.recorded_us))
        return found

    def newest_recorded_us(self) -> int:
        return int(self.conn.execute(self.q.newest).scalar() or 0)

    def stream_types(self, stream_id: str) -> tuple[str, ...]:
        return tuple(str(r.type) for r in self.conn.execute(self.q.types, {"sid": stream_id}))

    def lock_stream(self, stream_id: str) -> None:
        if self.conn.dialect.name == "postgresql":
            # Two keys: this store's log and the stream (int4 each), apart from the log's
            # own advisory lock (one int8 key).
            self.conn.execute(self.q.stream_lock, {"k": self.s.lock_key >> 32, "sid": stream_id})

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

    def grants(
        self, state: State | None = None, *, employer_id: str | None = None,
        cycle: int | None = None, after: str | None = None, limit: int | None = None,
    ) -> list[Grant]:  # fmt: skip
        g = self.t.grants.c
        wanted = {g.state: state and state.value, g.employer_id: employer_id, g.cycle: cycle}
        q = sa.select(self.t.grants).where(*(c == v for c, v in wanted.items() if v is not None))
        q = q.where(g.id > after) if after is not None else q
        return [_grant_from_row(r) for r in self.conn.execute(q.order_by(g.id).limit(limit))]

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

    def extend_tree(self) -> int:
        return sql_tree.extend(self.conn, self.t)

    def tree_nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        return sql_tree.nodes(self.conn, self.t, ids)

    def tree_leaf(self, position: int) -> int | None:
        return sql_tree.index_of(self.conn, self.t, position)

    def tree_position(self, index: int) -> int | None:
        return sql_tree.position_of(self.conn, self.t, index)

    def lock_employer(self, employer_id: str) -> None:
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(
                sa.select(self.t.employers.c.id)
                .where(self.t.employers.c.id == employer_id)
                .with_for_update()
            )

    def cycle(self, number: int, *, lock: bool = False) -> Cycle | None:
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
            **referrals_from_data(json.loads(m["referred"])),
        )

    def put_cycle(self, cycle: Cycle) -> None:
        t = self.t.cycles
        row = {
            "opens_us": cycle.opens_us,
            "applications_close_us": cycle.applications_close_us,
            "appropriation": f"{cycle.appropriation:.2f}",
            "reserved": f"{cycle.reserved:.2f}",
            "disbursed": f"{cycle.disbursed:.2f}",
            "waitlist": json.dumps([waitlist_data(w) for w in cycle.waitlist]),
            "referred": json.dumps(referrals_data(cycle)),
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
                command="approve",
                grant_id=grant_id,
                problems=[
                    Problem(
                        ("15(g)", "10(3)"),
                        f"the database already records an award to employer {employer_id}",
                        "An employer may only be awarded one grant.",
                    )
                ],
            ) from None

    def rows(self) -> Rows:
        t = self.t
        return Rows(
            employers=frozenset(str(r[0]) for r in self.conn.execute(sa.select(t.employers.c.id))),
            applications=frozenset(
                str(r[0]) for r in self.conn.execute(sa.select(t.applications.c.grant_id))
            ),
            cycles=frozenset(int(r[0]) for r in self.conn.execute(sa.select(t.cycles.c.number))),
            awards={
                str(r.employer_id): str(r.grant_id)
                for r in self.conn.execute(sa.select(t.awards.c.employer_id, t.awards.c.grant_id))
            },
        )

    def employer(self, employer_id: str) -> Employer | None:
        row = self.conn.execute(
            sa.select(self.t.employers.c.data).where(self.t.employers.c.id == employer_id)
        ).first()
        return None if row is None else employer_from_data(json.loads(row.data))

    def application(self, grant_id: str) -> Application | None:
        row = self.conn.execute(
            sa.select(self.t.applications.c.data).where(self.t.applications.c.grant_id == grant_id)
        ).first()
        return None if row is None else application_from_data(json.loads(row.data))

    def append(
        self, events: Sequence[Event], *, heads: Mapping[str, StreamHead | None] | None = None
    ) -> None:
        known: dict[str, tuple[int, str]] = {}
        for sid, h in (heads or {}).items():
            known[sid] = (0, GENESIS) if h is None else (h.version, h.hash)
        heads_ = known
        first_position: int | None = None
        for e in events:
            if e.stream_id not in heads_:
                row = self.conn.execute(self.q.head, {"sid": e.stream_id}).first()
                heads_[e.stream_id] = (
                    (0, GENESIS) if row is None else (int(row.version), str(row.hash))
                )
            version, prev = heads_[e.stream_id]
            if e.version != version + 1:
                raise ConcurrencyConflict(
                    reason=f"stream {e.stream_id} is at version {version}; event version {e.version} conflicts",
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
            except sa.exc.IntegrityError:
                raise ConcurrencyConflict(
                    reason=f"another writer added version {e.version} of stream {e.stream_id}",
                    hint="Reload and retry the command.",
                ) from None  # the driver's error quotes the statement and its values
            heads_[e.stream_id] = (e.version, digest)
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
                except sa.exc.IntegrityError:
                    raise ConcurrencyConflict(
                        reason=f"command {command_id} was recorded by another writer",
                        hint="Retry: it returns the first result.",
                    ) from None

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
                reason=f"grant {grant.id} changed meanwhile", hint="Reload and retry the command."
            )
        _faults.reach("after_projection")

    def put_employer(self, employer: Employer) -> None:
        data = canonical_json(employer_to_data(employer)).decode()
        t = self.t.employers
        if self.conn.execute(sa.select(t.c.id).where(t.c.id == employer.id)).first() is None:
            self.conn.execute(sa.insert(t).values(id=employer.id, data=data))
        else:
            self.conn.execute(sa.update(t).where(t.c.id == employer.id).values(data=data))

    def put_application(self, grant_id: str, application: Application) -> None:
        data = canonical_json(application_to_data(application)).decode()
        t = self.t.applications
        if (
            self.conn.execute(sa.select(t.c.grant_id).where(t.c.grant_id == grant_id)).first()
            is None
        ):
            self.conn.execute(sa.insert(t).values(grant_id=grant_id, data=data))
        else:
            self.conn.execute(sa.update(t).where(t.c.grant_id == grant_id).values(data=data))
