"""What every command shares: exit codes, one-line errors, masked passwords, options,
and opening a store.

Exit codes: 0 fine, 1 findings, 2 usage or input error (a one-line message on stderr,
never a traceback), 70 a defect of the library (its traceback, masked), 130
interrupted. A database password never reaches the terminal: URLs are shown through
:func:`~choice_workflow.store.urls.mask_url`, and every message on stderr is scrubbed
of the passwords of the URLs the command was given, whatever library wrote it.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import click
import pendulum
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from choice_workflow.errors import ChoiceWorkflowError
from choice_workflow.store.sql import SqlStore, StoreError, missing_sqlite_file
from choice_workflow.store.urls import mask_url

OK = 0
"""Done, nothing found."""
FINDINGS = 1
"""Done, and replay, verify or import found something in the log."""
USAGE = 2
"""Bad arguments or input: an unreadable file, a bad URL, a log that is not a log, ..."""
DEFECT = 70
"""An error the library did not raise on purpose (EX_SOFTWARE): a defect to report."""
INTERRUPTED = 130
"""Interrupted (Ctrl-C)."""

PROG = "choice-workflow"
ENV_DB = "CHOICE_WORKFLOW_DB"
"""The environment variable that names the database when ``--db`` is not given."""

_secrets: ContextVar[set[str] | None] = ContextVar("choice_workflow_cli_secrets", default=None)
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):(?P<pw>[^@\s]*)@")

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    # click 8.2+ types ParamType by what it converts to; 8.1 (still allowed) does not.
    _UrlType = click.ParamType[str]
    _InstantType = click.ParamType[dt.datetime]
else:
    _UrlType = _InstantType = click.ParamType


class InputError(click.ClickException):
    """Input the command cannot use (exit code 2)."""

    exit_code = USAGE


# -- passwords ---------------------------------------------------------------------------


def remember_secret(url: str) -> None:
    """Note the password of ``url`` (raw and decoded), so that no message shows it."""
    found = _secrets.get()
    if found is None:
        return
    match = _USERINFO.search(url)
    if match is not None and match["pw"]:
        found.add(match["pw"])
    try:
        password = make_url(url).password
    except (sa.exc.ArgumentError, ValueError):
        password = None
    if password:
        found.add(str(password))


def mask(text: str) -> str:
    """``text`` with every URL password and every remembered password shown as ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['head']}:***@", text)
    for secret in sorted(_secrets.get() or (), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def one_line(text: str) -> str:
    """``text`` masked, on one line."""
    return " ".join(mask(text).split())


# -- the root group: errors become exit codes --------------------------------------------


def _fail(message: str, code: int) -> int:
    click.echo(one_line(message), err=True)
    return code


def _database_message(exc: sa.exc.SQLAlchemyError) -> str:
    # The DBAPI's own message; str(exc) would add the statement and its parameters.
    orig = getattr(exc, "orig", None)
    return f"database error: {orig if orig is not None else exc}"


_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())
"""click 8.2+ raises it for a bare ``choice-workflow``; 8.1 prints the help and exits."""


def _is_migration_error(exc: Exception) -> bool:
    # alembic is imported only by the commands that migrate; if it was never imported,
    # the error cannot be one of its own.
    util = sys.modules.get("alembic.util")
    error = getattr(util, "CommandError", None)
    return isinstance(error, type) and isinstance(exc, error)


class RootGroup(click.Group):
    """The ``choice-workflow`` group: runs a command and turns what it raises into an
    exit code and a one-line, masked message on stderr."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exit with its code (or return it when
        ``standalone_mode`` is false)."""
        token = _secrets.set(set())
        try:
            code = self._guarded(args, prog_name, complete_var, windows_expand_args, extra)
        finally:
            _secrets.reset(token)
        if standalone_mode:
            raise SystemExit(code)
        return code

    def _guarded(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        windows_expand_args: bool,
        extra: dict[str, Any],
    ) -> int:
        name = prog_name or PROG
        try:
            rv = super().main(
                args,
                name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except _NO_ARGS_IS_HELP as exc:
            exc.show()  # the help, as click shows it
            return USAGE
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else name
            return _fail(f"{where}: {exc.format_message()} (try '{where} --help')", USAGE)
        except click.ClickException as exc:
            return _fail(f"{name}: {exc.format_message()}", USAGE)
        except click.Abort:
            return _fail(f"{name}: aborted", INTERRUPTED)
        except ChoiceWorkflowError as exc:
            return _fail(f"{name}: {exc}", USAGE)
        except sa.exc.SQLAlchemyError as exc:
            return _fail(f"{name}: {_database_message(exc)}", USAGE)
        except BrokenPipeError:
            return INTERRUPTED  # the reader went away (``| head``): nothing to say
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            return _fail(f"{name}: {exc.strerror or exc}{where}", USAGE)
        except Exception as exc:
            if _is_migration_error(exc):
                return _fail(f"{name}: database migrations: {exc}", USAGE)
            click.echo(mask("".join(traceback.format_exception(exc))), err=True, nl=False)
            return _fail(
                f"{name}: internal error ({type(exc).__name__}): a defect, please report it",
                DEFECT,
            )
        return rv if isinstance(rv, int) else OK


# -- parameter types and shared options --------------------------------------------------


class DatabaseUrl(_UrlType):
    """A SQLAlchemy database URL. Its password is remembered, to be masked everywhere."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """Check that ``value`` parses as a URL; return it unchanged."""
        text = str(value)
        remember_secret(text)
        try:
            make_url(text)
        except (sa.exc.ArgumentError, ValueError):
            self.fail(
                f"{mask_url(text)!r} is not a database URL (for example sqlite:///grants.sqlite)",
                param,
                ctx,
            )
        return text


class Instant(_InstantType):
    """An ISO 8601 instant with its UTC offset (``2031-07-01T00:00:00-05:00``, ``...Z``),
    or a date (``2031-07-01``): the midnight that begins it in Chicago, the Act's zone."""

    name = "instant"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.datetime:
        """Parse ``value``; refuse a time without an offset (it would name no instant)."""
        if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-":
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)
            return pendulum.datetime(day.year, day.month, day.day, tz="America/Chicago")
        if isinstance(value, dt.datetime):
            parsed = value
        else:
            try:
                parsed = dt.datetime.fromisoformat(str(value))
            except ValueError:
                self.fail(
                    f"{value!r} is not an ISO 8601 instant (for example 2031-07-01T00:00:00-05:00)",
                    param,
                    ctx,
                )
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail(f"{value!r} has no UTC offset; add one (for example -05:00 or Z)", param, ctx)
        return parsed


class RootHash(_UrlType):
    """A published seal root: 64 hex digits (returned in lower case)."""

    name = "hex"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """Check the digits."""
        text = str(value).strip().lower()
        if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
            self.fail(f"{value!r} is not a seal root (64 hex digits)", param, ctx)
        return text


DATABASE_URL = DatabaseUrl()
INSTANT = Instant()
ROOT_HASH = RootHash()


def json_option(f: F) -> F:
    """``--json``: one JSON document on stdout instead of tables, and no progress."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print one JSON document on stdout (no tables, no progress).",
    )(f)


def db_options(f: F) -> F:
    """``--db URL`` (default ``$CHOICE_WORKFLOW_DB``), ``--prefix`` and ``--schema``."""
    f = click.option(
        "--schema", default=None, metavar="NAME", help="Schema of the tables (PostgreSQL)."
    )(f)
    f = click.option("--prefix", default="", metavar="P", help="Prefix of the table names.")(f)
    return click.option(
        "--db",
        type=DATABASE_URL,
        envvar=ENV_DB,
        show_envvar=True,
        metavar="URL",
        help="Database URL, e.g. sqlite:///grants.sqlite (default: $CHOICE_WORKFLOW_DB).",
    )(f)


def need_db(db: str | None) -> str:
    """The ``--db`` URL, or a usage error that says how to give one."""
    if db is None:
        raise click.UsageError(
            f"no database: pass --db URL or set {ENV_DB}",
            ctx=click.get_current_context(silent=True),
        )
    return db


# -- stores ------------------------------------------------------------------------------


def _check_sqlite_file(url: str) -> None:
    database = missing_sqlite_file(url)
    if database is not None:
        raise InputError(f"no database file {database} (check --db; this command creates none)")


def _has_log(store: SqlStore) -> bool:
    engine = store.engine
    if engine is None:  # pragma: no cover - a store opened from a URL has its engine
        return True
    with engine.connect() as conn:
        return sa.inspect(conn).has_table(store.tables.events.name, schema=store.tables.schema)


def open_store(
    url: str, *, prefix: str = "", schema: str | None = None, create: bool = False
) -> SqlStore:
    """The store at ``url``, disposed of when the command ends.

    ``create`` brings a new or old database's schema up to date (simulate, import);
    without it the database must already hold the store's tables, and nothing is
    created (an auditor's typo must not leave an empty database behind).
    """
    try:
        if create:
            store = SqlStore(url, prefix=prefix, schema=schema)
        else:
            _check_sqlite_file(url)
            store = SqlStore(url, prefix=prefix, schema=schema, migrate=False)
            try:
                present = _has_log(store)
            except BaseException:
                store.dispose()
                raise
            if not present:
                store.dispose()
                raise InputError(
                    f"{mask_url(url)} holds no choice_workflow tables (check --db, --prefix "
                    "and --schema, or create them with 'choice-workflow db upgrade')"
                )
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(
            reason=f"cannot use {mask_url(url)}: {getattr(exc, 'orig', None) or exc}",
            hint="Check the URL and that the database is reachable.",
        ) from None
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(store.dispose)
    return store


def require_events(store: SqlStore, url: str) -> None:
    """Refuse a database that holds no program yet (a Program would start one)."""
    if next(iter(store.stored_events()), None) is None:
        raise InputError(f"{mask_url(url)} holds no grant program yet (check --db)")
