"""The initial schema: the event log, command ids and the projections.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from choice_workflow.store.schema import append_only_ddl, make_tables

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the tables (a snapshot of store/schema.py at this revision)."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    ident = sa.String(200)
    money = sa.String(20)
    op.create_table(
        f"{prefix}events",
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
        sa.PrimaryKeyConstraint("position", name=f"pk_{prefix}events"),
        sa.UniqueConstraint("stream_id", "version", name=f"uq_{prefix}events_stream_id_version"),
        schema=schema,
    )
    op.create_index(
        f"ix_{prefix}events_command_id", f"{prefix}events", ["command_id"], schema=schema
    )
    op.create_table(
        f"{prefix}commands",
        sa.Column("command_id", ident, nullable=False),
        sa.Column("first_position", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("command_id", name=f"pk_{prefix}commands"),
        schema=schema,
    )
    op.create_table(
        f"{prefix}grants",
        sa.Column("id", ident, nullable=False),
        sa.Column("employer_id", ident, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("amount_requested", money, nullable=False),
        sa.Column("applied_us", sa.BigInteger, nullable=False),
        sa.Column("amount", money),
        sa.Column("reviewed_by", ident),
        sa.Column("approved_us", sa.BigInteger),
        sa.Column("approved_by", ident),
        sa.Column("notice_channel", sa.String(40)),
        sa.Column("notice_us", sa.BigInteger),
        sa.Column("accept_by_us", sa.BigInteger),
        sa.Column("accepted_us", sa.BigInteger),
        sa.Column("transition_start_us", sa.BigInteger),
        sa.Column("ended_us", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name=f"pk_{prefix}grants"),
        schema=schema,
    )
    for column in ("employer_id", "state", "accept_by_us"):
        op.create_index(f"ix_{prefix}grants_{column}", f"{prefix}grants", [column], schema=schema)
    op.create_table(
        f"{prefix}employers",
        sa.Column("id", ident, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{prefix}employers"),
        schema=schema,
    )
    op.create_table(
        f"{prefix}applications",
        sa.Column("grant_id", ident, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name=f"pk_{prefix}applications"),
        schema=schema,
    )
    for statement in append_only_ddl(make_tables(prefix, schema), op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    """Drop everything; the log goes with it, so only ever on a throwaway database."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    for table in ("applications", "employers", "grants", "commands", "events"):
        op.drop_table(f"{prefix}{table}", schema=schema)
