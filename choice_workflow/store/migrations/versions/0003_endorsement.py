"""The dual-authorization endorsement of a grant's amount.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the endorsement columns of the grants projection."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    op.add_column(f"{prefix}grants", sa.Column("endorsed_by", sa.String(200)), schema=schema)
    op.add_column(f"{prefix}grants", sa.Column("endorsed_amount", sa.String(20)), schema=schema)


def downgrade() -> None:
    """Drop them again."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    with op.batch_alter_table(f"{prefix}grants", schema=schema) as batch:
        batch.drop_column("endorsed_amount")
        batch.drop_column("endorsed_by")
