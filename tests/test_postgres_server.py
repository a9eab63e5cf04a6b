"""The test suite's own PostgreSQL server really runs."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa


@pytest.mark.postgres
def test_the_throwaway_server_answers_queries_in_a_fresh_database(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar_one()
        tables = conn.execute(
            sa.text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        ).scalar_one()
    engine.dispose()
    assert int(str(version).split(".")[0]) >= 13
    assert 0 == tables


@pytest.mark.postgres
def test_the_server_runs_as_an_unprivileged_user(pg_url: str) -> None:
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT current_setting('data_directory')").fetchone()
    assert row is not None
    assert "cw-pg-" in row[0]
