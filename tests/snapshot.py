"""Snapshot files of the tests (``tests/snapshots``): compare, or write them anew with
``UPDATE_SNAPSHOTS=1``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).parent / "snapshots"


def check_snapshot(name: str, actual: str) -> None:
    """Fail unless ``actual`` is the text of snapshot ``name`` (``UPDATE_SNAPSHOTS=1``
    writes it first, for a change made on purpose)."""
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
    if not path.exists():
        pytest.fail(f"no snapshot {path}: run the test with UPDATE_SNAPSHOTS=1")
    expected = path.read_text(encoding="utf-8")
    assert expected == actual, f"{name} changed: if on purpose, run with UPDATE_SNAPSHOTS=1"
