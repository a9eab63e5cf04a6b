"""One frozen payload class per event type and schema version: the schema of every
payload the library writes, and one converter (cattrs) that reads a recorded payload
into its class strictly and writes it back to the very same JSON data.

An amount is decimal text with exactly two places (``"25000.00"``); an instant is the
log's fixed-width UTC form (``2030-07-01T05:00:00.000000Z``). Fields marked optional
were added after logs were written without them: absent in such a log, never
different. Nested records (an application, an employer, wage records) are JSON objects
read by the domain's own readers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import cattrs

from choice_workflow.events.envelope import (
    EventType,
    format_instant,
    money_text,
    parse_instant,
    register_upcaster,
)

AMOUNT = "amount"
INSTANT = "instant"
_AMOUNT_TEXT = re.compile(r"-?[0-9]+\.[0-9]{2}")
_INSTANT_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


class _Absent:
    """A field absent from an old log's payload (see the module docstring)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


def amount(*, optional: bool = False) -> Any:
    """A field holding an amount of money."""
    return attrs.field(metadata={"kind": AMOUNT}, **({"default": ABSENT} if optional else {}))


def instant(*, optional: bool = False) -> Any:
    """A field holding an instant."""
    return attrs.field(metadata={"kind": INSTANT}, **({"default": ABSENT} if optional else {}))


def optional(default: Any = ABSENT) -> Any:
    """A field an old log may lack."""
    return attrs.field(default=default)


JSON = Any
"""A JSON value (an object, a list, text, a number, true/false, null)."""


@attrs.frozen
class ProgramStarted:
    rules: dict[str, JSON]
    fingerprint: str


@attrs.frozen
class EmployerRecorded:
    employer: dict[str, JSON]


@attrs.frozen
class ContactChanged:
    previous: dict[str, JSON]
    contact: dict[str, JSON]
    reason: str
    employer: dict[str, JSON]


@attrs.frozen
class CycleOpened:
    cycle: int
    opens_at: dt.datetime = instant()
    appropriation: Decimal = amount()
    applications_close: dt.datetime | None = instant()


@attrs.frozen
class AppropriationSet:
    cycle: int
    appropriation: Decimal = amount()


@attrs.frozen
class AwardsSelected:
    cycle: int
    funds: Decimal = amount()
    demand: Decimal = amount()
    unassigned: int = optional(0)
    quotas: list[JSON] = attrs.field(factory=list)
    proposals: list[JSON] = attrs.field(factory=list)
    waitlist: list[JSON] = attrs.field(factory=list)


@attrs.frozen
class Applied:
    employer_id: str
    cycle: int
    amount_requested: Decimal = amount()
    application: dict[str, JSON] = attrs.field(factory=dict)


@attrs.frozen
class Reviewed:
    notes: str


@attrs.frozen
class Amended:
    reason: str
    changes: dict[str, JSON]


@attrs.frozen
class Reasoned:
    """A denial, withdrawal, decline or hold: its reason."""

    reason: str


@attrs.frozen
class Approved:
    amount: Decimal = amount()
    accept_by: dt.datetime | None = instant()
    warnings: JSON = optional()


@attrs.frozen
class Endorsed:
    amount: Decimal = amount()


@attrs.frozen
class Referred:
    from_grant: str
    reason: str
    offered: Decimal = amount()
    available: Decimal = amount()
    queue: JSON = optional()
    offer: str = optional()
    approval: str = optional()


@attrs.frozen
class FundsReturned:
    cycle: int
    from_grant: str
    reason: str
    free: Decimal = amount()


@attrs.frozen
class NoticeConfirmed:
    channel: str
    confirmed_at: dt.datetime = instant()
    accept_by: dt.datetime | None = instant()
    to: str | None = optional()


@attrs.frozen
class NoticeSent:
    channel: str
    to: str | None
    sha256: str = optional()
    template: str = optional()


@attrs.frozen
class AcceptBy:
    """An acceptance or a forfeit: the window's end it was judged by."""

    accept_by: dt.datetime | None = instant()


@attrs.frozen
class TransitionBegun:
    started_at: dt.datetime = instant()


@attrs.frozen
class TechnicalAssistance:
    description: str


@attrs.frozen
class Disbursed:
    instalment: int
    amount: Decimal = amount()


@attrs.frozen
class WagesRecorded:
    records: list[JSON]
    final: bool = optional()


@attrs.frozen
class HeadcountRecorded:
    headcount: dict[str, JSON]


@attrs.frozen
class PerformanceRecorded:
    records: list[JSON]


@attrs.frozen
class Corrected:
    corrects: int
    reason: str
    replacement: dict[str, JSON]
    corrects_type: str | None


@attrs.frozen
class Evaluated:
    evaluation: dict[str, JSON]


@attrs.frozen
class Terminated:
    reason: str
    cause: str
    evidence: list[int]
    repay: Decimal | None = amount()
    retain_until: dt.datetime = instant()


@attrs.frozen
class RepaymentReceived:
    amount: Decimal = amount()


@attrs.frozen
class ClosedOut:
    retention_years: int
    unspent: Decimal = amount()
    retain_until: dt.datetime = instant()


@attrs.frozen
class Sealed:
    heads: list[list[JSON]]
    root: str


@attrs.frozen
class SealedWithCheckpoint:
    """Version 2: the checkpoint of the log's tree (RFC 6962) over every event before
    the seal, as a C2SP tlog-checkpoint note, signed or not."""

    heads: list[list[JSON]]
    root: str
    tree_size: int | None
    tree_root: str | None
    checkpoint: str | None


@attrs.frozen
class AccessRefused:
    command: str
    target: str
    reason: str
    employer_id: str | None


PAYLOADS: Mapping[tuple[str, int], type[Any]] = {
    (EventType.PROGRAM_STARTED, 1): ProgramStarted,
    (EventType.EMPLOYER_REGISTERED, 1): EmployerRecorded,
    (EventType.EMPLOYER_REGISTERED, 2): EmployerRecorded,
    (EventType.EMPLOYER_UPDATED, 1): EmployerRecorded,
    (EventType.EMPLOYER_UPDATED, 2): EmployerRecorded,
    (EventType.CONTACT_CHANGED, 1): ContactChanged,
    (EventType.CONTACT_CHANGED, 2): ContactChanged,
    (EventType.CYCLE_OPENED, 1): CycleOpened,
    (EventType.APPROPRIATION_SET, 1): AppropriationSet,
    (EventType.AWARDS_SELECTED, 1): AwardsSelected,
    (EventType.APPLIED, 1): Applied,
    (EventType.REVIEWED, 1): Reviewed,
    (EventType.AMENDED, 1): Amended,
    (EventType.DENIED, 1): Reasoned,
    (EventType.WITHDRAWN, 1): Reasoned,
    (EventType.DECLINED, 1): Reasoned,
    (EventType.APPROVED, 1): Approved,
    (EventType.ENDORSED, 1): Endorsed,
    (EventType.REFERRED, 1): Referred,
    (EventType.FUNDS_RETURNED, 1): FundsReturned,
    (EventType.NOTICE_CONFIRMED, 1): NoticeConfirmed,
    (EventType.NOTICE_SENT, 1): NoticeSent,
    (EventType.ACCEPTED, 1): AcceptBy,
    (EventType.FORFEITED, 1): AcceptBy,
    (EventType.TRANSITION_BEGUN, 1): TransitionBegun,
    (EventType.TECHNICAL_ASSISTANCE, 1): TechnicalAssistance,
    (EventType.DISBURSED, 1): Disbursed,
    (EventType.WAGES_RECORDED, 1): WagesRecorded,
    (EventType.HEADCOUNT_RECORDED, 1): HeadcountRecorded,
    (EventType.PERFORMANCE_RECORDED, 1): PerformanceRecorded,
    (EventType.CORRECTED, 1): Corrected,
    (EventType.EVALUATED, 1): Evaluated,
    (EventType.TERMINATED, 1): Terminated,
    (EventType.REPAYMENT_RECEIVED, 1): RepaymentReceived,
    (EventType.CLOSED_OUT, 1): ClosedOut,
    (EventType.HOLD_PLACED, 1): Reasoned,
    (EventType.HOLD_RELEASED, 1): Reasoned,
    (EventType.SEALED, 1): Sealed,
    (EventType.SEALED, 2): SealedWithCheckpoint,
    (EventType.ACCESS_REFUSED, 1): AccessRefused,
}
"""(event type, schema version) -> its payload class."""

CURRENT: Mapping[str, int] = {
    t: max(v for (u, v) in PAYLOADS if u == t) for t in dict.fromkeys(t for t, _ in PAYLOADS)
}
"""Each event type's current schema version: what the library writes."""

NESTED_INSTANTS: Mapping[tuple[str, int], tuple[str, ...]] = {
    (EventType.EMPLOYER_REGISTERED, 2): ("employer.consent.given_at",),
    (EventType.EMPLOYER_UPDATED, 2): ("employer.consent.given_at",),
    (EventType.CONTACT_CHANGED, 2): ("employer.consent.given_at",),
}
"""The instants inside a payload's nested records (an employer's), by event type and
schema version, as dotted paths: in the log's fixed form from version 2 on. Version 1
of these types wrote them as ISO 8601 with an offset (``2030-06-30T13:00:00+00:00``);
its upcaster rewrites them to the fixed form when the record is read. The tests check
this table against the domain's records, so that it cannot drift."""


def _fixed_instants(record: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2 of the employer events: the employer's instants in the log's fixed
    form (the stored bytes stay as they are; only what is read changes)."""
    payload = record.get("payload")
    employer = payload.get("employer") if isinstance(payload, dict) else None
    consent = employer.get("consent") if isinstance(employer, dict) else None
    given = consent.get("given_at") if isinstance(consent, dict) else None
    if isinstance(given, str) and not _INSTANT_TEXT.fullmatch(given):
        try:
            fixed = format_instant(parse_instant(given))
        except ValueError:
            return record  # not an instant at all: reported where it is read
        consent = {**consent, "given_at": fixed}  # type: ignore[dict-item]  # a dict, checked above
        record["payload"] = {**payload, "employer": {**employer, "consent": consent}}  # type: ignore[dict-item]  # dicts, checked above
    return record


for _type in (EventType.EMPLOYER_REGISTERED, EventType.EMPLOYER_UPDATED, EventType.CONTACT_CHANGED):
    register_upcaster(_type, 1)(_fixed_instants)


def nested_instant_problems(event_type: str, schema_version: int, payload: Any) -> list[str]:
    """The nested instants of a payload not in the log's fixed form (as recorded, before
    any upcasting), each named by its path."""
    found = []
    for path in NESTED_INSTANTS.get((event_type, schema_version), ()):
        value = payload
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and not (isinstance(value, str) and _INSTANT_TEXT.fullmatch(value)):
            found.append(
                f"payload.{path} is not an instant in the form YYYY-MM-DDTHH:MM:SS.ffffffZ ({str(value)[:40]!r})"
            )
    return found


class PayloadError(ValueError):
    """A payload that is not of its class: the message names the field."""


def _strict(kind: type[Any]) -> Any:
    def check(value: Any, _: Any) -> Any:
        if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise PayloadError(f"expected a whole number, got {value!r}")
        if not isinstance(value, kind):
            raise PayloadError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return check


def _amount(value: Any, _: Any) -> Decimal:
    if not isinstance(value, str) or not _AMOUNT_TEXT.fullmatch(value):
        raise PayloadError(f"an amount is text with two decimal places, not {value!r}")
    return Decimal(value)


def _instant(value: Any, _: Any) -> dt.datetime:
    if not isinstance(value, str) or not _INSTANT_TEXT.fullmatch(value):
        raise PayloadError(f"an instant is YYYY-MM-DDTHH:MM:SS.ffffffZ, not {value!r}")
    return parse_instant(value)


def _converter() -> cattrs.Converter:
    c = cattrs.Converter(forbid_extra_keys=True)
    for kind in (str, int, bool):
        c.register_structure_hook(kind, _strict(kind))
    c.register_structure_hook(Decimal, _amount)
    c.register_structure_hook(dt.datetime, _instant)
    c.register_structure_hook(JSON, lambda v, _: v)
    c.register_unstructure_hook(Decimal, money_text)
    c.register_unstructure_hook(dt.datetime, format_instant)
    return c


CONVERTER = _converter()
"""The one converter of payloads."""


def payload_class(event_type: str, schema_version: int | None = None) -> type[Any] | None:
    """The payload class of an event type and schema version (None: unknown; without
    a version, the current one: what events are read as)."""
    if schema_version is None:
        schema_version = CURRENT.get(event_type, 1)
    return PAYLOADS.get((event_type, schema_version))


def read(
    event_type: str, payload: Mapping[str, Any], schema_version: int | None = None, *,
    cls: type[Any] | None = None,
) -> Any:  # fmt: skip
    """The payload as its class (``cls``, else the library's class of the event type),
    strictly: a key it does not have, a missing key, or a value of another type is a
    :class:`PayloadError` naming the field."""
    cls = cls if cls is not None else payload_class(event_type, schema_version)
    if cls is None:
        raise PayloadError(f"no payload class for {event_type} v{schema_version or 'current'}")
    try:
        return CONVERTER.structure(dict(payload), cls)
    except cattrs.ClassValidationError as exc:
        notes = "; ".join(str(e) for e in exc.exceptions)
        raise PayloadError(f"{event_type}: {notes or exc}") from None
    except (cattrs.ForbiddenExtraKeysError, KeyError) as exc:
        raise PayloadError(f"{event_type}: {exc}") from None


def write(value: Any) -> dict[str, Any]:
    """A payload object as the JSON data of the log (absent optional fields left out)."""
    data: dict[str, Any] = CONVERTER.unstructure(value)
    return {k: v for k, v in data.items() if v is not ABSENT}


def fields_of_kind(
    event_type: str, kind: str, schema_version: int | None = None, *,
    cls: type[Any] | None = None,
) -> tuple[str, ...]:  # fmt: skip
    """The payload fields of an event type that hold amounts (``AMOUNT``) or instants
    (``INSTANT``): the audit format's table, generated from the classes."""
    cls = cls if cls is not None else payload_class(event_type, schema_version)
    if cls is None:
        return ()
    return tuple(f.name for f in attrs.fields(cls) if f.metadata.get("kind") == kind)


@register_upcaster(EventType.SEALED, 1)
def _seal_without_checkpoint(record: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2 of a seal: a seal written before the log's tree has no
    checkpoint (its heads and root stand as they were)."""
    payload = record.get("payload")
    if isinstance(payload, dict):
        record["payload"] = {**payload, "tree_size": None, "tree_root": None, "checkpoint": None}
    return record
