"""The in-memory store: the reference backend, for tests and simulations."""

from __future__ import annotations

import bisect
import itertools
import threading
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from choice_workflow.domain.state import State
from choice_workflow.errors import ConcurrencyConflict, Problem, TransitionRefused
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.events.tree import NodeId, event_leaf, grow, root_plan
from choice_workflow.store.base import Rows, Store, StoredEvent, StreamHead, Transaction
from choice_workflow.time.instants import to_us

if TYPE_CHECKING:
    from choice_workflow.domain.application import Application
    from choice_workflow.domain.cycle import Cycle
    from choice_workflow.domain.employer import Employer
    from choice_workflow.domain.grant import Grant
    from choice_workflow.events import Event

__all__ = [
    "MemoryStore",
]


def _one_grant_refusal(employer_id: str, grant_id: str, earlier: str) -> TransitionRefused:
    return TransitionRefused(
        command="approve",
        grant_id=grant_id,
        problems=[
            Problem(
                ("15(g)", "10(3)"),
                f"employer {employer_id} was already awarded grant {earlier}",
                "An employer may only be awarded one grant.",
            )
        ],
    )


class _MemoryTransaction(Transaction):
    """Reads see the store plus this transaction's own writes; writes are staged."""

    def __init__(self, store: MemoryStore) -> None:
        self._s = store
        self.events: list[Event] = []
        self.grants_: dict[str, Grant] = {}
        self.employers_: dict[str, Employer] = {}
        self.applications_: dict[str, Application] = {}
        self.versions: dict[str, int] = {}
        self.restored: list[StoredEvent] = []
        self.cycles_: dict[int, Cycle] = {}
        self.awards_: dict[str, str] = {}
        self.tree_: dict[NodeId, bytes] = {}
        self.leaves_: list[int] = []

    def command_events(self, command_id: str) -> tuple[Event, ...] | None:
        staged = tuple(e for e in self.events if e.command_id == command_id)
        return staged or self._s.by_command.get(command_id)

    def stream(self, stream_id: str) -> list[Event]:
        return [
            *self._s.streams.get(stream_id, ()),
            *(e for e in self.events if e.stream_id == stream_id),
        ]

    def stream_version(self, stream_id: str) -> int:
        if stream_id in self.versions:
            return self.versions[stream_id]
        events = self._s.streams.get(stream_id)
        return events[-1].version if events else 0

    def head(self, stream_id: str) -> StreamHead | None:
        staged = [e for e in self.events if e.stream_id == stream_id]
        if staged:  # staged events have no hash before commit
            last = staged[-1]
            return StreamHead(last.version, "", to_us(last.recorded_at))
        events = self._s.streams.get(stream_id)
        if not events:
            return None
        return StreamHead(events[-1].version, self._s.heads[stream_id], self._s.recorded[stream_id])

    def newest_recorded_us(self) -> int:
        staged = max((to_us(e.recorded_at) for e in self.events), default=0)
        return max(staged, self._s.newest)

    def stream_types(self, stream_id: str) -> tuple[str, ...]:
        return tuple(e.type for e in self.stream(stream_id))

    def stream_heads(self) -> list[tuple[str, int, str]]:
        heads = {k: (v[-1].version, self._s.heads[k]) for k, v in self._s.streams.items() if v}
        if self.events:  # staged events have no hash before commit
            raise RuntimeError("stream_heads() must be read before this transaction appends")
        return [(k, *heads[k]) for k in sorted(heads)]

    def extend_tree(self) -> int:
        size = len(self._s.leaves) + len(self.leaves_)
        plan = root_plan(size)
        peaks = [self.tree_nodes(plan)[n] for n in plan]
        added = self._s.log[size:]
        for level, index, h in grow(size, peaks, (event_leaf(e.record) for e in added)):
            self.tree_[(level, index)] = h
        self.leaves_ += [e.position for e in added]
        return size + len(added)

    def tree_nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        found = {n: self.tree_.get(n) or self._s.tree.get(n) for n in ids}
        return {n: h for n, h in found.items() if h is not None}

    def tree_leaf(self, position: int) -> int | None:
        # Positions of the memory store are dense: leaf i is the event at i + 1.
        size = len(self._s.leaves) + len(self.leaves_)
        return position - 1 if 0 < position <= size else None

    def tree_position(self, index: int) -> int | None:
        size = len(self._s.leaves) + len(self.leaves_)
        return index + 1 if 0 <= index < size else None

    def grant(self, grant_id: str) -> Grant | None:
        return self.grants_.get(grant_id) or self._s.grants.get(grant_id)

    def grants(
        self,
        state: State | None = None,
        *,
        employer_id: str | None = None,
        cycle: int | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Grant]:
        merged = {**self._s.grants, **self.grants_}
        found = (
            merged[k]
            for k in sorted(merged)
            if (state is None or merged[k].state is state)
            and (employer_id is None or merged[k].employer_id == employer_id)
            and (cycle is None or merged[k].cycle == cycle)
            and (after is None or k > after)
        )
        return list(found if limit is None else itertools.islice(found, limit))

    def grants_of_employer(self, employer_id: str) -> list[Grant]:
        ids = set(self._s.by_employer.get(employer_id, ()))
        ids |= {g.id for g in self.grants_.values() if g.employer_id == employer_id}
        found = (self.grant(i) for i in sorted(ids))
        return [g for g in found if g is not None]

    def approvals_due(self, before_us: int) -> list[Grant]:
        due = [
            g
            for g in self._s.approved.values()
            if g.accept_by_us is not None
            and g.accept_by_us < before_us
            and g.id not in self.grants_
        ]
        due += [
            g
            for g in self.grants_.values()
            if g.state is State.APPROVED
            and g.accept_by_us is not None
            and g.accept_by_us < before_us
        ]
        return sorted(due, key=lambda g: (g.accept_by_us or 0, g.id))

    def claim_due(self, before_us: int, skip: frozenset[str]) -> Grant | None:
        # One transaction at a time holds the store: nothing else can claim meanwhile.
        return next((g for g in self.approvals_due(before_us) if g.id not in skip), None)

    def cycle(self, number: int, *, lock: bool = False) -> Cycle | None:
        return self.cycles_.get(number) or self._s.cycles.get(number)

    def put_cycle(self, cycle: Cycle) -> None:
        self.cycles_[cycle.number] = cycle

    def record_award(self, employer_id: str, grant_id: str) -> None:
        earlier = self.awards_.get(employer_id) or self._s.awards.get(employer_id)
        if earlier is not None and earlier != grant_id:
            raise _one_grant_refusal(employer_id, grant_id, earlier)
        self.awards_[employer_id] = grant_id

    def employer(self, employer_id: str) -> Employer | None:
        return self.employers_.get(employer_id) or self._s.employers.get(employer_id)

    def rows(self) -> Rows:
        return Rows(
            employers=frozenset(self._s.employers) | frozenset(self.employers_),
            applications=frozenset(self._s.applications) | frozenset(self.applications_),
            cycles=frozenset(self._s.cycles) | frozenset(self.cycles_),
            awards={**self._s.awards, **self.awards_},
        )

    def application(self, grant_id: str) -> Application | None:
        return self.applications_.get(grant_id) or self._s.applications.get(grant_id)

    def append(
        self, events: Sequence[Event], *, heads: Mapping[str, StreamHead | None] | None = None
    ) -> None:
        for e in events:
            current = self.stream_version(e.stream_id)
            if e.version != current + 1:
                raise ConcurrencyConflict(
                    reason=f"stream {e.stream_id} is at version {current}; event version {e.version} conflicts",
                    hint="Reload and retry the command.",
                )
            self.versions[e.stream_id] = e.version
            self.events.append(e)

    def restore(self, stored: StoredEvent) -> None:
        self.restored.append(stored)
        self.versions[stored.event.stream_id] = stored.event.version

    def put_grant(self, grant: Grant, *, new: bool = False) -> None:
        self.grants_[grant.id] = grant

    def put_employer(self, employer: Employer) -> None:
        self.employers_[employer.id] = employer

    def put_application(self, grant_id: str, application: Application) -> None:
        self.applications_[grant_id] = application


class MemoryStore(Store):
    """Events and projections in dicts, one transaction at a time (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._appended = threading.Condition(self._lock)
        self.log: list[StoredEvent] = []
        self.heads: dict[str, str] = {}
        self.recorded: dict[str, int] = {}
        """Each stream's latest recorded instant (microseconds)."""
        self.newest = 0
        """The latest recorded instant of the whole log (microseconds)."""
        self.streams: dict[str, list[Event]] = defaultdict(list)
        self.by_command: dict[str, tuple[Event, ...]] = {}
        self.grants: dict[str, Grant] = {}
        self.approved: dict[str, Grant] = {}
        self.by_employer: dict[str, list[str]] = defaultdict(list)
        self.employers: dict[str, Employer] = {}
        self.applications: dict[str, Application] = {}
        self.cycles: dict[int, Cycle] = {}
        self.awards: dict[str, str] = {}
        self.tree: dict[NodeId, bytes] = {}
        """The log's Merkle tree: every complete subtree's hash (events/tree.py)."""
        self.leaves: list[int] = []
        """The position of each leaf's event."""

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One unit of work; the store's lock is held for its whole length."""
        with self._lock:
            tx = _MemoryTransaction(self)
            yield tx
            self._commit(tx)
            if tx.events or tx.restored:
                self._appended.notify_all()

    def _commit(self, tx: _MemoryTransaction) -> None:
        by_command: dict[str, list[Event]] = defaultdict(list)
        for stored in tx.restored:
            e = stored.event
            self.heads[e.stream_id] = stored.hash
            self.recorded[e.stream_id] = max(
                self.recorded.get(e.stream_id, 0), to_us(e.recorded_at)
            )
            self.newest = max(self.newest, self.recorded[e.stream_id])
            self.log.append(
                StoredEvent(len(self.log) + 1, e, stored.record, stored.prev_hash, stored.hash)
            )
            self.streams[e.stream_id].append(e)
            by_command[e.command_id].append(e)
        for e in tx.events:
            record = e.canonical_bytes()
            prev = self.heads.get(e.stream_id, GENESIS)
            digest = link(prev, record)
            self.heads[e.stream_id] = digest
            self.recorded[e.stream_id] = max(
                self.recorded.get(e.stream_id, 0), to_us(e.recorded_at)
            )
            self.newest = max(self.newest, self.recorded[e.stream_id])
            self.log.append(StoredEvent(len(self.log) + 1, e, record, prev, digest))
            self.streams[e.stream_id].append(e)
            by_command[e.command_id].append(e)
        for cid, events in by_command.items():
            self.by_command[cid] = self.by_command.get(cid, ()) + tuple(events)
        for g in tx.grants_.values():
            if g.id not in self.grants:
                bisect.insort(self.by_employer[g.employer_id], g.id)
            self.grants[g.id] = g
            if g.state is State.APPROVED:
                self.approved[g.id] = g
            else:
                self.approved.pop(g.id, None)
        self.employers.update(tx.employers_)
        self.cycles.update(tx.cycles_)
        self.awards.update(tx.awards_)
        self.applications.update(tx.applications_)
        self.tree.update(tx.tree_)
        self.leaves += tx.leaves_

    def wait_for_events(self, after: int, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for a commit that records an event after
        ``after`` (woken by the commit itself)."""
        with self._appended:
            return self._appended.wait_for(lambda: len(self.log) > after, timeout)

    def stored_events(self, after: int = 0) -> Iterator[StoredEvent]:
        """Every stored event after position ``after``, in recorded order."""
        with self._lock:
            snapshot = self.log[after:]
        return iter(snapshot)
