"""The log's Merkle tree (RFC 6962): complete subtree hashes, for proofs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the tree table; it fills from the log at the next seal or proof."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    op.create_table(
        f"{prefix}tree",
        sa.Column("level", sa.SmallInteger, nullable=False, autoincrement=False),
        sa.Column("idx", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.Column("position", sa.BigInteger),
        sa.PrimaryKeyConstraint("level", "idx", name=f"pk_{prefix}tree"),
        sa.UniqueConstraint("position", name=f"uq_{prefix}tree_position"),
        schema=schema,
    )


def downgrade() -> None:
    """Drop the tree table (it is rebuilt from the log)."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    op.drop_table(f"{prefix}tree", schema=schema)
