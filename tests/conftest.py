"""Shared fixtures: the cite marker, hypothesis profiles, the throwaway PostgreSQL server."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from choice_workflow.store.base import Store
from choice_workflow.store.memory import MemoryStore
from choice_workflow.store.sql import SqlStore

_prefixes = itertools.count()

# CI machines have 2 shared, noisy cores: no per-example deadline, a fixed seed and a
# bounded number of examples, so that a slow moment never fails a run.
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

pytest_plugins = ["tests.postgres"]


@pytest.fixture(
    name="every_store",
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def fixture_every_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each backend in turn: memory, SQLite, then PostgreSQL (tables
    of their own prefix on the throwaway server)."""
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path / 'store.sqlite'}")
    else:
        prefix = f"s{next(_prefixes)}_"
        store = SqlStore(request.getfixturevalue("pg_url"), prefix=prefix)
    yield store
    store.dispose()
