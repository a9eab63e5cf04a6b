"""The ids a caller gives a new grant or employer: the names of their streams."""

from __future__ import annotations

import re

__all__ = ["ID_PATTERN", "RESERVED", "usable"]

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
"""A grant's or an employer's id: 1-100 ASCII letters, digits, ``.``, ``_`` or ``-``,
starting with a letter or a digit (it names a stream, a file of a records package and
a row of every report)."""

RESERVED = frozenset({"program", "seal", "security"})
"""The streams of the program itself: no grant's id."""


def usable(value: object) -> bool:
    """Whether ``value`` can be a new grant's or employer's id."""
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None
