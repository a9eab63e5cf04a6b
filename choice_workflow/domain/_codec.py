"""JSON-ready data for the domain's attrs models, driven by their type annotations.

One walker encodes and decodes every model, so that a new field needs no codec edit and
``from_data(to_data(x)) == x`` holds by construction. The forms understood are those the
models use: ``str``, ``int``, ``bool``, ``Decimal`` (money, written as a string),
``datetime.date`` (ISO date), ``pendulum.DateTime`` (ISO instant, UTC), enums (their
value), attrs classes (objects), ``X | None``, ``tuple[X, ...]`` (lists) and
``Mapping[str, X]`` (objects). Every problem found is collected with its field path; the
caller raises them together in one :class:`~choice_workflow.errors.InvalidInput`.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import reprlib
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pendulum

from choice_workflow.domain import _kept
from choice_workflow.domain.money import money_problem, to_money
from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.time import ensure_instant
from choice_workflow.time.instants import log_text

T = TypeVar("T")

CitesFor = Callable[[str], tuple[str, ...]]
"""Maps a field path (``"wages_14c.minimum"``) to the cites its problems carry."""

_NONE_TYPE = type(None)
_SHORT = reprlib.Repr()
_SHORT.maxstring = 40
_SHORT.maxother = 40


def describe(value: object) -> str:
    """A short description of a wrong value for a message: its type and a clipped repr."""
    return f"{type(value).__name__} {_SHORT.repr(value)}"


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    # Annotations are strings (postponed evaluation); they resolve in the model's module.
    return typing.get_type_hints(cls)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Walker:
    def __init__(self, cites_for: CitesFor) -> None:
        self.cites_for = cites_for
        self.problems: list[Problem] = []

    def bad(self, path: str, reason: str, hint: str) -> None:
        self.problems.append(Problem(self.cites_for(path), reason, hint, path))

    # -- encoding: model -> JSON-ready ----------------------------------------------

    def encode(self, value: object, tp: Any, path: str) -> Any:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (types.UnionType, typing.Union):
            if value is None and _NONE_TYPE in args:
                return None
            inner = [a for a in args if a is not _NONE_TYPE]
            return self.encode(value, inner[0], path)
        if origin is tuple:
            if not isinstance(value, tuple | list):
                return self._wrong(path, value, "a list")
            return [self.encode(v, args[0], f"{path}[{i}]") for i, v in enumerate(value)]
        if origin is Mapping:
            if not isinstance(value, Mapping):
                return self._wrong(path, value, "a mapping")
            out: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    self._wrong(f"{path}[{key!r}]", key, "a text key")
                    continue
                out[key] = self.encode(item, args[1], f"{path}[{key!r}]")
            return out
        if tp is Decimal:
            problem = money_problem(value, path, self.cites_for(path))
            if problem is not None:
                self.problems.append(problem)
                return None
            return str(to_money(value, path, self.cites_for(path)))
        if tp is pendulum.DateTime:
            if not _aware(value):
                return self._wrong(path, value, "an aware instant")
            return log_text(ensure_instant(value))  # the log's own form of an instant
        if _is_date_type(tp):
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                return self._wrong(path, value, "a date")
            return value.isoformat()
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                return self._wrong(path, value, "a whole number")
            return value
        if tp in (str, bool):
            if not isinstance(value, tp):
                return self._wrong(path, value, "text" if tp is str else "true or false")
            return value
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            if not isinstance(value, tp):
                return self._wrong(path, value, f"a {tp.__name__}")
            return value.value
        if isinstance(tp, type) and attrs.has(tp):
            if not isinstance(value, tp):
                return self._wrong(path, value, f"a {tp.__name__}")
            hints = _hints(tp)
            return {
                f.name: self.encode(getattr(value, f.name), hints[f.name], _join(path, f.name))
                for f in attrs.fields(tp)
            }
        raise TypeError(f"no codec for {tp!r}")  # a model with a new kind of field: a defect

    # -- decoding: JSON-ready -> model ----------------------------------------------

    def decode(self, value: object, tp: Any, path: str) -> Any:
        origin, args = _shape(tp)
        if origin in (types.UnionType, typing.Union):
            if value is None and _NONE_TYPE in args:
                return None
            inner = [a for a in args if a is not _NONE_TYPE]
            return self.decode(value, inner[0], path)
        if origin is tuple:
            if not isinstance(value, list):
                return self._wrong(path, value, "a list", ())
            return tuple(self.decode(v, args[0], f"{path}[{i}]") for i, v in enumerate(value))
        if origin is Mapping:
            if not isinstance(value, dict):
                return self._wrong(path, value, "an object", {})
            decoded: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    self._wrong(f"{path}[{key!r}]", key, "a text key")
                    continue
                decoded[key] = self.decode(item, args[1], f"{path}[{key!r}]")
            return decoded
        if tp is Decimal:
            problem = money_problem(value, path, self.cites_for(path))
            if problem is not None:
                self.problems.append(problem)
                return None
            return to_money(value, path, self.cites_for(path))
        if tp is pendulum.DateTime:
            parsed = _parse(dt.datetime.fromisoformat, value)
            if not _aware(parsed):
                return self._wrong(path, value, "an ISO instant with its UTC offset")
            return ensure_instant(parsed)
        if _is_date_type(tp):
            day = _parse(dt.date.fromisoformat, value)
            if day is None:
                return self._wrong(path, value, "an ISO date (YYYY-MM-DD)")
            return day
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                return self._wrong(path, value, "a whole number", 0)
            return value
        if tp in (str, bool):
            if not isinstance(value, tp):
                return self._wrong(path, value, "text" if tp is str else "true or false", tp())
            return value
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            try:
                return tp(value)
            except (ValueError, TypeError):
                choices = ", ".join(repr(m.value) for m in tp)
                self.bad(
                    path, f"{_SHORT.repr(value)} is not a {tp.__name__}", f"Use one of {choices}."
                )
                return next(iter(tp))
        if isinstance(tp, type) and attrs.has(tp):
            return self._decode_object(value, tp, path)
        raise TypeError(f"no codec for {tp!r}")  # a model with a new kind of field: a defect

    def _decode_object(self, value: object, cls: Any, path: str) -> Any:
        if not isinstance(value, dict):
            self._wrong(path, value, "an object")
            return None
        fields = attrs.fields(cls)
        names = {f.name for f in fields}
        for key in value:
            if key not in names:
                self.bad(
                    _join(path, str(key)),
                    f"unknown field {key!r}",
                    f"Remove it; the fields are {', '.join(sorted(names))}.",
                )
        hints = _hints(cls)
        kwargs: dict[str, Any] = {}
        complete = True
        before = len(self.problems)
        for f in fields:
            where = _join(path, f.name)
            if f.name in value:
                kwargs[f.name] = self.decode(value[f.name], hints[f.name], where)
            elif f.default is attrs.NOTHING:
                self.bad(where, f"{f.name} is missing", f"Add {f.name!r}.")
                complete = False
        # A model is built only from fields that all decoded: its own checks (a record's
        # __attrs_post_init__) must never judge a placeholder.
        return cls(**kwargs) if complete and len(self.problems) == before else None

    def _wrong(self, path: str, value: object, expected: str, placeholder: Any = None) -> Any:
        self.bad(path, f"expected {expected}, got {describe(value)}", f"Give {expected}.")
        # The placeholder keeps the walk going; it never escapes, as problems are raised.
        return placeholder


@functools.cache
def _shape(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    """``typing.get_origin`` and ``get_args`` of a type hint, computed once per hint."""
    return typing.get_origin(tp), typing.get_args(tp)


def _is_date_type(tp: Any) -> bool:
    # Not "tp is dt.date": freezegun swaps datetime.date for a subclass while time is
    # frozen, and the hints may have been resolved on either side of that swap.
    return isinstance(tp, type) and issubclass(tp, dt.date) and not issubclass(tp, dt.datetime)


def _aware(value: object) -> bool:
    return isinstance(value, dt.datetime) and value.utcoffset() is not None


def _parse(parser: Callable[[str], T], value: object) -> T | None:
    if not isinstance(value, str):
        return None
    try:
        return parser(value)
    except ValueError:
        return None


def to_data(value: object, cls: type, cites_for: CitesFor) -> dict[str, Any]:
    """``value`` (an instance of the attrs class ``cls``) as JSON-ready data, or
    :class:`InvalidInput` listing every field that does not hold its declared type."""
    found = _kept.kept(value)
    if isinstance(found, dict):
        return found
    walker = _Walker(cites_for)
    data = walker.encode(value, cls, "")
    if walker.problems:
        raise InvalidInput(problems=walker.problems)
    return typing.cast(dict[str, Any], data)


def from_data(data: object, cls: type[T], cites_for: CitesFor, *, keep: bool = False) -> T:
    """An instance of ``cls`` from :func:`to_data` output, or :class:`InvalidInput`
    listing every problem with its field path. ``keep``: :func:`to_data` of the result
    gives back ``data`` itself, when it was :func:`to_data`'s own output (a recorded
    payload, which the log wrote with it)."""
    walker = _Walker(cites_for)
    value = walker.decode(data, cls, "")
    if walker.problems:
        raise InvalidInput(problems=walker.problems)
    if keep and isinstance(data, dict):
        _kept.keep(value, data)
    return typing.cast(T, value)
