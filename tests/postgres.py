"""The throwaway PostgreSQL server of the test suite.

One server per test session, a fresh database per test module. Where the server cannot
start, tests marked ``postgres`` are skipped locally, but fail when ``CI=true``: CI must
run them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from choice_workflow._pgserver import PostgresServer, ServerUnavailable


@pytest.fixture(name="pg_server", scope="session")
def fixture_pg_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server."""
    try:
        server = PostgresServer().start()
    except ServerUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests, but the server did not start: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="pg_url", scope="module")
def fixture_pg_url(pg_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A SQLAlchemy URL of a fresh database for the requesting test module."""
    name = "t_" + re.sub(r"[^a-z0-9_]", "_", request.module.__name__.lower())[-50:]
    return pg_server.create_database(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the server carry the ``postgres`` marker, so ``-m postgres`` works."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if ("pg_url" in names or "pg_server" in names) and item.get_closest_marker(
            "postgres"
        ) is None:
            item.add_marker(pytest.mark.postgres)
