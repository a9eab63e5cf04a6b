"""The ``db`` group: ``db upgrade`` applies the store's migrations (shipped in the package)."""

from __future__ import annotations

import click
import sqlalchemy as sa

from choice_workflow._cli.core import OK, db_options, json_option, need_db
from choice_workflow._cli.output import Output
from choice_workflow.store.sql import StoreError, create_engine, upgrade
from choice_workflow.store.urls import mask_url


@click.group()
def db() -> None:
    """Manage the database of the store."""


def _revision(url: str, prefix: str, schema: str | None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={"version_table": f"{prefix}alembic_version", "version_table_schema": schema},
            )
            return context.get_current_revision()
    finally:
        engine.dispose()


@db.command(name="upgrade", short_help="Apply the migrations.")
@db_options
@json_option
def upgrade_command(db: str | None, prefix: str, schema: str | None, as_json: bool) -> int:
    """Create the store's tables, or bring them up to the latest schema.

    Safe to run again: a database already up to date is left as it is.
    """
    output = Output(as_json)
    url = need_db(db)
    try:
        upgrade(url, prefix=prefix, schema=schema)
        revision = _revision(url, prefix, schema)
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(
            f"cannot upgrade {mask_url(url)}: {getattr(exc, 'orig', None) or exc}",
            hint="Check the URL and that the database is reachable.",
        ) from None
    if output.as_json:
        output.emit(
            {"database": mask_url(url), "prefix": prefix, "schema": schema, "revision": revision}
        )
    else:
        where = f" (prefix {prefix!r})" if prefix else ""
        where += f" (schema {schema})" if schema else ""
        output.line(f"{mask_url(url)}{where}: schema at revision {revision}")
    return OK
