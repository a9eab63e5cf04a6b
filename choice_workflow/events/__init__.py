"""Events: the facts of the audit log, their canonical encoding and their hash chain.

An event is frozen; its payload holds JSON-ready values only (Decimal amounts and
instants as strings), so that the canonical bytes of docs/audit-format.md can be
hashed and verified by an outside tool.
"""

from choice_workflow.events import payloads  # registers the payload upcasters
from choice_workflow.events.chain import GENESIS, link, merkle_root
from choice_workflow.events.envelope import (
    CYCLE_STREAM_PREFIX,
    EMPLOYER_STREAM_PREFIX,
    PROGRAM_STREAM,
    SEAL_STREAM,
    SECURITY_STREAM,
    UPCASTERS,
    Event,
    EventType,
    Upcaster,
    canonical_json,
    event_from_record,
    format_instant,
    money_text,
    no_floats,
    parse_instant,
    register_upcaster,
    stream_kind,
    upcast,
)
from choice_workflow.events.tree import ConsistencyProof, InclusionProof, TreeHead

__all__ = [
    "CYCLE_STREAM_PREFIX",
    "EMPLOYER_STREAM_PREFIX",
    "GENESIS",
    "PROGRAM_STREAM",
    "SEAL_STREAM",
    "SECURITY_STREAM",
    "UPCASTERS",
    "ConsistencyProof",
    "Event",
    "EventType",
    "InclusionProof",
    "TreeHead",
    "Upcaster",
    "canonical_json",
    "event_from_record",
    "format_instant",
    "link",
    "merkle_root",
    "money_text",
    "no_floats",
    "parse_instant",
    "payloads",
    "register_upcaster",
    "stream_kind",
    "upcast",
]
