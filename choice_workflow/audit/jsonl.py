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
input is a :class:`LogFormatError`, never another exception; read leniently (verify),
a damaged line is a line with its damage instead, and only a file that is not JSON
Lines at all is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

import attrs

from choice_workflow.audit.strict_json import (
    MAX_DEPTH,
    canonical_object,
    hazard_of,
    parse_record,
    read_record,
    readable,
    strict_loads,
)
from choice_workflow.errors import LogFormatError
from choice_workflow.store.base import Item, StoredEvent

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
    "log_items",
    "parse_record",
    "read_lines",
    "read_record",
]

FORMAT = "choice_workflow-log"
FORMAT_VERSION = 1
HEADER = b'{"format":"choice_workflow-log","version":1}\n'
MAX_LINE = 1 << 20
"""The longest line accepted (1 MiB): an event larger than that is not one of ours."""
_RECORD_KEY = b',"record":'
_EVENT_LINE = re.compile(
    rb'\{"hash":"([0-9a-f]{64})","position":([1-9][0-9]{0,18}),"prev_hash":"([0-9a-f]{64})","record":'
)
"""The canonical envelope of an event line, up to its record (which ends the line)."""


@attrs.frozen
class RawLine:
    """One event line as read, before any decoding of its record."""

    line_no: int
    position: int
    prev_hash: str
    hash: str
    record: bytes
    damage: tuple[str, ...] = ()
    """What is wrong with the line (lenient reading only); with an empty record when
    nothing of it could be read."""


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


def read_lines(path: str | Path | IO[bytes], *, lenient: bool = False) -> Iterator[RawLine]:
    """The event lines of a log file, checked for shape, in constant memory.

    Raises :class:`LogFormatError` for a missing header, an oversized line, a line that
    is not the canonical JSON of an event line, a position that does not increase, a
    record nested deeper than :data:`MAX_DEPTH`, a record that reads as JSON but holds
    what no reader can be trusted with (NaN, infinities, UTF-16 surrogates), or a
    truncated last line. A record that is otherwise not canonical JSON (broken, not
    UTF-8, a duplicated key, ...) is left to verify, which reports it.

    ``lenient`` (what verify reads with): a damaged line is not an error but a line
    with its :attr:`RawLine.damage`: read as far as it can be (a CR before the newline,
    spaces, an extra key, upper-case hex, a position out of order, a missing header or
    final newline), or, where nothing can be read of it (an empty line, one that is not
    an event line, an oversized one, an unreadable hazard), yielded with no record.
    Only a file that is not JSON Lines at all (empty, or a first line that is no JSON
    object) is still refused.
    """
    if isinstance(path, str | Path):
        with open(path, "rb") as handle:
            yield from _read(handle, lenient)
    else:
        yield from _read(path, lenient)


def log_items(path: str | Path | IO[bytes]) -> Iterator[Item]:
    """What verify reads of a log file: its lines, read leniently, as items (a damaged
    line with its line number and damage)."""
    for line in read_lines(path, lenient=True):
        yield Item(
            line.position, line.record, line.prev_hash, line.hash,
            line=line.line_no, damage=line.damage,
        )  # fmt: skip


class _Damaged(Exception):
    """A line that cannot be read at all (lenient reading only)."""


def _read(handle: IO[bytes], lenient: bool) -> Iterator[RawLine]:
    damage: list[str] = []

    def problem(reason: str, hint: str) -> None:
        if not lenient:
            raise LogFormatError(reason=reason, hint=hint)
        damage.append(reason)

    first = handle.readline(MAX_LINE + 1)
    line_no = 1
    last_position = 0
    pending: bytes | None = None
    carried: list[str] = []
    if first.rstrip(b"\n") != HEADER.rstrip(b"\n"):
        if not lenient or not _json_object(first):
            raise LogFormatError(
                reason="line 1 is not the choice_workflow log header",
                hint=f"Export the log with choice_workflow; the first line must be {HEADER.decode().strip()}.",
            )
        if first.rstrip(b"\r\n") == HEADER.rstrip(b"\n"):
            yield _damaged(1, ["line 1 ends with CR LF, not LF"])
        elif first.startswith(b'{"hash"') or b'"record"' in first:
            carried = ["line 1 is not the log header (the header is missing)"]
            pending = first  # an event line: read it as one, the missing header its damage
            line_no = 0
        else:
            yield _damaged(1, ["line 1 is not the choice_workflow log header"])
    elif lenient and not first.endswith(b"\n"):
        yield _damaged(1, ["line 1 is cut off (no newline): the file is truncated"])
    while True:
        if pending is not None:
            line, pending = pending, None
        else:
            line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        line_no += 1
        damage, carried = carried, []
        if len(line) > MAX_LINE:
            problem(
                f"line {line_no} is longer than {MAX_LINE} bytes",
                "The file is not an exported log.",
            )
            while len(line) > MAX_LINE and not line.endswith(b"\n"):  # skip the rest of it
                line = handle.readline(MAX_LINE + 1)
            yield _damaged(line_no, damage)
            continue
        if not line.endswith(b"\n"):
            problem(
                f"line {line_no} is cut off (no newline): the file is truncated",
                "Export the log again.",
            )
        else:
            line = line[:-1]
        if lenient and line.endswith(b"\r"):
            damage.append(f"line {line_no} ends with CR LF, not LF")
            line = line[:-1]
        if lenient and not line.strip():
            damage.append(f"line {line_no} is empty")
            yield _damaged(line_no, damage)
            continue
        try:
            raw = _parse(line, line_no, problem)
        except _Damaged:
            yield _damaged(line_no, damage)
            continue
        if raw.position <= last_position:
            problem(
                f"line {line_no}: position {raw.position} does not follow {last_position}",
                "Positions increase down the file; the file is damaged.",
            )
        last_position = max(last_position, raw.position)
        if canonical_object(raw.record) is not None:
            yield attrs.evolve(raw, damage=tuple(damage)) if damage else raw
            continue
        hazard = hazard_of(raw.record)
        if hazard is not None and readable(raw.record):
            problem(f"line {line_no}: the record {hazard}", "The file is damaged.")
            yield _damaged(line_no, damage)
            continue
        yield attrs.evolve(raw, damage=tuple(damage)) if damage else raw


def _damaged(line_no: int, damage: list[str]) -> RawLine:
    return RawLine(line_no, 0, "", "", b"", tuple(damage))


def _json_object(line: bytes) -> bool:
    """Whether a line is some JSON object (a log with a damaged header is still JSON
    Lines; a file whose first line is not is no log at all)."""
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


_LOOSE_RECORD_KEY = re.compile(rb',[ \t\r\n]*"record"[ \t\r\n]*:[ \t\r\n]*')


def _parse(line: bytes, line_no: int, problem: Callable[[str, str], None]) -> RawLine:
    fast = _EVENT_LINE.match(line)
    if fast is not None and line.endswith(b"}}"):  # the canonical envelope
        position = int(fast[2])
        if position < 1 << 62:
            return RawLine(
                line_no, position, fast[3].decode(), fast[1].decode(), line[fast.end() : -1]
            )
    noted: list[str] = []

    def note(reason: str, hint: str) -> None:
        noted.append(reason)
        problem(reason, hint)

    def fatal(reason: str, hint: str) -> NoReturn:
        problem(reason, hint)
        raise _Damaged

    cut = line.find(_RECORD_KEY)
    key_length = len(_RECORD_KEY)
    stripped = line.strip(_JSON_SPACE)
    if cut < 0:
        loose = _LOOSE_RECORD_KEY.search(line)
        if loose is not None:
            cut, key_length = loose.start(), loose.end() - loose.start()
    if cut < 0 or not stripped.startswith(b"{") or not stripped.endswith(b"}"):
        fatal(
            f"line {line_no} is not an event line",
            "Each line holds hash, position, prev_hash, record.",
        )
    envelope = line[:cut] + b"}"
    try:
        head: Any = strict_loads(envelope)
    except (ValueError, RecursionError):
        fatal(f"line {line_no} is not valid JSON", "The file is damaged.")
    if not isinstance(head, dict) or not {"hash", "position", "prev_hash"} <= set(head):
        fatal(
            f"line {line_no} has unexpected fields",
            "Each line holds hash, position, prev_hash, record.",
        )
    if set(head) != {"hash", "position", "prev_hash"}:
        extra = ", ".join(sorted(set(head) - {"hash", "position", "prev_hash"}))
        note(
            f"line {line_no} has unexpected fields ({extra[:80]})",
            "Each line holds hash, position, prev_hash, record.",
        )
    position, prev, digest = head["position"], head["prev_hash"], head["hash"]
    if not (
        isinstance(position, int) and not isinstance(position, bool) and 0 < position < 1 << 62
    ):
        fatal(f"line {line_no}: position must be a positive integer", "The file is damaged.")
    hashes = []
    for value in (prev, digest):
        if not (
            isinstance(value, str) and len(value) == 64 and all(c in _HEX for c in value.lower())
        ):
            fatal(f"line {line_no}: hashes must be 64 lowercase hex digits", "The file is damaged.")
        if value != value.lower():
            note(f"line {line_no}: hashes must be 64 lowercase hex digits", "The file is damaged.")
        hashes.append(value.lower())
    prev, digest = hashes
    record = line[cut + key_length :].rstrip(_JSON_SPACE)[:-1].rstrip(_JSON_SPACE)
    if noted:
        pass  # the line's damage is said already
    elif (
        envelope != _canonical_envelope(digest, position, prev)
        or key_length != len(_RECORD_KEY)
        or len(record) != len(line) - cut - key_length - 1
    ):
        problem(
            f"line {line_no} is not in canonical form",
            "Each line is canonical JSON (docs/audit-format.md): sorted keys, no spaces.",
        )
    return RawLine(line_no, position, prev, digest, record)


_HEX = frozenset("0123456789abcdef")
_JSON_SPACE = b" \t\r\n"
"""JSON's whitespace (``bytes.strip()`` would take form feeds and vertical tabs too)."""


def _canonical_envelope(digest: str, position: int, prev_hash: str) -> bytes:
    return b'{"hash":"%s","position":%d,"prev_hash":"%s"}' % (
        digest.encode(),
        position,
        prev_hash.encode(),
    )
