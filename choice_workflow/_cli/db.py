"""The ``db`` group: ``db upgrade`` applies the store's migrations (shipped in the package)
and, with ``--roles``, the PostgreSQL roles of docs/security.md."""

from __future__ import annotations

import click
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from choice_workflow._cli.core import OK, db_options, json_option, need_db
from choice_workflow._cli.output import Output
from choice_workflow.store.roles import APP_ROLE, AUDITOR_ROLE, apply_roles, check_names
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


@db.command(name="upgrade", short_help="Apply the migrations (and the roles).")
@db_options
@click.option(
    "--roles",
    is_flag=True,
    help=f"Then create the roles {APP_ROLE} (append only) and {AUDITOR_ROLE} (read "
    "only) and grant them their rights (PostgreSQL).",
)
@json_option
def upgrade_command(
    db: str | None, prefix: str, schema: str | None, roles: bool, as_json: bool
) -> int:
    """Create the store's tables, or bring them up to the latest schema.

    Safe to run again: a database already up to date is left as it is. With --roles,
    on PostgreSQL, also create the application and auditor roles (NOLOGIN) and reset
    their grants: the application may append to the log but never UPDATE, DELETE or
    TRUNCATE it; the auditor may only read; PUBLIC gets nothing.
    """
    output = Output(as_json)
    url = need_db(db)
    if roles:
        _check_roles_target(url, prefix, schema)
    try:
        upgrade(url, prefix=prefix, schema=schema)
        revision = _revision(url, prefix, schema)
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(
            reason=f"cannot upgrade {mask_url(url)}: {getattr(exc, 'orig', None) or exc}",
            hint="Check the URL and that the database is reachable.",
        ) from None
    except ImportError as exc:  # the URL names a driver that is not installed
        raise StoreError(
            reason=f"cannot upgrade {mask_url(url)}: {exc}", hint="Install the database's driver."
        ) from None
    if roles:
        apply_roles(url, prefix=prefix, schema=schema)
    granted = {"app": APP_ROLE, "auditor": AUDITOR_ROLE} if roles else None
    if output.as_json:
        doc = {"database": mask_url(url), "prefix": prefix, "schema": schema}
        output.emit({**doc, "revision": revision, "roles": granted})
    else:
        where = f" (prefix {prefix!r})" if prefix else ""
        where += f" (schema {schema})" if schema else ""
        output.line(f"{mask_url(url)}{where}: schema at revision {revision}")
        if roles:
            output.line(f"roles: {APP_ROLE} (reads, appends to the log), {AUDITOR_ROLE} (reads)")
    return OK


def _check_roles_target(url: str, prefix: str, schema: str | None) -> None:
    """--roles is for PostgreSQL, and for plain identifiers: refuse anything else
    before the database is touched."""
    ctx = click.get_current_context(silent=True)
    if make_url(url).get_backend_name() != "postgresql":
        raise click.UsageError(
            f"--roles needs a PostgreSQL database, not {make_url(url).get_backend_name()} "
            "(SQLite has no roles: protect the file instead)",
            ctx=ctx,
        )
    check_names(app_role=APP_ROLE, auditor_role=AUDITOR_ROLE, prefix=prefix, schema=schema)
