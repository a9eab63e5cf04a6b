"""JSON Schemas (draft 2020-12) of the data an agency's forms send: the application of
15(b), the employer of Section 10 and the recorded facts of 20(a)(1) and 15(c).

Each schema is generated from the attrs model by the type forms the data codec reads
(``domain/_codec.py``), so that the schema and the reader cannot drift apart: money is a
string of dollars and cents (``"25000.00"``), a date ``YYYY-MM-DD``, an instant an ISO
8601 text with its offset, an enum one of its values; every field without a default is
required and no other field is allowed. The tests check both ways: what the library
writes is valid, and no document the schema accepts is refused by the reader for its
shape. The schema is the stricter of the two: it asks for money as text and dates as
``YYYY-MM-DD``, where the reader also takes a whole number of dollars and the other
ISO 8601 forms of a date.

The schema checks the shape of a document; what is well-formed but wrong (a sum that
does not add up, a date outside the grant period, a missing fiscal year) is for
:func:`~choice_workflow.domain.application.validate_application`, with its cites.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import pendulum

from choice_workflow.domain.application import Application
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.wage_records import Headcount, WageRecord

__all__ = [
    "DATE_PATTERN",
    "INSTANT_PATTERN",
    "MONEY_PATTERN",
    "application_schema",
    "employer_schema",
    "headcount_schema",
    "json_schema",
    "performance_schema",
    "wage_schema",
]

MONEY_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
"""Dollars and at most two places of cents, digits only: no exponent, no spaces, no
thousands separators, no underscores."""

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
"""A day as ``YYYY-MM-DD`` (the pattern for forms whose validator skips ``format``)."""

INSTANT_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})$"
"""An instant as ISO 8601 with its offset (``2030-07-01T09:00:00-05:00`` or ``...Z``)."""

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _describe(cls: type) -> str:
    doc = inspect.getdoc(cls) or cls.__name__
    return " ".join(doc.split("\n\n", 1)[0].split())


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def of(self, tp: Any) -> dict[str, Any]:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (types.UnionType, typing.Union):
            inner = [self.of(a) for a in args if a is not type(None)]
            nullable = type(None) in args
            return {"anyOf": [*inner, {"type": "null"}]} if nullable else {"anyOf": inner}
        if origin is tuple:
            return {"type": "array", "items": self.of(args[0])}
        if origin is Mapping:
            return {"type": "object", "additionalProperties": self.of(args[1])}
        if tp is Decimal:
            return {"type": "string", "pattern": MONEY_PATTERN, "description": "dollars and cents"}
        if tp is pendulum.DateTime:
            return {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN,
                    "description": "an instant with its UTC offset"}  # fmt: skip
        if isinstance(tp, type) and issubclass(tp, dt.date) and not issubclass(tp, dt.datetime):
            return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is str:
            return {"type": "string"}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return {"enum": [m.value for m in tp]}
        if isinstance(tp, type) and attrs.has(tp):
            if tp.__name__ not in self.defs:
                self.defs[tp.__name__] = {}  # placed first: a model that holds itself
                self.defs[tp.__name__] = self.model(tp)
            return {"$ref": f"#/$defs/{tp.__name__}"}
        raise TypeError(f"no schema for {tp!r}")  # a model with a new kind of field: a defect

    def model(self, cls: type) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        fields = attrs.fields(cls)
        return {
            "type": "object",
            "description": _describe(cls),
            "properties": {f.name: self.of(hints[f.name]) for f in fields},
            "required": [f.name for f in fields if f.default is attrs.NOTHING],
            "additionalProperties": False,
        }


def json_schema(cls: type, *, title: str | None = None) -> dict[str, Any]:
    """The JSON Schema of the data form of the attrs model ``cls`` (what its
    ``*_from_data`` reader reads); nested models are ``$defs``."""
    builder = _Builder()
    root = builder.model(cls)
    schema: dict[str, Any] = {"$schema": _DIALECT, "title": title or cls.__name__, **root}
    if builder.defs:
        schema["$defs"] = dict(sorted(builder.defs.items()))
    return schema


def application_schema() -> dict[str, Any]:
    """15(b): the application, as :func:`~choice_workflow.domain.application.application_from_data` reads it."""
    return json_schema(
        Application, title="Employment Choice for All Act: grant application (15(b))"
    )


def employer_schema() -> dict[str, Any]:
    """Section 10: the employer, as :func:`~choice_workflow.domain.employer.employer_from_data` reads it."""
    return json_schema(Employer, title="Employment Choice for All Act: employer (Section 10)")


def wage_schema() -> dict[str, Any]:
    """15(l), 20(a)(1): one wage record, as :func:`~choice_workflow.domain.recorded.parse_wage_record` reads it."""
    return json_schema(WageRecord, title="Employment Choice for All Act: wage record (15(l))")


def headcount_schema() -> dict[str, Any]:
    """20(a)(1): one quarter's headcount, as :func:`~choice_workflow.domain.recorded.parse_headcount` reads it."""
    return json_schema(Headcount, title="Employment Choice for All Act: headcount (20(a)(1))")


def performance_schema() -> dict[str, Any]:
    """15(c): one performance record, as :func:`~choice_workflow.domain.recorded.parse_performance_record` reads it."""
    from choice_workflow.domain.recorded import PerformanceData  # noqa: PLC0415 - recorded imports the models too

    return json_schema(
        PerformanceData, title="Employment Choice for All Act: performance record (15(c))"
    )
