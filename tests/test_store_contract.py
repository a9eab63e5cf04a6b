"""The store contract, run on every backend: memory, SQLite (a file) and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from choice_workflow.store import MemoryStore, Store
from choice_workflow.store.sql import SqlStore
from choice_workflow.testing import StoreContract

_prefixes = itertools.count()


class TestMemoryStore(StoreContract):
    @pytest.fixture(name="store")
    def fixture_store(self) -> Store:
        return MemoryStore()


class TestSqliteStore(StoreContract):
    @pytest.fixture(name="store")
    def fixture_store(self, tmp_path: Path) -> Iterator[Store]:
        store = SqlStore(f"sqlite:///{tmp_path / 'grants.sqlite'}")
        yield store
        store.dispose()


@pytest.mark.postgres
class TestPostgresStore(StoreContract):
    @pytest.fixture(name="store")
    def fixture_store(self, pg_url: str) -> Iterator[Store]:
        # A fresh table prefix per test: the contract also checks that prefixed tables
        # fit beside others in one database.
        store = SqlStore(pg_url, prefix=f"t{next(_prefixes)}_")
        yield store
        store.dispose()
