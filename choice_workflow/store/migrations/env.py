"""Alembic environment of the store: runs on the connection the caller hands in.

``choice_workflow.store.upgrade`` passes the connection, the table prefix and the
schema through ``Config.attributes``; nothing here reads a file or the environment.
"""

from __future__ import annotations

from alembic import context

from choice_workflow.store.schema import make_tables

config = context.config
connection = config.attributes["connection"]
prefix: str = config.attributes.get("prefix", "")
schema: str | None = config.attributes.get("schema")

context.configure(
    connection=connection,
    target_metadata=make_tables(prefix, schema).metadata,
    version_table=f"{prefix}alembic_version",
    version_table_schema=schema,
    include_schemas=schema is not None,
    render_as_batch=connection.dialect.name == "sqlite",
)

with context.begin_transaction():
    context.run_migrations()
