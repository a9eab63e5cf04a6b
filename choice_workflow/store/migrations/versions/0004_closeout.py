"""Termination receivables, the final wage report, close-out retention and holds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = (
    "unspent",
    "retain_until_us",
    "on_hold",
    "repaid",
    "receivable",
    "cause",
    "final_wages_version",
)


def upgrade() -> None:
    """Add the grants projection's columns for terminations, close-out and retention."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    table = f"{prefix}grants"
    op.add_column(table, sa.Column("final_wages_version", sa.Integer), schema=schema)
    op.add_column(table, sa.Column("cause", sa.String(40)), schema=schema)
    op.add_column(
        table,
        sa.Column("receivable", sa.String(20), nullable=False, server_default="0.00"),
        schema=schema,
    )
    op.add_column(
        table,
        sa.Column("repaid", sa.String(20), nullable=False, server_default="0.00"),
        schema=schema,
    )
    op.add_column(
        table,
        sa.Column("on_hold", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=schema,
    )
    op.add_column(table, sa.Column("retain_until_us", sa.BigInteger), schema=schema)
    op.add_column(
        table,
        sa.Column("unspent", sa.String(20), nullable=False, server_default="0.00"),
        schema=schema,
    )
    # "evaluated" is no longer final: it waits for its close-out, so it has no end yet.
    grants = sa.table(table, sa.column("state"), sa.column("ended_us"), schema=schema)
    op.execute(grants.update().where(grants.c.state == "evaluated").values(ended_us=None))


def downgrade() -> None:
    """Drop them again."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    with op.batch_alter_table(f"{prefix}grants", schema=schema) as batch:
        for name in _COLUMNS:
            batch.drop_column(name)
