"""Cycles and their ledger, the one-award-per-employer table, disbursements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add cycles, awards, and the grant columns of disbursement and referral."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    ident = sa.String(200)
    money = sa.String(20)
    op.add_column(
        f"{prefix}grants",
        sa.Column("disbursed", money, nullable=False, server_default="0.00"),
        schema=schema,
    )
    op.add_column(
        f"{prefix}grants",
        sa.Column("instalments", sa.Integer, nullable=False, server_default="0"),
        schema=schema,
    )
    op.add_column(f"{prefix}grants", sa.Column("referred_from", ident), schema=schema)
    op.create_table(
        f"{prefix}cycles",
        sa.Column("number", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("opens_us", sa.BigInteger, nullable=False),
        sa.Column("applications_close_us", sa.BigInteger),
        sa.Column("appropriation", money, nullable=False),
        sa.Column("reserved", money, nullable=False),
        sa.Column("disbursed", money, nullable=False),
        sa.Column("waitlist", sa.Text, nullable=False),
        sa.Column("referred", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("number", name=f"pk_{prefix}cycles"),
        schema=schema,
    )
    op.create_table(
        f"{prefix}awards",
        sa.Column("employer_id", ident, nullable=False),
        sa.Column("grant_id", ident, nullable=False),
        sa.PrimaryKeyConstraint("employer_id", name=f"pk_{prefix}awards"),
        schema=schema,
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    op.drop_table(f"{prefix}awards", schema=schema)
    op.drop_table(f"{prefix}cycles", schema=schema)
    with op.batch_alter_table(f"{prefix}grants", schema=schema) as batch:
        for column in ("referred_from", "instalments", "disbursed"):
            batch.drop_column(column)
