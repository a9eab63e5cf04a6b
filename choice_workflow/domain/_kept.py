"""The data an immutable model was read from, remembered for as long as the model
lives: writing the model out again gives that data back without walking it.

Verify reads every recorded command back into its models (an application, wage
records) and writes it out again to compare with what was recorded; for data the log
itself wrote, reading and writing again are inverses (a tested law), so the walk back
is saved. Only readers asked to (``keep=True``) remember; by identity, never equality.
"""

from __future__ import annotations

import weakref
from typing import Any

_READ_FROM: dict[int, tuple[weakref.ref[Any], Any]] = {}


def keep(value: object, data: Any) -> None:
    """Remember that ``value`` was read from ``data``."""
    key = id(value)

    def forget(_: weakref.ref[Any]) -> None:
        _READ_FROM.pop(key, None)

    try:
        ref = weakref.ref(value, forget)
    except TypeError:  # pragma: no cover - every model is weak-referenceable
        return
    _READ_FROM[key] = (ref, data)


def kept(value: object) -> Any:
    """The data ``value`` was read from, or None."""
    found = _READ_FROM.get(id(value))
    if found is not None and found[0]() is value:
        return found[1]
    return None
