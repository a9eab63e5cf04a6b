"""Events: the facts of the audit log, and their canonical encoding.

An event is frozen; its payload holds JSON-ready values only (Decimal amounts and
instants as strings), so that the canonical bytes of docs/audit-format.md can be
hashed and verified by an outside tool.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs
import orjson
import pendulum
import rfc8785

from choice_workflow.time.instants import log_text

_UTC = pendulum.UTC

PROGRAM_STREAM = "program"
"""The stream of program-wide events (the Rules in force)."""
SECURITY_STREAM = "security"
"""The stream of refused attempts (NotPermitted)."""
SEAL_STREAM = "seal"
"""The stream of seals: each lists every other stream's head and their Merkle root."""
CYCLE_STREAM_PREFIX = "cycle:"
"""The stream of cycle N is ``cycle:N``: its opening, appropriations and selections."""
EMPLOYER_STREAM_PREFIX = "employer:"
"""The stream of employer ID is ``employer:ID``: its registration, facts and contacts."""


def stream_kind(stream_id: str) -> str:
    """What kind of stream ``stream_id`` is: ``program``, ``seal``, ``security``,
    ``employer`` (``employer:ID``), ``cycle`` (``cycle:N``) or, for any other id,
    ``grant`` (a grant's id is its stream's)."""
    if stream_id in (PROGRAM_STREAM, SEAL_STREAM, SECURITY_STREAM):
        return stream_id
    if stream_id.startswith(EMPLOYER_STREAM_PREFIX):
        return "employer"
    if stream_id.startswith(CYCLE_STREAM_PREFIX):
        return "cycle"
    return "grant"


class EventType:
    """Names of the event types (the ``type`` of an :class:`Event`)."""

    PROGRAM_STARTED = "ProgramStarted"
    EMPLOYER_REGISTERED = "EmployerRegistered"
    EMPLOYER_UPDATED = "EmployerUpdated"
    CONTACT_CHANGED = "ContactChanged"
    APPLIED = "Applied"
    REVIEWED = "Reviewed"
    DENIED = "Denied"
    WITHDRAWN = "Withdrawn"
    APPROVED = "Approved"
    NOTICE_CONFIRMED = "NoticeConfirmed"
    ACCEPTED = "Accepted"
    DECLINED = "Declined"
    FORFEITED = "Forfeited"
    TRANSITION_BEGUN = "TransitionBegun"
    TECHNICAL_ASSISTANCE = "TechnicalAssistanceRecorded"
    TERMINATED = "Terminated"
    EVALUATED = "Evaluated"
    ACCESS_REFUSED = "AccessRefused"
    CYCLE_OPENED = "CycleOpened"
    APPROPRIATION_SET = "AppropriationSet"
    AWARDS_SELECTED = "AwardsSelected"
    DISBURSED = "Disbursed"
    REFERRED = "Referred"
    FUNDS_RETURNED = "FundsReturned"
    ENDORSED = "Endorsed"
    WAGES_RECORDED = "WagesRecorded"
    HEADCOUNT_RECORDED = "HeadcountRecorded"
    PERFORMANCE_RECORDED = "PerformanceRecorded"
    SEALED = "Sealed"
    AMENDED = "ApplicationAmended"
    CORRECTED = "Corrected"
    NOTICE_SENT = "NoticeSent"
    REPAYMENT_RECEIVED = "RepaymentReceived"
    CLOSED_OUT = "ClosedOut"
    HOLD_PLACED = "RetentionHoldPlaced"
    HOLD_RELEASED = "RetentionHoldReleased"


def _freeze(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    return payload if isinstance(payload, MappingProxyType) else MappingProxyType(dict(payload))


@attrs.frozen
class Event:
    """One fact of the log.

    ``stream_id`` is the grant id for a grant's events; ``version`` counts the events of
    the stream from 1; ``occurred_at`` is when it happened (for a command, the Program's
    clock; for an outside fact, its own instant), ``recorded_at`` when the library
    recorded it. ``command_id`` ties the events of one command together.
    """

    type: str
    stream_id: str
    version: int
    occurred_at: pendulum.DateTime
    recorded_at: pendulum.DateTime
    actor_id: str
    actor_role: str
    command_id: str
    payload: Mapping[str, Any] = attrs.field(converter=_freeze)
    schema_version: int = 1

    def to_record(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (the form of the canonical encoding)."""
        return {
            "type": self.type,
            "stream_id": self.stream_id,
            "version": self.version,
            "schema_version": self.schema_version,
            "occurred_at": format_instant(self.occurred_at),
            "recorded_at": format_instant(self.recorded_at),
            "actor_id": self.actor_id,
            "actor_role": self.actor_role,
            "command_id": self.command_id,
            "payload": dict(self.payload),
        }

    def canonical_bytes(self) -> bytes:
        """The canonical JSON of :meth:`to_record` (docs/audit-format.md)."""
        return canonical_json(self.to_record())


_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_OUTSIDE_THE_BMP = re.compile(rb"[\xf0-\xf4]")
"""The first byte of a UTF-8 sequence of a character beyond U+FFFF."""


def canonical_json(value: Any) -> bytes:
    """The one encoding the log hashes: the JSON Canonicalization Scheme (RFC 8785) of
    ``value``: keys sorted, no spaces, UTF-8, the short escapes of JSON. Integers beyond
    2^53 (which RFC 8785 cannot hold exactly) are refused (``ValueError``), and so are
    values that are not JSON (``TypeError``). The library writes no floats (amounts are
    text, counts whole numbers; free-form data is checked with :func:`no_floats` where
    it comes in). orjson writes it (in C); where a key holds a character beyond U+FFFF,
    whose order RFC 8785 takes by UTF-16 code units, the rfc8785 package does."""
    try:
        out = orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError as exc:
        cause = exc.__cause__
        if isinstance(cause, TypeError) or "not JSON serializable" in str(exc):
            raise TypeError(str(exc)) from None
        raise ValueError(str(exc)) from None
    if not out.isascii() and _OUTSIDE_THE_BMP.search(out) is not None:
        return rfc8785.dumps(value)
    # orjson's bytes keep its whole output buffer (4 KiB at least): a copy of the exact
    # size is what a store that keeps records in memory should hold.
    return memoryview(out).tobytes()


def no_floats(value: Any) -> None:
    """Refuse (``ValueError``) a float, NaN or infinity anywhere in ``value``: RFC 8785
    writes floats as JavaScript does, and the log holds none."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, float):
            raise ValueError(
                f"{item!r} is a float: the log records numbers as whole numbers and amounts as text"
            )
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list | tuple):
            todo.extend(item)


def format_instant(value: dt.datetime) -> str:
    """An instant as fixed-width UTC ISO 8601 with microseconds: ``2030-07-01T05:00:00.000000Z``."""
    return log_text(value)


def parse_instant(text: str) -> pendulum.DateTime:
    """The inverse of :func:`format_instant` (any aware ISO 8601 is accepted)."""
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"instant {text!r} has no time zone")
    try:
        parsed.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"instant {text!r} is out of range in UTC") from None
    if len(text) == 27 and text[-1] == "Z":
        # The log's own fixed-width UTC form: build the pendulum instant directly, an
        # eighth of the cost of pendulum.instance() (replay reads millions of these).
        return pendulum.DateTime(
            parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute,
            parsed.second, parsed.microsecond, tzinfo=_UTC,
        )  # fmt: skip
    return pendulum.instance(parsed).in_timezone(_UTC)


def money_text(value: Decimal) -> str:
    """A Decimal amount as payload text with exactly 2 places."""
    return f"{value:.2f}"


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the record of one schema version of an event type into the next version's."""

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""(event type, schema version) -> the upcaster to the next version. Old logs stay
replayable: their stored bytes (and hashes) never change, their events are read as the
current version."""


def register_upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Decorator: register ``fn`` as the upcaster of ``event_type`` from ``from_version``."""

    def register(fn: Upcaster) -> Upcaster:
        key = (event_type, from_version)
        if key in UPCASTERS:
            raise ValueError(f"an upcaster of {event_type} v{from_version} is already registered")
        UPCASTERS[key] = fn
        return fn

    return register


def upcast(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` brought to the current schema version of its type."""
    while True:
        version = record.get("schema_version", 1)
        if not isinstance(version, int):
            return record  # a malformed version: reported by the caller
        key = (str(record.get("type")), version)
        step = UPCASTERS.get(key)
        if step is None:
            return record
        before = int(record.get("schema_version", 1))
        record = step(dict(record))
        record["schema_version"] = before + 1


def event_from_record(record: dict[str, Any]) -> Event:
    """The inverse of :meth:`Event.to_record`, after upcasting to the current version."""
    record = upcast(record)
    for key in ("version", "schema_version"):
        value = record.get(key, 1)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{key} must be a positive integer, not {value!r}")
    return Event(
        type=str(record["type"]),
        stream_id=str(record["stream_id"]),
        version=int(record["version"]),
        occurred_at=parse_instant(str(record["occurred_at"])),
        recorded_at=parse_instant(str(record["recorded_at"])),
        actor_id=str(record["actor_id"]),
        actor_role=str(record["actor_role"]),
        command_id=str(record["command_id"]),
        payload=dict(record["payload"]),
        schema_version=int(record.get("schema_version", 1)),
    )
