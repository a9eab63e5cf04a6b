"""The audit format's rules of one record (docs/audit-format.md, "Events"), as verify
checks them: exactly the format's keys, each of its type, instants in the log's fixed
UTC form, and the payload's amounts and instants as its event type's payload class
(at the record's own schema version) declares them.

An insider who rewrites a record and recomputes its chain and the seals after it keeps
every hash valid; these rules still hold the record to the one form the library writes.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from choice_workflow.events import payloads

__all__ = ["RECORD_KEYS", "record_problems"]

RECORD_KEYS = frozenset(
    {
        "type", "stream_id", "version", "schema_version", "occurred_at", "recorded_at",
        "actor_id", "actor_role", "command_id", "payload",
    }
)  # fmt: skip
"""The keys of a record: all of them, and no other."""
_TEXT_KEYS = ("type", "stream_id", "actor_id", "actor_role", "command_id")
_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_AMOUNT = re.compile(r"-?[0-9]+\.[0-9]{2}")
_SHOWN = 40


def record_problems(raw: dict[str, Any]) -> list[str]:
    """What in ``raw`` (a record as read, before any upcasting) breaks the format's
    rules, each said in a phrase; empty when nothing does."""
    found: list[str] = []
    if raw.keys() != RECORD_KEYS:
        extra = sorted(raw.keys() - RECORD_KEYS)
        missing = sorted(RECORD_KEYS - raw.keys())
        if extra:
            found.append(f"the record has keys the format does not have: {', '.join(extra)[:80]}")
        if missing:
            found.append(f"the record lacks {', '.join(missing)}")
    for key in _TEXT_KEYS:
        if key in raw and type(raw[key]) is not str:
            found.append(f"{key} must be text, not {_shown(raw[key])}")
    for key in ("version", "schema_version"):
        value = raw.get(key)
        if key in raw and (type(value) is not int or value < 1):
            found.append(f"{key} must be a whole number from 1, not {_shown(value)}")
    for key in ("occurred_at", "recorded_at"):
        value = raw.get(key)
        if key in raw and not _is_instant(value):
            found.append(f"{key} must be UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ, not {_shown(value)}")
    payload = raw.get("payload")
    if "payload" in raw and type(payload) is not dict:
        found.append(f"payload must be an object, not {_shown(payload)}")
    elif type(payload) is dict and type(raw.get("type")) is str:
        version = raw.get("schema_version")
        if type(version) is int:
            found += _payload_problems(raw["type"], version, payload)
    return found


def _payload_problems(event_type: str, version: int, payload: dict[str, Any]) -> list[str]:
    instants, amounts = _kinds(event_type, version)
    found = []
    for name in instants:
        value = payload.get(name)
        if value is not None and not _is_instant(value):
            found.append(f"payload.{name} must be an instant as YYYY-MM-DDTHH:MM:SS.ffffffZ, not {_shown(value)}")  # fmt: skip
    for name in amounts:
        value = payload.get(name)
        if value is not None and not (type(value) is str and _AMOUNT.fullmatch(value)):
            found.append(f"payload.{name} must be an amount as text with two decimal places, not {_shown(value)}")  # fmt: skip
    found += payloads.nested_instant_problems(event_type, version, payload)
    return found


@functools.cache
def _kinds(event_type: str, version: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The payload fields of an event type and schema version that hold instants and
    amounts (none for a type or version the library does not know: verify reports it
    elsewhere)."""
    return (
        payloads.fields_of_kind(event_type, payloads.INSTANT, version),
        payloads.fields_of_kind(event_type, payloads.AMOUNT, version),
    )


def _is_instant(value: object) -> bool:
    return type(value) is str and _INSTANT.fullmatch(value) is not None


def _shown(value: object) -> str:
    if isinstance(value, str):
        text = repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "...")
        return f"the text {text}"
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int | float):
        return f"the number {value!r}"[: _SHOWN + 11]
    return "an array" if isinstance(value, list) else "an object"
