"""JSON Lines export and import of the log, streaming in constant memory.

The first line is a header ``{"format":"choice_workflow-log","version":1}``. Every
further line is the canonical JSON of ``{"hash","position","prev_hash","record"}``,
where ``record`` is the event's stored canonical bytes, embedded verbatim: an outside
tool parses the line and re-encodes ``record`` canonically to get the hashed bytes;
this module slices them out of the line without re-encoding.

A log file is input from outside: every line is capped at :data:`MAX_LINE` bytes and
read one at a time, the envelope of each line must be canonical JSON with increasing
positions, and a record that would break a JSON reader (too deep, NaN, a surrogate) is
refused before any reader gets it; :func:`parse_record` reads a record as strict JSON
(UTF-8, no duplicate keys, no NaN or infinities, bounded nesting and numbers). Hostile
input is a :class:`LogFormatError`, never another exception.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs
import orjson

from choice_workflow.errors import LogFormatError
from choice_workflow.events import canonical_json
from choice_workflow.store.base import StoredEvent

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "HEADER",
    "MAX_DEPTH",
    "MAX_LINE",
    "LogFormatError",
    "RawLine",
    "export_log",
    "line_of",
    "parse_record",
    "read_lines",
    "read_record",
]

FORMAT = "choice_workflow-log"
FORMAT_VERSION = 1
HEADER = b'{"format":"choice_workflow-log","version":1}\n'
MAX_LINE = 1 << 20
"""The longest line accepted (1 MiB): an event larger than that is not one of ours."""
MAX_DEPTH = 64
"""The deepest nesting of arrays and objects accepted in a record (the library's own
records nest 6 deep): deeper input would exhaust the interpreter's recursion limit."""
_RECORD_KEY = b',"record":'
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

_EVENT_LINE = re.compile(
    rb'\{"hash":"([0-9a-f]{64})","position":([1-9][0-9]{0,18}),"prev_hash":"([0-9a-f]{64})","record":'
)
"""The canonical envelope of an event line, up to its record (which ends the line)."""
_FLOAT = re.compile(rb"(?<![0-9])-?[0-9]++(?:\.[0-9]++(?:[eE][-+]?[0-9]++)?|[eE][-+]?[0-9]++)")
"""A JSON number with a fraction or an exponent (what Python reads as a float), tried
only where a run of digits starts."""


@attrs.frozen
class RawLine:
    """One event line as read, before any decoding of its record."""

    line_no: int
    position: int
    prev_hash: str
    hash: str
    record: bytes


def read_record(record: bytes) -> tuple[dict[str, Any], bool]:
    """The JSON object of a record, read strictly, and whether the record is in
    canonical form (RFC 8785) as it stands.

    A canonical record (what the library writes) is read by orjson and checked by
    encoding what was read again: equal bytes mean no duplicate key, no number out of
    range and no escape a canonical writer would not make. Anything else goes through
    :func:`parse_record`, which names the hazard."""
    value = _canonical(record)
    if value is not None:
        return value, True
    return parse_record(record), False


def _canonical(record: bytes) -> dict[str, Any] | None:
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
    if hazard is not None and _readable(record):
        raise LogFormatError(reason=f"the record {hazard}", hint="The file is damaged.")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
    except (RecursionError, ValueError) as exc:  # JSONDecodeError, digit limit, hooks
        hazard = _hazard(record)
        if hazard is not None and _readable(record):
            raise LogFormatError(
                reason=f"the record {hazard}", hint="The file is damaged."
            ) from None
        if isinstance(exc, RecursionError):  # pragma: no cover - _hazard names it first
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
    """The surrogate hazards of :func:`_hazard`, or None."""
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


def _hazard(record: bytes) -> str | None:
    """What in ``record`` no JSON reader can be trusted with, or None.

    Nesting deeper than :data:`MAX_DEPTH` (Python's parser and encoder recurse), UTF-16
    surrogates, escaped or raw (a lone one cannot be encoded back to UTF-8), NaN and
    infinities, and numbers beyond a float's range (read as infinity): every reader of
    the log meets these as exceptions of its own, so :func:`read_lines` refuses them
    before any reader does. A regular expression pass over the record, outside its
    strings: exact for a record that is JSON; on broken JSON it may see what is not
    there, so a hazard counts only in a record that reads (:func:`_readable`).
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


def _readable(record: bytes) -> bool:
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


def _strict_loads(data: bytes) -> Any:
    """``json.loads`` of a line's envelope, refusing duplicate keys and NaN."""
    return json.loads(data, object_pairs_hook=_unique_keys, parse_constant=_no_constant)


def line_of(stored: StoredEvent) -> bytes:
    """The export line of one stored event."""
    head = json.dumps(
        {"hash": stored.hash, "position": stored.position, "prev_hash": stored.prev_hash},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    return head[:-1] + _RECORD_KEY + stored.record + b"}\n"


def export_log(events: Iterable[StoredEvent], out: IO[bytes]) -> int:
    """Write the header and one line per event; return the number of events."""
    out.write(HEADER)
    n = 0
    for stored in events:
        out.write(line_of(stored))
        n += 1
    return n


def read_lines(path: str | Path | IO[bytes]) -> Iterator[RawLine]:
    """The event lines of a log file, checked for shape, in constant memory.

    Raises :class:`LogFormatError` for a missing header, an oversized line, a line that
    is not the canonical JSON of an event line, a position that does not increase, a
    record nested deeper than :data:`MAX_DEPTH`, a record that reads as JSON but holds
    what no reader can be trusted with (NaN, infinities, UTF-16 surrogates), or a
    truncated last line. A record that is otherwise not canonical JSON (broken, not
    UTF-8, a duplicated key, ...) is left to verify, which reports it.
    """
    if isinstance(path, str | Path):
        with open(path, "rb") as handle:
            yield from _read(handle)
    else:
        yield from _read(path)


def _read(handle: IO[bytes]) -> Iterator[RawLine]:
    first = handle.readline(MAX_LINE + 1)
    if first.rstrip(b"\n") != HEADER.rstrip(b"\n"):
        raise LogFormatError(
            reason="line 1 is not the choice_workflow log header",
            hint=f"Export the log with choice_workflow; the first line must be {HEADER.decode().strip()}.",
        )
    line_no = 1
    last_position = 0
    while True:
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        line_no += 1
        if len(line) > MAX_LINE:
            raise LogFormatError(
                reason=f"line {line_no} is longer than {MAX_LINE} bytes",
                hint="The file is not an exported log.",
            )
        if not line.endswith(b"\n"):
            raise LogFormatError(
                reason=f"line {line_no} is cut off (no newline): the file is truncated",
                hint="Export the log again.",
            )
        raw = _parse(line[:-1], line_no)
        if raw.position <= last_position:
            raise LogFormatError(
                reason=f"line {line_no}: position {raw.position} does not follow {last_position}",
                hint="Positions increase down the file; the file is damaged.",
            )
        last_position = raw.position
        if _canonical(raw.record) is not None:
            yield raw  # what the library writes holds none of the hazards
            continue
        hazard = _hazard(raw.record)
        if hazard is not None and _readable(raw.record):
            raise LogFormatError(
                reason=f"line {line_no}: the record {hazard}", hint="The file is damaged."
            )
        yield raw


def _parse(line: bytes, line_no: int) -> RawLine:
    fast = _EVENT_LINE.match(line)
    if fast is not None and line.endswith(b"}"):  # the canonical envelope
        position = int(fast[2])
        if position < 1 << 62:
            return RawLine(
                line_no, position, fast[3].decode(), fast[1].decode(), line[fast.end() : -1]
            )
    cut = line.find(_RECORD_KEY)
    if cut < 0 or not line.startswith(b"{") or not line.endswith(b"}"):
        raise LogFormatError(
            reason=f"line {line_no} is not an event line",
            hint="Each line holds hash, position, prev_hash, record.",
        )
    envelope = line[:cut] + b"}"
    try:
        head: Any = _strict_loads(envelope)
    except (ValueError, RecursionError):
        raise LogFormatError(
            reason=f"line {line_no} is not valid JSON", hint="The file is damaged."
        ) from None
    if not isinstance(head, dict) or set(head) != {"hash", "position", "prev_hash"}:
        raise LogFormatError(
            reason=f"line {line_no} has unexpected fields",
            hint="Each line holds hash, position, prev_hash, record.",
        )
    position, prev, digest = head["position"], head["prev_hash"], head["hash"]
    if not (
        isinstance(position, int) and not isinstance(position, bool) and 0 < position < 1 << 62
    ):
        raise LogFormatError(
            reason=f"line {line_no}: position must be a positive integer",
            hint="The file is damaged.",
        )
    for value in (prev, digest):
        if not (
            isinstance(value, str)
            and len(value) == 64
            and all(c in "0123456789abcdef" for c in value)
        ):
            raise LogFormatError(
                reason=f"line {line_no}: hashes must be 64 lowercase hex digits",
                hint="The file is damaged.",
            )
    if envelope != _canonical_envelope(digest, position, prev):
        raise LogFormatError(
            reason=f"line {line_no} is not in canonical form",
            hint="Each line is canonical JSON (docs/audit-format.md): sorted keys, no spaces.",
        )
    return RawLine(line_no, position, prev, digest, line[cut + len(_RECORD_KEY) : -1])


def _canonical_envelope(digest: str, position: int, prev_hash: str) -> bytes:
    return b'{"hash":"%s","position":%d,"prev_hash":"%s"}' % (
        digest.encode(),
        position,
        prev_hash.encode(),
    )
