"""Findings: what replay and verify report, each citing the Act or an integrity rule."""

from __future__ import annotations

import enum

import attrs


class Kind(enum.Enum):
    """The kinds of finding. Integrity kinds name the rule of docs/audit-format.md they
    break; Act kinds carry the cites of the failed guard."""

    BROKEN_CHAIN = "broken_chain"
    """An event's hash is not sha256(prev_hash || record), or prev_hash is not the
    hash of the stream's previous event."""
    STREAM_GAP = "stream_gap"
    """A stream's versions skip a number (an event is missing)."""
    DUPLICATE_VERSION = "duplicate_version"
    """Two events claim one version of a stream."""
    OUT_OF_ORDER = "out_of_order"
    """A stream's versions go backwards in the log's order."""
    MALFORMED = "malformed"
    """An event record is not valid canonical JSON of the audit format."""
    COLUMN_MISMATCH = "column_mismatch"
    """A stored column (stream, version, type, ...) disagrees with the hashed record."""
    ILLEGAL_TRANSITION = "illegal_transition"
    """The transition table does not allow the event from the grant's state."""
    GUARD_FAILED = "guard_failed"
    """A guard of the Act refuses the recorded command at its recorded instant."""
    NOT_PERMITTED = "not_permitted"
    """The recorded actor's role may not run the recorded command."""
    RULES_MISMATCH = "rules_mismatch"
    """The recorded Rules do not match their recorded fingerprint."""
    TIME_IMPLAUSIBLE = "time_implausible"
    """An event happened after it was recorded, or a command's two instants differ."""
    BACKDATED = "backdated"
    """An event recorded before an earlier event of its stream, or a seal recorded
    before events it covers (a clock set back, or a forged instant)."""
    PROJECTION_MISMATCH = "projection_mismatch"
    """A projection in the database differs from the replay of the log."""
    SEAL_MISMATCH = "seal_mismatch"
    """A seal's heads or root do not match the log before it."""
    ROOT_MISMATCH = "root_mismatch"
    """No seal in the log has the published root."""
    DAMAGED_LINE = "damaged_line"
    """A line of an exported log file breaks the file's format (a CR before the
    newline, an empty line, spaces, an extra key, upper-case hex, a position that does
    not increase, a missing header or final newline): read as far as it can be, or
    skipped when nothing of it can be read."""
    NOT_JUDGED = "not_judged"
    """The events of a stream from its first break on (a broken chain, a missing,
    repeated or backwards version): neither folded nor decided again, since the state
    they follow is not the log's. One finding per stream, caused by the break."""
    CORRECTION = "correction"
    """A recorded correction (informational: corrections never edit)."""


INTEGRITY = frozenset(
    {
        Kind.BROKEN_CHAIN, Kind.STREAM_GAP, Kind.DUPLICATE_VERSION, Kind.OUT_OF_ORDER,
        Kind.MALFORMED, Kind.COLUMN_MISMATCH, Kind.RULES_MISMATCH, Kind.TIME_IMPLAUSIBLE,
        Kind.BACKDATED, Kind.DAMAGED_LINE,
        Kind.PROJECTION_MISMATCH, Kind.SEAL_MISMATCH, Kind.ROOT_MISMATCH,
    }
)  # fmt: skip
"""Kinds about the log's integrity rather than the Act."""


@attrs.frozen
class Finding:
    """One thing verify or replay found, with where it is and what it rests on."""

    kind: Kind
    message: str
    stream_id: str = ""
    version: int = 0
    position: int = 0
    cites: tuple[str, ...] = ()
    line: int = 0
    """The line of the exported log file (0: read from a store, or no line)."""
    cause: int | None = None
    """The index, in the report's findings, of the finding this one follows from (a
    stream's break, for what verify could not judge after it)."""

    @property
    def rule(self) -> str:
        """The integrity rule broken (the kind's name) or the cites of the Act."""
        return ", ".join(self.cites) if self.cites else self.kind.value

    def __str__(self) -> str:
        where = f"{self.stream_id} v{self.version} @{self.position}: " if self.stream_id else ""
        if not where and self.line:
            where = f"line {self.line}: "
        return f"[{self.rule}] {where}{self.message}"
