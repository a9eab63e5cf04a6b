"""The audit format's rules of one record (docs/audit-format.md, "Events"), as verify
checks them: exactly the format's keys, each of its type, instants in the log's fixed
UTC form, and the payload's amounts and instants as its event type's payload class
(at the record's own schema version) declares them.

An insider who rewrites a record and recomputes its chain and the seals after it keeps
every hash valid; these rules still hold the record to the one form the library writes.
"""

from __future__ import annotations

import re
from typing import Any

from choice_workflow.domain.actors import Role
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


def record_problems(raw: dict[str, Any], *, floats: bool = True) -> list[str]:
    """What in ``raw`` (a record as read, before any upcasting) breaks the format's
    rules, each said in a phrase; empty when nothing does. ``floats=False`` leaves out
    the search for a float in the payload (a walk of all of it), with the check of
    canonical form that it belongs to (verify with ``guards=False``)."""
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
    role = raw.get("actor_role")
    if type(role) is str and role not in _ROLES:
        found.append(f"actor_role {role[:40]!r} is not one of the roles")
    stream = raw.get("stream_id")
    if type(stream) is str:
        wrong = _stream_problem(stream)
        if wrong is not None:
            found.append(wrong)
    payload = raw.get("payload")
    if floats and type(payload) is dict and _floats(payload):
        found.append("the payload holds a number with a fraction or an exponent (a float)")
    if "payload" in raw and type(payload) is not dict:
        found.append(f"payload must be an object, not {_shown(payload)}")
    elif type(payload) is dict and type(raw.get("type")) is str:
        version = raw.get("schema_version")
        if type(version) is int:
            found += _payload_problems(raw["type"], version, payload)
    return found


def _payload_problems(event_type: str, version: int, payload: dict[str, Any]) -> list[str]:
    if event_type in _TYPES and (event_type, version) not in _KINDS:
        return [f"schema_version {version} of {event_type} is not one the format has"]
    instants, amounts = _KINDS.get((event_type, version), ((), ()))
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


_KINDS: dict[tuple[str, int], tuple[tuple[str, ...], tuple[str, ...]]] = {
    key: (
        payloads.fields_of_kind(key[0], payloads.INSTANT, key[1]),
        payloads.fields_of_kind(key[0], payloads.AMOUNT, key[1]),
    )
    for key in payloads.PAYLOADS
}
"""Per event type and schema version, the payload fields that hold instants and
amounts (computed once: a hostile log's made-up types add nothing)."""
_TYPES = frozenset(t for t, _ in payloads.PAYLOADS)
_ROLES = frozenset(r.value for r in Role)
_SPECIAL_STREAMS = ("program", "seal", "security")
_CYCLE = re.compile(r"cycle:[1-9][0-9]{0,8}")


def _stream_problem(stream: str) -> str | None:
    """The stream id forms of the format: ``program``, ``seal``, ``security``,
    ``employer:<id>``, ``cycle:<n>``, or a grant's id."""
    if stream in _SPECIAL_STREAMS:
        return None
    if stream.startswith("cycle:"):
        return None if _CYCLE.fullmatch(stream) else f"stream_id {stream[:40]!r} is no cycle's"
    if stream.startswith("employer:"):
        return None if len(stream) > len("employer:") else "stream_id 'employer:' names no employer"
    return None if stream else "stream_id is empty"


def _floats(value: Any) -> bool:
    """Whether a float is anywhere in ``value`` (iteratively)."""
    todo = [value]
    while todo:
        item = todo.pop()
        kind = type(item)
        if kind is float:
            return True
        if kind is dict:
            todo.extend(item.values())
        elif kind is list:
            todo.extend(item)
    return False


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
