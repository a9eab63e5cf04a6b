"""The library's errors for a SQL driver's: never the statement or its parameters."""

from __future__ import annotations

import sqlalchemy as sa

from choice_workflow.errors import ChoiceWorkflowError, ConnectionLost, StoreError

__all__ = ["RETRYABLE", "database_error"]

RETRYABLE = frozenset({"40P01", "40001"})
_LOST = frozenset({"57P01", "57P02", "57P03"})
"""PostgreSQL's admin shutdown, crash shutdown and cannot-connect-now (with class 08,
connection exceptions): the connection is gone, the transaction with it."""


def database_error(
    exc: sa.exc.DBAPIError, where: str, lock_timeout: float | None
) -> ChoiceWorkflowError:
    """The library's error for a driver's: a lost connection, a lock held too long, or
    anything else the database refused, named by its SQLSTATE or class and the first
    line of the driver's message. Never the statement or its parameters (SQLAlchemy's
    own message carries both: employee data in an error log)."""
    orig = exc.orig
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if sqlstate[:2] in ("22", "23"):  # data and constraint errors may quote a value
        first = type(orig).__name__
    unreachable = (  # psycopg cannot connect (refused, down, restarting): no SQLSTATE
        isinstance(exc, sa.exc.OperationalError) and not sqlstate
        and type(orig).__module__.startswith("psycopg")
    )  # fmt: skip
    if exc.connection_invalidated or unreachable or sqlstate.startswith("08") or sqlstate in _LOST:
        return ConnectionLost(
            reason=f"the connection to {where} was lost ({sqlstate or type(orig).__name__}: {first})",
            hint="Retry: a command retried with its own command id returns its first result "
            "if it had committed; nothing is half-written.",
        )
    if "database is locked" in first:
        waited = "its busy timeout" if lock_timeout is None else f"{lock_timeout:g} seconds"
        return StoreError(
            reason=f"{where} stayed locked by another writer for {waited}",
            hint="Retry later; a long writer (an import, a backup) holds the lock. "
            "SqlStore(..., lock_timeout=SECONDS) waits longer.",
        )
    return StoreError(
        reason=f"{where} refused the statement ({sqlstate or type(orig).__name__}: {first})",
        hint="Check the database's log for this error; the command was not committed.",
    )
