"""PostgreSQL roles for a store: one that appends to the log, one that only reads.

The database is the last line of defence of the log: the triggers of the events table
refuse UPDATE, DELETE and TRUNCATE, and the roles below refuse them again, by the
grants alone, to whoever connects as the application. ``roles.sql`` (shipped in the
package) holds the statements; :func:`apply_roles` fills in the role names and the
tables' names, always quoted by psycopg (never by string formatting), and runs them in
one transaction. See docs/security.md.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.store.schema import make_tables
from choice_workflow.store.sql import StoreError, create_engine
from choice_workflow.store.urls import mask_url

if TYPE_CHECKING:
    from choice_workflow.store.schema import Tables

APP_ROLE = "choice_workflow_app"
"""The default application role: reads everything, appends to the log, keeps the
projections; never UPDATE, DELETE or TRUNCATE on events."""
AUDITOR_ROLE = "choice_workflow_auditor"
"""The default auditor role: reads everything, writes nothing."""

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
"""A role name: lower case letters, digits and underscores, at most 63 characters (what
PostgreSQL keeps of a name), not starting with a digit; ``pg_`` names are the server's."""
PREFIX = re.compile(r"[A-Za-z0-9_]{0,40}")
"""A table prefix: letters, digits and underscores."""
SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
"""A schema name: letters, digits and underscores, not starting with a digit."""

_PROJECTIONS = ("grants", "employers", "applications", "cycles", "awards")


def roles_sql() -> str:
    """The template of the roles' statements (``roles.sql``), placeholders in braces."""
    return resources.files("choice_workflow.store").joinpath("roles.sql").read_text("utf-8")


def apply_roles(
    target: str | Engine | Connection,
    *,
    app_role: str = APP_ROLE,
    auditor_role: str = AUDITOR_ROLE,
    prefix: str = "",
    schema: str | None = None,
) -> None:
    """Create the application and auditor roles if missing (NOLOGIN) and grant them
    their rights on the store's tables under ``prefix`` and ``schema``; revoke every
    right of PUBLIC on those tables. Safe to run again: the grants are reset to these.

    Run it as the tables' owner (or a superuser) after the migrations
    (:func:`~choice_workflow.store.sql.upgrade`). PostgreSQL only.

    Raises :class:`~choice_workflow.errors.InvalidInput` for a role name, prefix or
    schema outside :data:`ROLE_NAME`, :data:`PREFIX`, :data:`SCHEMA`, and
    :class:`~choice_workflow.store.sql.StoreError` for SQLite or a database that refuses.
    """
    check_names(app_role=app_role, auditor_role=auditor_role, prefix=prefix, schema=schema)
    tables = make_tables(prefix, schema)
    if isinstance(target, Connection):
        _apply(target, tables, app_role, auditor_role)
        return
    where = mask_url(target) if isinstance(target, str) else mask_url(str(target.url))
    try:
        engine = create_engine(target) if isinstance(target, str) else target
    except (sa.exc.ArgumentError, ValueError, ImportError) as exc:
        # The message of a URL that does not parse may hold the URL, password and all.
        reason = str(exc).replace(target, where) if isinstance(target, str) else str(exc)
        raise StoreError(
            reason=f"cannot open {where}: {reason}", hint="Check the database URL."
        ) from None
    try:
        with engine.begin() as conn:
            _apply(conn, tables, app_role, auditor_role)
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(
            reason=f"cannot set up the roles in {where}: {_reason(exc)}",
            hint="Run it as the tables' owner, after 'choice-workflow db upgrade'.",
        ) from None
    finally:
        if isinstance(target, str):
            engine.dispose()


def check_names(
    *, app_role: str, auditor_role: str, prefix: str = "", schema: str | None = None
) -> None:
    """Refuse role names, a prefix or a schema that are not plain identifiers."""
    problems = []
    for field, value in (("app_role", app_role), ("auditor_role", auditor_role)):
        if not (isinstance(value, str) and ROLE_NAME.fullmatch(value)) or value.startswith("pg_"):
            problems.append(
                Problem(
                    (),
                    f"{value!r} is not a role name this library creates",
                    "Use lower case letters, digits and underscores (not starting with pg_).",
                    field,
                )
            )
    if app_role == auditor_role:
        problems.append(
            Problem((), "the app and auditor roles must differ", "Name two roles.", "auditor_role")
        )
    if not (isinstance(prefix, str) and PREFIX.fullmatch(prefix)):
        problems.append(
            Problem((), f"{prefix!r} is not a table prefix", "Use letters, digits, _.", "prefix")
        )
    if schema is not None and not (isinstance(schema, str) and SCHEMA.fullmatch(schema)):
        problems.append(
            Problem((), f"{schema!r} is not a schema name", "Use letters, digits, _.", "schema")
        )
    if problems:
        raise InvalidInput(problems=problems)


def _apply(conn: Connection, tables: Tables, app_role: str, auditor_role: str) -> None:
    if conn.dialect.name != "postgresql":
        raise StoreError(
            reason=f"roles are a PostgreSQL feature, not {conn.dialect.name}'s",
            hint="On SQLite, protect the database file instead (docs/security.md).",
        )
    from psycopg import sql  # noqa: PLC0415 - psycopg is the optional postgres extra

    def table(t: sa.Table) -> sql.Identifier:
        return sql.Identifier(t.schema, t.name) if t.schema else sql.Identifier(t.name)

    version_table = sa.Table(f"{tables.prefix}alembic_version", sa.MetaData(), schema=tables.schema)
    names: dict[str, Any] = {
        "app": sql.Identifier(app_role),
        "auditor": sql.Identifier(auditor_role),
        "app_name": sql.Literal(app_role),
        "auditor_name": sql.Literal(auditor_role),
        "events": table(tables.events),
        "commands": table(tables.commands),
        "tree": table(tables.tree),
        "alembic_version": table(version_table),
    }
    names.update({name: table(getattr(tables, name)) for name in _PROJECTIONS})
    driver = conn.connection.driver_connection
    # pg_get_serial_sequence and ::regclass read a table's name as SQL text: its quoted form.
    names["events_name"] = sql.Literal(table(tables.events).as_string(driver))
    for template in statements(roles_sql()):
        conn.exec_driver_sql(sql.SQL(template).format(**names).as_string(driver))


def statements(script: str) -> list[str]:
    """The statements of ``script``, without its comment lines: each ends with ``;`` at
    the end of a line outside a ``$$`` body."""
    found: list[str] = []
    lines: list[str] = []
    in_body = False
    for line in script.splitlines():
        if not lines and (not line.strip() or line.lstrip().startswith("--")):
            continue
        lines.append(line)
        in_body ^= line.count("$$") % 2 == 1
        if not in_body and line.rstrip().endswith(";"):
            found.append("\n".join(lines))
            lines = []
    if lines:
        found.append("\n".join(lines))
    return found


def _reason(exc: sa.exc.SQLAlchemyError) -> str:
    # The driver's message, first line: the error's own text repeats the statement.
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
