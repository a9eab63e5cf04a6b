"""The one store interface: every backend (memory, SQLite, PostgreSQL) implements it.

A command runs in one :class:`Transaction`: it reads what its guards need, then appends
its events and updates the projections; all of it commits together or not at all.
Appending checks each stream's expected version, so two writers racing on one grant
cannot both win: the loser gets :class:`~choice_workflow.errors.ConcurrencyConflict`.
"""

from __future__ import annotations

import abc
import itertools
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import attrs

from choice_workflow.domain.state import State
from choice_workflow.events.tree import NodeId, TreeHead, root_from, root_plan

if TYPE_CHECKING:
    from choice_workflow.domain.application import Application
    from choice_workflow.domain.cycle import Cycle
    from choice_workflow.domain.employer import Employer
    from choice_workflow.domain.grant import Grant
    from choice_workflow.events import Event

__all__ = [
    "Item",
    "Rows",
    "Store",
    "StoredEvent",
    "StreamHead",
    "Transaction",
]


@attrs.frozen
class StreamHead:
    """A stream's last event: its version, its hash and when it was recorded
    (microseconds since the epoch, UTC)."""

    version: int
    hash: str
    recorded_us: int


@attrs.frozen
class StoredEvent:
    """An event as the log holds it: its global ``position``, the canonical bytes that
    were hashed (``record``), and its link in the stream's hash chain."""

    position: int
    event: Event
    record: bytes
    prev_hash: str
    hash: str


@attrs.frozen
class Rows:
    """The keys of a store's read models, and its awards (employer -> grant)."""

    employers: frozenset[str]
    applications: frozenset[str]
    cycles: frozenset[int]
    awards: Mapping[str, str]


@attrs.frozen
class Item:
    """One stored event as verify reads it: the bytes that were hashed and their link."""

    position: int
    record: bytes
    prev_hash: str
    hash: str
    columns: Mapping[str, Any] | None = None
    """What a SQL store keeps beside the record (stream_id, version, ...), to compare."""
    line: int = 0
    """The line of an exported log file it was read from (0: not from a file)."""
    damage: tuple[str, ...] = ()
    """What is wrong with that line (an empty record: nothing of it could be read)."""


class Transaction(abc.ABC):
    """The reads and writes of one command, in one unit of work."""

    @abc.abstractmethod
    def command_events(self, command_id: str) -> tuple[Event, ...] | None:
        """The events an earlier command with this id wrote, or None."""

    @abc.abstractmethod
    def stream(self, stream_id: str) -> list[Event]:
        """Every event of a stream, oldest first."""

    @abc.abstractmethod
    def stream_version(self, stream_id: str) -> int:
        """The version of a stream's last event (0 when empty)."""

    @abc.abstractmethod
    def head(self, stream_id: str) -> StreamHead | None:
        """A stream's last event (None when the stream is empty)."""

    def heads(self, stream_ids: Sequence[str]) -> dict[str, StreamHead | None]:
        """The heads of several streams (one statement where the store can)."""
        return {s: self.head(s) for s in stream_ids}

    @abc.abstractmethod
    def newest_recorded_us(self) -> int:
        """The latest recorded instant of the whole log (0 when it is empty), in
        microseconds: what a seal may not precede."""

    @abc.abstractmethod
    def stream_types(self, stream_id: str) -> tuple[str, ...]:
        """The types of a stream's events by version (index 0 is version 1)."""

    def lock_stream(self, stream_id: str) -> None:  # noqa: B027 - optional hook
        """Hold off other writers of ``stream_id`` until this transaction ends (on
        PostgreSQL an advisory lock; stores that run one transaction at a time need
        nothing). Taken before a shared stream's head is read, so that no other writer
        comes between the read and the write."""

    @abc.abstractmethod
    def stream_heads(self) -> list[tuple[str, int, str]]:
        """Every stream's head as (stream id, version, hash), ordered by stream id."""

    @abc.abstractmethod
    def extend_tree(self) -> int:
        """RFC 6962: add the events not yet in the log's Merkle tree, in position
        order, and return the tree's size (leaves). Call under :meth:`lock_for_seal`,
        so that no event before the last one added is still to commit."""

    def tree_head(self) -> TreeHead:
        """The log's tree over every event so far (grown first): under
        :meth:`lock_for_seal`, what a seal's checkpoint records."""
        size = self.extend_tree()
        return TreeHead(size, root_from(size, self.tree_nodes(root_plan(size))))

    @abc.abstractmethod
    def tree_nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        """The stored hashes of complete subtrees ``(level, index)`` of the tree."""

    @abc.abstractmethod
    def tree_leaf(self, position: int) -> int | None:
        """The leaf index of the event at global ``position`` (None: not in the tree)."""

    @abc.abstractmethod
    def tree_position(self, index: int) -> int | None:
        """The global position of the event of leaf ``index`` (None: no such leaf)."""

    @abc.abstractmethod
    def grant(self, grant_id: str) -> Grant | None:
        """The projection of one grant."""

    @abc.abstractmethod
    def grants(
        self,
        state: State | None = None,
        *,
        employer_id: str | None = None,
        cycle: int | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Grant]:
        """Grants ordered by id: all, or those of one state, employer and cycle; with
        ``after``, only ids after it (keyset pagination); at most ``limit``."""

    @abc.abstractmethod
    def grants_of_employer(self, employer_id: str) -> list[Grant]:
        """An employer's grants, ordered by id."""

    @abc.abstractmethod
    def approvals_due(self, before_us: int) -> list[Grant]:
        """Approved grants whose acceptance deadline is before ``before_us`` (microseconds
        since the epoch), soonest first."""

    @abc.abstractmethod
    def claim_due(self, before_us: int, skip: frozenset[str]) -> Grant | None:
        """The approved grant with the soonest passed deadline, not in ``skip``, locked
        for this transaction; grants another transaction holds are passed over (on
        PostgreSQL: ``FOR UPDATE SKIP LOCKED``), so sweepers can run side by side."""

    def lock_for_seal(self) -> None:  # noqa: B027 - optional hook
        """Hold off other writers until this transaction ends, so that a seal's heads are
        exactly the events before it (PostgreSQL: a SHARE ROW EXCLUSIVE table lock)."""

    def lock_employer(self, employer_id: str) -> None:  # noqa: B027 - optional hook
        """Serialize commands that judge one employer's grants together (15(g)): on
        PostgreSQL a row lock; stores that run one transaction at a time need nothing."""

    @abc.abstractmethod
    def cycle(self, number: int, *, lock: bool = False) -> Cycle | None:
        """A cycle and its ledger; ``lock`` holds it for this transaction (PostgreSQL:
        ``FOR UPDATE``) so that approvals and releases of one cycle never interleave."""

    @abc.abstractmethod
    def put_cycle(self, cycle: Cycle) -> None:
        """Write a cycle's projection."""

    @abc.abstractmethod
    def record_award(self, employer_id: str, grant_id: str) -> None:
        """Record that an employer was awarded its one grant (15(g), 10(3)). The store
        refuses a second one with :class:`~choice_workflow.errors.TransitionRefused`
        (a unique constraint in SQL)."""

    @abc.abstractmethod
    def rows(self) -> Rows:
        """Every read model row's key (employers, applications, cycles) and every award:
        what verify compares with the fold of the log, rows the log lacks included."""

    @abc.abstractmethod
    def employer(self, employer_id: str) -> Employer | None:
        """A registered employer."""

    @abc.abstractmethod
    def application(self, grant_id: str) -> Application | None:
        """The application of a grant."""

    @abc.abstractmethod
    def append(
        self, events: Sequence[Event], *, heads: Mapping[str, StreamHead | None] | None = None
    ) -> None:
        """Add events; each stream must continue from its current version, else
        :class:`~choice_workflow.errors.ConcurrencyConflict`. ``heads`` are the streams'
        heads the caller already read in this transaction (none read again)."""

    @abc.abstractmethod
    def restore(self, stored: StoredEvent) -> None:
        """Write an event exactly as another log stored it (its record bytes and its
        hashes), for an import into an empty store; the chain was verified before."""

    @abc.abstractmethod
    def put_grant(self, grant: Grant, *, new: bool = False) -> None:
        """Write a grant's projection (after its events); ``new`` inserts it whatever
        its version (an import)."""

    @abc.abstractmethod
    def put_employer(self, employer: Employer) -> None:
        """Write an employer's projection."""

    @abc.abstractmethod
    def put_application(self, grant_id: str, application: Application) -> None:
        """Write a grant's application."""


class Store(abc.ABC):
    """A place events and projections live."""

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A unit of work: commits when the block ends normally, else rolls back."""

    @abc.abstractmethod
    def stored_events(self, after: int = 0) -> Iterator[StoredEvent]:
        """Every stored event after global position ``after``, in order."""

    def log_page(self, after: int, limit: int) -> list[StoredEvent]:
        """At most ``limit`` events after position ``after``, from the part of the log
        that is complete: no event positioned before one of them is still to commit (a
        follower that stored the last position handed out would miss it)."""
        return list(itertools.islice(self.stored_events(after), limit))

    def wait_for_events(self, after: int, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for an event after position ``after``; True
        when the log may hold one now. A store without notifications waits the whole
        ``timeout`` once, then looks (polling)."""
        if self.log_page(after, 1):
            return True
        time.sleep(timeout)
        return bool(self.log_page(after, 1))

    def all_events(self) -> Iterator[Event]:
        """Every event in the order it was recorded (global position)."""
        return (s.event for s in self.stored_events())

    @property
    def owns_transactions(self) -> bool:
        """True when the store begins and commits its own transactions (so a Program
        may retry a conflicted command); False inside a caller's transaction."""
        return True
