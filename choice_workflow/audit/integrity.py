"""The integrity side of verify: what the log's own rules (docs/audit-format.md) say of
each stored event, whatever command wrote it.

Each stream's hash chain over the stored bytes and its versions; the record's
canonical form and the columns stored beside it; the instants (an event never occurs
after it is recorded, a stream's recorded instants never go back, a seal is never
older than what it covers); the recorded Rules against their fingerprint; and each
seal's heads and root against the log before it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, Protocol

from choice_workflow.audit.checkpoints import Checkpoints
from choice_workflow.audit.findings import Finding, Kind
from choice_workflow.audit.record_rules import record_problems
from choice_workflow.commands.spec import Target, target_of
from choice_workflow.events import SEAL_STREAM, Event, EventType, canonical_json, parse_instant
from choice_workflow.events.chain import GENESIS, head_leaf, link, merkle_root
from choice_workflow.events.checkpoint import Verifier
from choice_workflow.store.base import Item
from choice_workflow.time.instants import from_us, to_us

_COLUMN_KEYS = (
    "stream_id",
    "version",
    "type",
    "schema_version",
    "actor_id",
    "actor_role",
    "command_id",
)


class Report(Protocol):
    """Where a pass's findings go: returns the new finding's index."""

    def __call__(
        self, kind: Kind, message: str, event: Event | None, item: Item,
        cites: tuple[str, ...] = (), *, cause: int | None = None,
    ) -> int: ...  # fmt: skip


class Integrity:
    """The integrity state of one pass: every stream's head and latest instant."""

    def __init__(self, find: Report, *, canonical: bool, keys: Iterable[Verifier] = ()) -> None:
        self.found = 0
        """How many findings the integrity checks made so far."""

        def counted(*args: Any, **kwargs: Any) -> int:
            self.found += 1
            return find(*args, **kwargs)

        self._find = counted
        self.checkpoints = Checkpoints(keys)
        """The log's tree so far and every seal's checkpoint (audit/checkpoints.py)."""
        self.canonical = canonical
        """Whether records are checked for canonical form (verify with guards)."""
        self.heads: dict[str, tuple[int, str]] = {}
        self.latest: dict[str, int] = {}
        """Each stream's latest recorded instant (microseconds)."""
        self.newest = 0
        """The latest recorded instant of the whole log so far (microseconds)."""
        self.roots: set[str] = set()
        self.seals = 0
        self.last_root: str | None = None
        self.cut: dict[str, int] = {}
        """Each cut stream (a missing, repeated or backwards version) and the index of
        its first such finding: what follows in that stream is not judged
        (:meth:`skipped`)."""
        self.unjudged: dict[str, tuple[int, int]] = {}
        """Each broken stream's first version not judged, and how many were not."""
        self.broke_here = False
        """Whether the event last checked is where its stream first broke."""
        self.repeated = False
        """Whether the event last checked is the head of its stream again (a line
        repeated): reported, and read once."""
        self.dependents: dict[int, int] = {}
        """By the index of a break: how many commands of other streams that read what
        the broken stream feeds were not judged."""
        self.absent: dict[str, int] = {}
        """Streams a judged command needed and the log does not have (an employer whose
        only event is gone), with the first finding that met the absence."""
        self.unruled_events = 0
        self._lost: dict[str, tuple[int | None, str, int]] = {}
        self._pending: int | None = None
        self.positions: dict[str, int] = {}
        """Each sound stream's last position."""
        self.first_seen: dict[str, int] = {}
        """Each stream's first position in the log."""
        self.sealed_unseen: dict[str, int] = {}
        """Streams a seal names that the log had not begun there, with the seal's
        finding: lost if the log never begins them (:meth:`settle`)."""
        self.cut_after: dict[str, int] = {}
        self.tainted: dict[str, tuple[int, int]] = {}
        """Streams whose fold failed on a break elsewhere: from which position on their
        state rests on it, and the break's finding."""
        """Each cut stream's last sound position: what it lost lies after it."""

    def check(
        self, item: Item, event: Event, raw: dict[str, Any], *, canonical: bool = False
    ) -> bool:
        """Every integrity rule of one event; False when its chain breaks there (the
        record is not one the log's writer linked: it is not judged as a command).
        ``canonical``: the reader found the record canonical already."""
        find = self._find
        stream = event.stream_id
        self.first_seen.setdefault(stream, item.position)
        last_version, last_hash = self.heads.get(stream, (0, GENESIS))
        self.repeated = (
            event.version == last_version
            and item.hash == last_hash
            and link(item.prev_hash, item.record) == item.hash
        )
        if not self.repeated:  # a line repeated is read once: the store holds it once
            self.checkpoints.leaf(item.record)
        if self.repeated:
            if not item.damage:  # a damaged line said so already (its position)
                find(
                    Kind.DUPLICATE_VERSION, f"version {event.version} appears twice, the same record",
                    event, item, (),
                )  # fmt: skip
            return False
        broken: list[tuple[Kind, str]] = []
        # The versions first: a missing event is the cause, the broken link its effect.
        if event.version == last_version:
            broken.append((Kind.DUPLICATE_VERSION, f"version {event.version} appears twice"))
        elif event.version < last_version:
            broken.append((Kind.OUT_OF_ORDER, f"version {event.version} follows {last_version}"))
        elif event.version > last_version + 1:
            broken.append(
                (Kind.STREAM_GAP, f"versions {last_version + 1}-{event.version - 1} are missing")
            )
        linked = item.prev_hash == last_hash and link(item.prev_hash, item.record) == item.hash
        if not linked:
            broken.append((Kind.BROKEN_CHAIN, "the hash chain of the stream breaks here"))
        # A missing, repeated or backwards version cuts the stream: the state its later
        # events follow is not in the log, and they are not judged. A broken link alone
        # (a record changed in place) is not judged itself; the stream goes on from
        # the record as it stands.
        cuts = bool(broken) and broken[0][0] is not Kind.BROKEN_CHAIN
        lost = self._lost.pop(stream, None)
        if lost is None and self._pending is not None and broken:
            lost = (None, "", self._pending)
        self._pending = None  # an unseen stream's loss explains the next event only
        if broken and lost is not None and self._explained(lost, event, item, last_version):
            # The line before was this stream's and could not be read: the break is that
            # line's finding already; the stream is cut from there.
            broken, cuts = [], True
            self.broke_here = stream not in self.cut
            self.cut.setdefault(stream, lost[2])
            self.cut_after.setdefault(stream, self.positions.get(stream, 0))
        else:
            self.broke_here = cuts and stream not in self.cut
        cause = self.cut.get(stream)
        for kind, message in broken:
            index = find(kind, message, event, item, (), cause=cause)
            if cuts and cause is None:
                cause = index
                self.cut[stream] = index
                self.cut_after[stream] = self.positions.get(stream, 0)
        self.heads[event.stream_id] = (max(event.version, last_version), item.hash)
        if stream not in self.cut:
            self.positions[stream] = item.position
        if self.canonical and not canonical and item.record != _canonical(raw):
            find(Kind.MALFORMED, "the record is not in canonical form", event, item, ())
        problems = record_problems(raw, floats=self.canonical)
        if problems:
            # Not of the format: not a record the library wrote, so not judged as a
            # command either (its decision would differ for the same reason).
            find(Kind.MALFORMED, "; ".join(problems), event, item, ())
            linked = False
        recorded = to_us(event.recorded_at)
        self._instants(item, event, recorded)
        if item.columns is not None:
            self._columns(item, event, raw, recorded)
        return linked

    def lost(self, item: Item, index: int) -> None:
        """A line whose record could not be read (finding ``index``): the stream and
        version it names, where they can be seen, explain the break that follows."""
        stream = _STREAM.search(item.record)
        if stream is None:
            self._pending = index  # no stream to be seen: the next one-event gap's cause
            return
        version = _VERSION.search(item.record)
        self._lost[stream[1].decode("utf-8", "replace")] = (
            int(version[1]) if version is not None and len(version[1]) < 19 else None,
            item.hash,
            index,
        )

    @staticmethod
    def _explained(
        lost: tuple[int | None, str, int], event: Event, item: Item, last_version: int
    ) -> bool:
        version, digest, _ = lost
        if version is not None and version != last_version + 1:
            return False
        return event.version == last_version + 2 and (not digest or item.prev_hash == digest)

    def cause_for(
        self, streams: frozenset[str], all_grants: bool, position: int | None = None,
        *, missing: frozenset[str] = frozenset(), record: bytes = b"",
    ) -> int | None:  # fmt: skip
        """The break that makes a judgement at ``position`` unsound, as the index of its
        finding; None: sound. It rests on a broken stream it read (``streams``) whose
        loss may lie before ``position`` (after the stream's last sound event), or, with
        ``all_grants`` (a cycle's ledger, an employer's grants), on a broken grant that
        the log had begun before ``position`` or that its own ``record`` names; and on
        a stream it found missing (``missing``) that an earlier judgement found so."""
        for stream, index in self.cut.items():
            if position is not None and position <= self.cut_after.get(stream, 0):
                continue
            if stream in streams:
                return index
            if (
                all_grants
                and target_of(stream) is Target.GRANT
                and (
                    position is None
                    or self.first_seen.get(stream, position) < position
                    or stream.encode() in record
                )
            ):
                return index
        for stream, (after, index) in self.tainted.items():
            if stream in streams and (position is None or position > after):
                return index
        for stream in missing:
            if stream in self.absent:
                return self.absent[stream]
        return None

    def settle(self) -> None:
        """Once the whole log is read: a stream a seal named and the log never begins is
        lost whole, from its start."""
        for stream, index in self.sealed_unseen.items():
            if stream not in self.first_seen and stream not in self.cut:
                self.cut[stream] = index
                self.cut_after[stream] = 0

    def dependent(self, cause: int) -> None:
        """Count a command of another stream not judged because of ``cause``."""
        self.dependents[cause] = self.dependents.get(cause, 0) + 1

    def unruled(self, event: Event) -> None:
        """Count a command that cannot be judged: the log has no program start."""
        self.unruled_events += 1

    def summaries(self) -> list[Finding]:
        """One ``not_judged`` finding per break that left anything unjudged (its own
        stream's later events, commands of other streams that read it), and one when the
        log has no program start, hence no Rules to judge by."""
        found = []
        told: set[int] = set()
        for stream, index in self.cut.items():
            first, n = self.unjudged.get(stream, (0, 0))
            others = 0 if index in told else self.dependents.get(index, 0)
            told.add(index)
            if not n and not others:
                continue
            parts = []
            if n:
                parts.append(
                    f"{n} later event{'' if n == 1 else 's'} of stream {stream} (from version "
                    f"{first} on)"
                )
            if others:
                parts.append(
                    f"{others} command{'' if others == 1 else 's'} of other streams that read "
                    "what it feeds"
                )
            found.append(
                Finding(
                    Kind.NOT_JUDGED,
                    f"{' and '.join(parts)} {'was' if n + others == 1 else 'were'} not judged: "
                    "they rest on the break (the cause)",
                    stream,
                    first,
                    cause=index,
                )
            )
        for stream, index in self.absent.items():
            others = self.dependents.get(index, 0)
            if others:
                found.append(
                    Finding(
                        Kind.NOT_JUDGED,
                        f"{others} more command{'' if others == 1 else 's'} that need "
                        f"{stream}, which the log does not have, "
                        f"{'was' if others == 1 else 'were'} not judged (the cause)",
                        stream,
                        cause=index,
                    )
                )
        if self.unruled_events:
            found.append(
                Finding(
                    Kind.NOT_JUDGED,
                    f"the log has no program start: {self.unruled_events} commands were not "
                    "judged (no Rules to judge them by)",
                    "program",
                    cites=("99",),
                )
            )
        return found

    def skipped(self, event: Event) -> None:
        """Count an event after the break of its stream (neither it nor the event that
        broke it is judged; the break is a finding of its own)."""
        first, n = self.unjudged.get(event.stream_id, (event.version, 0))
        self.unjudged[event.stream_id] = (first, n + 1)

    def _instants(self, item: Item, event: Event, recorded: int) -> None:
        find = self._find
        if event.occurred_at > event.recorded_at:
            find(Kind.TIME_IMPLAUSIBLE, "the event occurred after it was recorded", event, item, ())
        before = self.latest.get(event.stream_id)
        if before is not None and recorded < before:
            find(
                Kind.BACKDATED,
                f"recorded at {event.recorded_at.isoformat()}, before the stream's event of "
                f"{from_us(before).isoformat()}",
                event, item, (),
            )  # fmt: skip
        if event.stream_id == SEAL_STREAM and recorded < self.newest:
            find(
                Kind.BACKDATED,
                f"the seal is recorded at {event.recorded_at.isoformat()}, before events it "
                f"covers (recorded up to {from_us(self.newest).isoformat()})",
                event, item, (),
            )  # fmt: skip
        self.latest[event.stream_id] = max(recorded, before or recorded)
        self.newest = max(self.newest, recorded)

    def _columns(self, item: Item, event: Event, raw: dict[str, Any], recorded: int) -> None:
        assert item.columns is not None  # noqa: S101 - checked by the caller
        for key in _COLUMN_KEYS:
            if str(item.columns[key]) != str(raw.get(key, 1 if key == "schema_version" else None)):
                self._find(
                    Kind.COLUMN_MISMATCH, f"column {key} disagrees with the record", event, item, ()
                )
        upcast = raw.get("schema_version", 1) != event.schema_version
        for key, field, parsed in (
            ("occurred_us", "occurred_at", event.occurred_at),
            ("recorded_us", "recorded_at", event.recorded_at),
        ):
            # The event's own instants are the record's, parsed once already, unless an
            # upcaster rewrote the record; most events occur when they are recorded.
            if upcast:
                us = to_us(parse_instant(str(raw[field])))
            elif field == "recorded_at" or raw.get("occurred_at") == raw.get("recorded_at"):
                us = recorded
            else:
                us = to_us(parsed)
            if int(item.columns[key]) != us:
                self._find(
                    Kind.COLUMN_MISMATCH, f"column {key} disagrees with the record", event, item, ()
                )

    def rules(self, item: Item, event: Event) -> None:
        """The recorded Rules against their recorded fingerprint: of the Rules as
        recorded (settings added by later versions, filled with their defaults when
        read, do not change an old log's fingerprint)."""
        if event.type != EventType.PROGRAM_STARTED:
            return
        try:
            recorded = hashlib.sha256(canonical_json(dict(event.payload["rules"]))).hexdigest()
        except (KeyError, TypeError, ValueError):
            recorded = ""
        if recorded != event.payload.get("fingerprint"):
            self._find(
                Kind.RULES_MISMATCH, "the recorded Rules do not match their fingerprint",
                event, item, ("99",),
            )  # fmt: skip

    def seal(self, item: Item, event: Event, *, check: bool, damaged: bool = False) -> None:
        """A seal's heads and root against the log before it, and its checkpoint
        against the log's tree (``damaged``: a line of the log was unreadable)."""
        self.seals += 1
        root = str(event.payload.get("root", ""))
        self.last_root = root
        if not check:
            return
        heads = event.payload.get("heads")
        actual = sorted((s, v, h) for s, (v, h) in self.heads.items() if s != SEAL_STREAM)
        recorded = _heads(heads)
        if recorded is None:
            self._find(
                Kind.MALFORMED,
                "the seal's heads are not a list of [stream id (text), version (a whole "
                "number), hash (64 lowercase hex digits)]",
                event, item, (),
            )  # fmt: skip
            return
        recorded_root = event.payload.get("root")
        if not (isinstance(recorded_root, str) and _HEX64.fullmatch(recorded_root)):
            self._find(
                Kind.SEAL_MISMATCH,
                "the seal's root is not 64 lowercase hex digits",
                event,
                item,
                (),
            )
            return
        if recorded != actual and sorted(recorded) == actual:
            self._find(
                Kind.SEAL_MISMATCH,
                "the seal's heads are those of the log, but not sorted by stream id",
                event, item, (),
            )  # fmt: skip
        elif recorded != actual:
            differ = sorted({s for s, _, _ in set(recorded) ^ set(actual)})
            index = self._find(
                Kind.SEAL_MISMATCH,
                f"the seal's heads differ from the log for {', '.join(differ[:5])}",
                event, item, (),
            )  # fmt: skip
            logged = {h[0]: h[1] for h in actual}
            for stream, version, _ in recorded:
                # Events the seal covers are not in the log: a stream it names at a
                # later version than the log has. What read that stream before the seal
                # rests on what is lost. (A stream the log has not begun is no loss.)
                if stream in logged and version > logged[stream] and stream not in self.cut:
                    self.cut[stream] = index
                    self.cut_after[stream] = self.positions.get(stream, 0)
                elif stream not in logged:
                    self.sealed_unseen.setdefault(stream, index)  # lost, unless it begins later
        if merkle_root([head_leaf(*h) for h in recorded]).hex() != root:
            self._find(
                Kind.SEAL_MISMATCH, "the seal's root does not match its heads", event, item, ()
            )
        else:
            self.roots.add(root)
        explained = bool(self.found) or damaged  # this seal's own findings included
        for problem in self.checkpoints.problems(item.position, event, explained=explained):
            self._find(Kind.SEAL_MISMATCH, problem, event, item, ())


_HEX64 = re.compile(r"[0-9a-f]{64}")
_STREAM = re.compile(rb'"stream_id":"((?:[^"\\]|\\.){1,200})"')
_VERSION = re.compile(rb'"version":([0-9]{1,30})')


def _heads(heads: object) -> list[tuple[str, int, str]] | None:
    """A seal's heads as recorded, or None when they are not of the format's types (a
    version written ``"21"`` or ``21.0`` is not a version)."""
    if type(heads) is not list:
        return None
    out = []
    for head in heads:
        if type(head) is not list or len(head) != 3:
            return None
        stream, version, digest = head
        if not (
            type(stream) is str
            and type(version) is int
            and type(digest) is str
            and _HEX64.fullmatch(digest)
        ):
            return None
        out.append((stream, version, digest))
    return out


def _canonical(raw: dict[str, Any]) -> bytes:
    try:
        return canonical_json(raw)
    except ValueError:
        # An integer beyond 2^53: refused at write, read as the v1 format reads it
        # (sorted keys, no spaces, UTF-8), so that an old log keeps its meaning.
        return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except TypeError:
        return b""  # not JSON: nothing the writer could have written
