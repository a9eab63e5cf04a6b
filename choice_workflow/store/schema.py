"""The tables of the SQL store, for a table prefix and a schema of the caller's choice.

The events table is the log (append-only: triggers refuse UPDATE and DELETE); the
others are projections, rebuilt from the log by replay and compared with it by verify.
Instants are integer microseconds since the Unix epoch (UTC); amounts are decimal text
with 2 places, so that no engine converts money through a float.
"""

from __future__ import annotations

import re

import attrs
import sqlalchemy as sa

from choice_workflow.errors import InvalidInput, Problem

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names that are the same on every engine (alembic's recommendation)."""


@attrs.frozen
class Tables:
    """The store's tables under one prefix and schema."""

    metadata: sa.MetaData
    events: sa.Table
    commands: sa.Table
    grants: sa.Table
    employers: sa.Table
    applications: sa.Table
    cycles: sa.Table
    awards: sa.Table
    tree: sa.Table
    prefix: str
    schema: str | None


def make_tables(prefix: str = "", schema: str | None = None) -> Tables:
    """Build the tables named ``{prefix}events`` etc., in ``schema`` (None: the default).

    The prefix and schema become parts of identifiers (and of the triggers' DDL): they
    are checked here, so that nothing but letters, digits and underscores reach SQL."""

    bad = []
    if not re.fullmatch(r"[A-Za-z0-9_]{0,40}", prefix or ""):
        bad.append(
            Problem(
                (),
                f"table prefix {prefix!r} is not usable",
                "Use letters, digits and _ (up to 40).",
                "prefix",
            )
        )
    if schema is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
        bad.append(
            Problem((), f"schema {schema!r} is not usable", "Use a plain identifier.", "schema")
        )
    if bad:
        raise InvalidInput(problems=bad)
    md = sa.MetaData(naming_convention=NAMING_CONVENTION, schema=schema)
    money = sa.String(20)
    ident = sa.String(200)
    events = sa.Table(
        f"{prefix}events",
        md,
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("stream_id", ident, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("occurred_us", sa.BigInteger, nullable=False),
        sa.Column("recorded_us", sa.BigInteger, nullable=False),
        sa.Column("actor_id", ident, nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("command_id", ident, nullable=False),
        sa.Column("record", sa.LargeBinary, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("stream_id", "version"),
        sa.Index(f"ix_{prefix}events_command_id", "command_id"),
    )
    commands = sa.Table(
        f"{prefix}commands",
        md,
        sa.Column("command_id", ident, primary_key=True),
        sa.Column("first_position", sa.BigInteger, nullable=False),
    )
    grants = sa.Table(
        f"{prefix}grants",
        md,
        sa.Column("id", ident, primary_key=True),
        sa.Column("employer_id", ident, nullable=False, index=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False, index=True),
        sa.Column("amount_requested", money, nullable=False),
        sa.Column("applied_us", sa.BigInteger, nullable=False),
        sa.Column("amount", money),
        sa.Column("reviewed_by", ident),
        sa.Column("approved_us", sa.BigInteger),
        sa.Column("approved_by", ident),
        sa.Column("notice_channel", sa.String(40)),
        sa.Column("notice_us", sa.BigInteger),
        sa.Column("accept_by_us", sa.BigInteger, index=True),
        sa.Column("accepted_us", sa.BigInteger),
        sa.Column("transition_start_us", sa.BigInteger),
        sa.Column("ended_us", sa.BigInteger),
        sa.Column("disbursed", money, nullable=False, server_default="0.00"),
        sa.Column("instalments", sa.Integer, nullable=False, server_default="0"),
        sa.Column("referred_from", ident),
        sa.Column("endorsed_by", ident),
        sa.Column("endorsed_amount", money),
        sa.Column("final_wages_version", sa.Integer),
        sa.Column("cause", sa.String(40)),
        sa.Column("receivable", money, nullable=False, server_default="0.00"),
        sa.Column("repaid", money, nullable=False, server_default="0.00"),
        sa.Column("on_hold", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("retain_until_us", sa.BigInteger),
        sa.Column("unspent", money, nullable=False, server_default="0.00"),
    )
    employers = sa.Table(
        f"{prefix}employers",
        md,
        sa.Column("id", ident, primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    applications = sa.Table(
        f"{prefix}applications",
        md,
        sa.Column("grant_id", ident, primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    cycles = sa.Table(
        f"{prefix}cycles",
        md,
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("opens_us", sa.BigInteger, nullable=False),
        sa.Column("applications_close_us", sa.BigInteger),
        sa.Column("appropriation", money, nullable=False),
        sa.Column("reserved", money, nullable=False),
        sa.Column("disbursed", money, nullable=False),
        sa.Column("waitlist", sa.Text, nullable=False),
        sa.Column("referred", sa.Text, nullable=False),
    )
    # 15(g), 10(3): one row per employer ever awarded a grant; the primary key is the
    # database's own refusal of a second award.
    awards = sa.Table(
        f"{prefix}awards",
        md,
        sa.Column("employer_id", ident, primary_key=True),
        sa.Column("grant_id", ident, nullable=False),
    )
    # The log's Merkle tree (RFC 6962): every complete subtree's hash; a leaf (level 0)
    # names the position of its event. Appended to, never changed.
    tree = sa.Table(
        f"{prefix}tree",
        md,
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.Column("position", sa.BigInteger, unique=True),
    )
    return Tables(
        md, events, commands, grants, employers, applications, cycles, awards, tree, prefix,
        schema,
    )  # fmt: skip


def append_only_ddl(tables: Tables, dialect: str) -> list[str]:
    """The statements that make the events table refuse UPDATE, DELETE (and, on
    PostgreSQL, TRUNCATE): 2 CFR 200.336 records that cannot be altered."""
    name = tables.events.name
    qualified = f'"{tables.schema}"."{name}"' if tables.schema else f'"{name}"'
    if dialect == "sqlite":
        return [
            f'CREATE TRIGGER IF NOT EXISTS "{name}_no_update" BEFORE UPDATE ON "{name}" '
            "BEGIN SELECT RAISE(ABORT, 'the events table is append-only'); END",
            f'CREATE TRIGGER IF NOT EXISTS "{name}_no_delete" BEFORE DELETE ON "{name}" '
            "BEGIN SELECT RAISE(ABORT, 'the events table is append-only'); END",
        ]
    if dialect == "postgresql":
        fn = f'"{tables.schema}"."{name}_append_only"' if tables.schema else f'"{name}_append_only"'
        return [
            f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'the events table is append-only'; END $$",
            f'CREATE TRIGGER "{name}_no_update_delete" BEFORE UPDATE OR DELETE ON {qualified} '
            f"FOR EACH ROW EXECUTE FUNCTION {fn}()",
            f'CREATE TRIGGER "{name}_no_truncate" BEFORE TRUNCATE ON {qualified} '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
        ]
    return []


NOTIFY_CHANNEL = "choice_workflow_events"
"""The PostgreSQL channel the events tables notify when events are recorded (one for
every store of a database: the payload names the table; a listener looks at its own
log again whichever store it was)."""


def notify_ddl(tables: Tables, dialect: str, *, drop: bool = False) -> list[str]:
    """On PostgreSQL, the trigger that notifies :data:`NOTIFY_CHANNEL` after each insert
    of events (a subscription's wake-up; nothing else depends on it)."""
    if dialect != "postgresql":
        return []
    name = tables.events.name
    qualified = f'"{tables.schema}"."{name}"' if tables.schema else f'"{name}"'
    fn = f'"{tables.schema}"."{name}_notify"' if tables.schema else f'"{name}_notify"'
    if drop:
        return [
            f'DROP TRIGGER IF EXISTS "{name}_notify" ON {qualified}',
            f"DROP FUNCTION IF EXISTS {fn}()",
        ]
    return [
        f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM pg_notify('choice_workflow_events', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME); "
        "RETURN NULL; END $$",
        f'CREATE TRIGGER "{name}_notify" AFTER INSERT ON {qualified} '
        f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
    ]
