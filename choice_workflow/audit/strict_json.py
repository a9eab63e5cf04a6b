"""The strict reader of one record: JSON that no reader of the log can be misled by.

A canonical record (what the library writes) is read by orjson and checked by encoding
it again; anything else goes through :func:`parse_record`, which refuses duplicate keys,
NaN and infinities, UTF-16 surrogates, numbers beyond a float and nesting deeper than
:data:`MAX_DEPTH`, naming the hazard (:class:`LogFormatError`).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

import orjson

from choice_workflow.errors import LogFormatError
from choice_workflow.events import canonical_json

__all__ = [
    "MAX_DEPTH",
    "canonical_object",
    "hazard_of",
    "parse_record",
    "read_record",
    "readable",
    "strict_loads",
]

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects accepted in a record (the library's own
records nest 6 deep): deeper input would exhaust the interpreter's recursion limit."""
_STRING = re.compile(rb'"(?:[^"\\]|\\.?)*+"?', re.DOTALL)
"""A JSON string, or an unterminated one to the end: every match consumes what it
scans, so that no input makes the search quadratic."""
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_SURROGATE_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*+\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")
"""A UTF-16 surrogate encoded as if UTF-8: not UTF-8, yet ``json.loads`` of bytes reads
it (it decodes with ``surrogatepass``)."""
_CONSTANT = re.compile(rb"NaN|Infinity")

_FLOAT = re.compile(rb"(?<![0-9])-?[0-9]++(?:\.[0-9]++(?:[eE][-+]?[0-9]++)?|[eE][-+]?[0-9]++)")
"""A JSON number with a fraction or an exponent (what Python reads as a float), tried
only where a run of digits starts."""


def read_record(record: bytes) -> tuple[dict[str, Any], bool]:
    """The JSON object of a record, read strictly, and whether the record is in
    canonical form (RFC 8785) as it stands.

    A canonical record (what the library writes) is read by orjson and checked by
    encoding what was read again: equal bytes mean no duplicate key, no number out of
    range and no escape a canonical writer would not make. Anything else goes through
    :func:`parse_record`, which names the hazard."""
    value = canonical_object(record)
    if value is not None:
        return value, True
    return parse_record(record), False


def canonical_object(record: bytes) -> dict[str, Any] | None:
    """The object orjson reads from ``record`` when it encodes back to the very same
    bytes (RFC 8785) and nests at most :data:`MAX_DEPTH` deep, else None. Such a record
    holds no NaN, infinity, surrogate, duplicate key or number out of range: none of
    them survives the round trip."""
    try:
        value = orjson.loads(record)  # its own nesting limit is 1024
        if type(value) is not dict or canonical_json(value) != record:
            return None
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None
    if record.count(b"[") + record.count(b"{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        return None
    return value


def parse_record(record: bytes) -> dict[str, Any]:
    """The JSON object of a record, read strictly.

    Raises :class:`LogFormatError` for anything but a JSON object in UTF-8 without
    duplicate keys, NaN or infinities, escaped surrogates, integers beyond Python's
    digit limit or nesting deeper than :data:`MAX_DEPTH`: none of these can be the
    canonical JSON of docs/audit-format.md, and each could break a reader later.
    """
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LogFormatError(
            reason=f"the record is not UTF-8 (byte {exc.start})", hint="The file is damaged."
        ) from None
    # Surrogates first: the strict reader would take an escaped one. NaN, infinities
    # and numbers beyond a float make the strict reader fail, and only then is the
    # record searched for what to name (the search outside strings costs more than the
    # reading); the nesting is measured on what was read, when it could be too deep.
    hazard = _surrogate(record)
    if hazard is not None and readable(record):
        raise LogFormatError(reason=f"the record {hazard}", hint="The file is damaged.")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
    except (RecursionError, ValueError) as exc:  # JSONDecodeError, digit limit, hooks
        hazard = hazard_of(record)
        if hazard is not None and readable(record):
            raise LogFormatError(
                reason=f"the record {hazard}", hint="The file is damaged."
            ) from None
        if isinstance(exc, RecursionError):  # pragma: no cover - hazard_of names it first
            raise LogFormatError(
                reason="the record nests too deep", hint="The file is damaged."
            ) from None
        raise LogFormatError(
            reason=f"the record is not strict JSON: {exc}", hint="The file is damaged."
        ) from None
    if (
        record.count(b"[") + record.count(b"{") > MAX_DEPTH
        and isinstance(value, dict | list)
        and _depth(value) > MAX_DEPTH
    ):
        raise LogFormatError(
            reason=f"the record nests deeper than {MAX_DEPTH} levels", hint="The file is damaged."
        )
    if not isinstance(value, dict):
        raise LogFormatError(reason="the record is not a JSON object", hint="The file is damaged.")
    return value


def _surrogate(record: bytes) -> str | None:
    """The surrogate hazards of :func:`hazard_of`, or None."""
    if b"\\u" in record and _SURROGATE_ESCAPE.search(record) is not None:
        return "escapes a UTF-16 surrogate"
    if b"\xed" in record and _ENCODED_SURROGATE.search(record) is not None:
        return "holds a UTF-16 surrogate, which UTF-8 does not have"
    return None


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in a value read from JSON (iteratively; it
    stops as soon as the depth passes :data:`MAX_DEPTH`)."""
    deepest = 0
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        item, level = todo.pop()
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                return deepest
        for child in item.values() if type(item) is dict else item:
            if type(child) is dict or type(child) is list:
                todo.append((child, level + 1))
    return deepest


def hazard_of(record: bytes) -> str | None:
    """What in ``record`` no JSON reader can be trusted with, or None.

    Nesting deeper than :data:`MAX_DEPTH` (Python's parser and encoder recurse), UTF-16
    surrogates, escaped or raw (a lone one cannot be encoded back to UTF-8), NaN and
    infinities, and numbers beyond a float's range (read as infinity): every reader of
    the log meets these as exceptions of its own, so :func:`read_lines` refuses them
    before any reader does. A regular expression pass over the record, outside its
    strings: exact for a record that is JSON; on broken JSON it may see what is not
    there, so a hazard counts only in a record that reads (:func:`readable`).
    """
    found = _surrogate(record)
    if found is not None:
        return found
    skeleton = _STRING.sub(b'""', record)
    if skeleton.count(b"[") + skeleton.count(b"{") > MAX_DEPTH:
        brackets = skeleton.translate(None, _NOT_BRACKETS)
        if max(itertools.accumulate(_DEPTH_STEP[b] for b in brackets), default=0) > MAX_DEPTH:
            return f"nests deeper than {MAX_DEPTH} levels"
    if _CONSTANT.search(skeleton) is not None:
        return "holds NaN or Infinity, which JSON does not have"
    for number in _FLOAT.finditer(skeleton):
        if not math.isfinite(float(number[0])):
            shown = number[0].decode() if len(number[0]) <= 40 else f"{number[0][:40].decode()}..."
            return f"holds the number {shown}, beyond the range of a float"
    return None


def readable(record: bytes) -> bool:
    """False when ``json.loads`` finds ``record`` broken (as every reader of the log
    would): a hazard seen in a record no reader can read is left to verify, which
    reports the record. Too deep a nesting is no excuse: it is the hazard itself."""
    try:
        json.loads(record)
    except RecursionError:
        return True
    except ValueError:
        return False
    return True


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads would keep the last of two equal keys: the record would then say two
    # things, and only one of them would be read.
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key[:40]!r} appears twice in one object")
            seen.add(key)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def strict_loads(data: bytes) -> Any:
    """``json.loads`` of a line's envelope, refusing duplicate keys and NaN."""
    return json.loads(data, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
