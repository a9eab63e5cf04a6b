"""JSON Lines export and import of the log, streaming in constant memory.

The first line is a header ``{"format":"choice_workflow-log","version":1}``. Every
further line is the canonical JSON of ``{"hash","position","prev_hash","record"}``,
where ``record`` is the event's stored canonical bytes, embedded verbatim: an outside
tool parses the line and re-encodes ``record`` canonically to get the hashed bytes;
this module slices them out of the line without re-encoding.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from choice_workflow.errors import ChoiceWorkflowError
from choice_workflow.store.base import StoredEvent

FORMAT = "choice_workflow-log"
FORMAT_VERSION = 1
HEADER = b'{"format":"choice_workflow-log","version":1}\n'
MAX_LINE = 1 << 20
"""The longest line accepted (1 MiB): an event larger than that is not one of ours."""
_RECORD_KEY = b',"record":'


class LogFormatError(ChoiceWorkflowError):
    """A log file that is not in the audit format; the message names the line."""


@attrs.frozen
class RawLine:
    """One event line as read, before any decoding of its record."""

    line_no: int
    position: int
    prev_hash: str
    hash: str
    record: bytes


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

    Raises :class:`LogFormatError` for a missing header, an oversized or malformed line,
    or a truncated last line.
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
            "line 1 is not the choice_workflow log header",
            hint=f"Export the log with choice_workflow; the first line must be {HEADER.decode().strip()}.",
        )
    line_no = 1
    while True:
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        line_no += 1
        if len(line) > MAX_LINE:
            raise LogFormatError(
                f"line {line_no} is longer than {MAX_LINE} bytes",
                hint="The file is not an exported log.",
            )
        if not line.endswith(b"\n"):
            raise LogFormatError(
                f"line {line_no} is cut off (no newline): the file is truncated",
                hint="Export the log again.",
            )
        yield _parse(line[:-1], line_no)


def _parse(line: bytes, line_no: int) -> RawLine:
    cut = line.find(_RECORD_KEY)
    if cut < 0 or not line.startswith(b"{") or not line.endswith(b"}"):
        raise LogFormatError(
            f"line {line_no} is not an event line",
            hint="Each line holds hash, position, prev_hash, record.",
        )
    try:
        head: Any = json.loads(line[:cut] + b"}")
    except (ValueError, RecursionError):
        raise LogFormatError(
            f"line {line_no} is not valid JSON", hint="The file is damaged."
        ) from None
    if not isinstance(head, dict) or set(head) != {"hash", "position", "prev_hash"}:
        raise LogFormatError(
            f"line {line_no} has unexpected fields",
            hint="Each line holds hash, position, prev_hash, record.",
        )
    position, prev, digest = head["position"], head["prev_hash"], head["hash"]
    if not (
        isinstance(position, int) and not isinstance(position, bool) and 0 < position < 1 << 62
    ):
        raise LogFormatError(
            f"line {line_no}: position must be a positive integer", hint="The file is damaged."
        )
    for value in (prev, digest):
        if not (
            isinstance(value, str)
            and len(value) == 64
            and all(c in "0123456789abcdef" for c in value)
        ):
            raise LogFormatError(
                f"line {line_no}: hashes must be 64 lowercase hex digits",
                hint="The file is damaged.",
            )
    return RawLine(line_no, position, prev, digest, line[cut + len(_RECORD_KEY) : -1])
