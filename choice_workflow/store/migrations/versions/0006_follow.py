"""Following the log and paging the grants: an index of the grants by cycle, and on
PostgreSQL a notification on the store's channel when events are recorded.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import context, op

from choice_workflow.store.schema import make_tables, notify_ddl

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Index grants by cycle; on PostgreSQL, NOTIFY the store's channel on each insert
    of events (delivered when the transaction commits, at most once per transaction)."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    op.create_index(f"ix_{prefix}grants_cycle", f"{prefix}grants", ["cycle"], schema=schema)
    for statement in notify_ddl(make_tables(prefix, schema), op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    """Drop the index and the notification."""
    prefix: str = context.config.attributes.get("prefix", "")
    schema: str | None = context.config.attributes.get("schema")
    op.drop_index(f"ix_{prefix}grants_cycle", f"{prefix}grants", schema=schema)
    for statement in notify_ddl(make_tables(prefix, schema), op.get_bind().dialect.name, drop=True):
        op.execute(statement)
