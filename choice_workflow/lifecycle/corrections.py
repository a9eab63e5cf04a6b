"""Corrections that never edit: which recorded facts may be corrected, and how a reader
sees a grant's records with their corrections applied.

A correction is a ``Corrected`` event in the grant's stream. It names the version of
the event it corrects (``corrects``), that event's type (``corrects_type``), the reason
and a ``replacement`` holding the corrected fields. Both events stay in the log: the
reader applies the corrections (the latest correction of a field wins) and marks what
it changed.

Facts that carry a deadline or money (an approval, a notice, an acceptance, a payment)
are not corrected this way: their consequences (the 48-hour window, the ledger) were
acted on. An application is changed with ``amend`` while it is still applied.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs
import pendulum

from choice_workflow.domain.recorded import (
    headcount_from_data,
    performance_from_data,
    wage_from_data,
)
from choice_workflow.events import Event, EventType, canonical_json, no_floats

__all__ = [
    "CAUSE_CITES",
    "CAUSE_EVIDENCE",
    "CORRECTABLE",
    "NOT_CORRECTABLE_HINTS",
    "Cause",
    "Correction",
    "EffectiveRecord",
    "change_of",
    "correction_of",
    "corrections",
    "effective_records",
    "replacement_problems",
]


CORRECTABLE: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        EventType.WAGES_RECORDED: ("records", "final"),
        EventType.HEADCOUNT_RECORDED: ("headcount",),
        EventType.PERFORMANCE_RECORDED: ("records",),
        EventType.TECHNICAL_ASSISTANCE: ("description",),
        EventType.REVIEWED: ("notes",),
        EventType.EVALUATED: ("evaluation",),
    }
)
"""Event type -> the payload fields a correction may replace."""

NOT_CORRECTABLE_HINTS: Mapping[str, str] = MappingProxyType(
    {
        EventType.APPLIED: "Amend the application while it is applied (Program.amend).",
        EventType.APPROVED: "An approval's amount was acted on; terminate or deny instead.",
        EventType.DISBURSED: "A payment was made; record a receivable and its repayment.",
        EventType.NOTICE_CONFIRMED: "The 48-hour window ran from it; it cannot be moved.",
        EventType.ACCEPTED: "An acceptance cannot be undone; terminate the grant if needed.",
        EventType.CORRECTED: "Correct the original event again; the latest correction wins.",
    }
)
"""Why some recorded facts are not corrected, and what to do instead."""


def replacement_problems(kind: str, replacement: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``replacement`` as the corrected fields of a ``kind`` event:
    each field must read as that kind's data (wage records for a wage report, not
    performance records). Empty when it reads."""
    readers: dict[tuple[str, str], Any] = {
        (EventType.WAGES_RECORDED, "records"): lambda v: [wage_from_data(r) for r in v],
        (EventType.PERFORMANCE_RECORDED, "records"): lambda v: [
            performance_from_data(r) for r in v
        ],
        (EventType.HEADCOUNT_RECORDED, "headcount"): headcount_from_data,
    }
    problems = []
    for field, value in replacement.items():
        if field == "final":
            if value is not True:
                problems.append(
                    "a final wage report is not unmarked; record the real final report "
                    "with final=True (the latest one counts)"
                )
            continue
        if field in ("description", "notes"):
            if not isinstance(value, str) or not value.strip():
                problems.append(f"the corrected {field} is empty")
            continue
        if field == "evaluation":
            if not isinstance(value, Mapping) or not value:
                problems.append("the corrected evaluation is empty")
            else:
                try:
                    no_floats(value)
                    canonical_json(value)
                except (TypeError, ValueError) as exc:
                    problems.append(f"the corrected evaluation is not plain JSON data: {exc}")
            continue
        reader = readers.get((kind, field))
        if reader is None:
            continue  # a field the kind does not have: reported by the caller
        try:
            read = reader(value)
        except Exception as exc:  # any failure to read the data is the problem
            problems.append(f"the corrected {field} are not {kind} data ({exc!r})")
            continue
        if isinstance(read, list) and not read:
            problems.append(f"the corrected {field} are empty")
    return problems


class Cause(enum.StrEnum):
    """Why the Director terminates a grant."""

    FALSE_ASSURANCE = "false_assurance"
    """15(b)(11)(C): the application was not accurate and truthful."""
    PERFORMANCE = "performance"
    """15(c), 15(b)(11)(E): employees do not meet the standard level work performance."""
    WAGE_FLOOR = "wage_floor"
    """15(l), 15(a)(1): wages below the phase-out floor or the minimum wage."""
    OTHER = "other"
    """Other documented cause, stated in the reason."""


CAUSE_CITES: Mapping[Cause, tuple[str, ...]] = MappingProxyType(
    {
        Cause.FALSE_ASSURANCE: ("15(b)(11)(C)",),
        Cause.PERFORMANCE: ("15(c)",),
        Cause.WAGE_FLOOR: ("15(l)",),
        Cause.OTHER: ("15(b)(11)",),
    }
)
"""The provision each cause rests on."""

CAUSE_EVIDENCE: Mapping[Cause, str] = MappingProxyType(
    {Cause.PERFORMANCE: EventType.PERFORMANCE_RECORDED, Cause.WAGE_FLOOR: EventType.WAGES_RECORDED}
)
"""A termination for these causes cites, as its evidence, recorded events of this type."""


@attrs.frozen
class Correction:
    """One correction as a reader sees it."""

    version: int
    """The version of the ``Corrected`` event."""
    corrects: int
    """The version of the event it corrects."""
    fields: tuple[str, ...]
    actor_id: str
    actor_role: str
    reason: str
    occurred_at: pendulum.DateTime


@attrs.frozen
class EffectiveRecord:
    """A correctable event with its corrections applied."""

    event: Event
    payload: Mapping[str, Any]
    corrections: tuple[Correction, ...] = ()

    @property
    def corrected(self) -> bool:
        """True when a correction changed this record."""
        return bool(self.corrections)


def change_of(event: Event) -> tuple[str, int | None, tuple[str, ...]]:
    """What a ``Corrected`` or ``ApplicationAmended`` event changed: the corrected
    event's type (``"application"`` for an amendment), the corrected version (None for
    an amendment or an unreadable one) and the changed fields, read leniently (a
    damaged payload is verify's to report)."""
    p = event.payload
    if event.type == EventType.AMENDED:
        kind, changed = "application", p.get("changes")
    else:
        kind, changed = str(p.get("corrects_type")), p.get("replacement")
    corrects = p.get("corrects")
    return (
        kind,
        corrects if isinstance(corrects, int) and not isinstance(corrects, bool) else None,
        tuple(sorted(changed)) if isinstance(changed, Mapping) else (),
    )


def correction_of(event: Event) -> Correction:
    """The :class:`Correction` a ``Corrected`` event records."""
    p = event.payload
    _, _, fields = change_of(event)
    return Correction(
        version=event.version,
        corrects=int(p["corrects"]),
        fields=fields,
        actor_id=event.actor_id,
        actor_role=event.actor_role,
        reason=str(p.get("reason", "")),
        occurred_at=event.occurred_at,
    )


def effective_records(events: Iterable[Event], event_type: str) -> list[EffectiveRecord]:
    """The events of ``event_type`` in one grant's stream, oldest first, each with the
    corrections that follow it applied (a field's latest correction wins)."""
    originals: dict[int, Event] = {}
    payloads: dict[int, dict[str, Any]] = {}
    applied: dict[int, list[Correction]] = {}
    for event in events:
        if event.type == event_type:
            originals[event.version] = event
            payloads[event.version] = dict(event.payload)
        elif event.type == EventType.CORRECTED and event.payload.get("corrects_type") == event_type:
            target = event.payload.get("corrects")
            replacement = event.payload.get("replacement")
            if isinstance(target, int) and target in payloads and isinstance(replacement, Mapping):
                payloads[target].update(replacement)
                applied.setdefault(target, []).append(correction_of(event))
    return [
        EffectiveRecord(originals[v], MappingProxyType(payloads[v]), tuple(applied.get(v, ())))
        for v in sorted(originals)
    ]


def corrections(events: Iterable[Event]) -> list[Correction]:
    """Every correction among ``events``, in order."""
    return [correction_of(e) for e in events if e.type == EventType.CORRECTED]
