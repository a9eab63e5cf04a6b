"""Following the log: every event after a position the consumer keeps, at least once.

A consumer (an outbox that sends the notice-of-award email after ``Approved``, a feed
into a data warehouse) keeps the position of the last event it has handled, durably and
after handling it; on a restart it follows the log again from there. An event handled
but not yet acknowledged when the consumer stopped is handed out again (at least once):
the consumer deduplicates by position, which is unique and never reused.

A subscription hands out only a complete prefix of the log (:meth:`Store.log_page`):
on PostgreSQL an event positioned before another may commit after it, and a consumer
that stored the later position would never see the earlier event. When it has caught
up it waits: on PostgreSQL for the store's notification (``LISTEN``), elsewhere for
``wait`` seconds, then looks again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from choice_workflow.errors import InvalidInput, Problem, StoreError
from choice_workflow.service import inputs
from choice_workflow.store.base import Store, StoredEvent
from choice_workflow.store.files import write_whole

__all__ = ["PositionFile", "Subscription"]


class Subscription:
    """The log's events after ``after``, in position order, in batches of ``batch``.

    Iterating yields every event as it is recorded, forever (or until :meth:`stop`);
    :meth:`caught_up` yields those recorded so far and ends. :attr:`position` is the
    last event handed out: store it once the event is handled, never before.
    """

    def __init__(
        self, store: Store, after: int = 0, *, batch: int = 500, wait: float = 5.0
    ) -> None:
        self._store = store
        self.position: int = inputs.count(after, "after", 0, none=False)
        """The position of the last event handed out (``after`` at the start)."""
        inputs.count(batch, "batch", 1, none=False)
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 < wait <= 3600:
            raise InvalidInput(problems=[Problem((), f"wait must be from 0 to 3600 seconds, not {wait!r}", "Pass the longest wait between looks at the log.", "wait")])  # fmt: skip
        self._cursor = self.position
        self._batch = batch
        self._wait = float(wait)
        self._stopped = False

    def _fetch(self) -> list[StoredEvent]:
        page = self._store.log_page(self._cursor, self._batch)
        if page:
            self._cursor = page[-1].position
        return page

    def _pages(self, follow: bool) -> Iterator[list[StoredEvent]]:
        while not self._stopped:
            page = self._fetch()
            if page:
                yield page
            elif not follow:
                return
            else:
                self._store.wait_for_events(self._cursor, self._wait)

    def poll(self) -> list[StoredEvent]:
        """The next batch after the last one read (empty when caught up); it is handed
        out whole: :attr:`position` moves to its last event."""
        page = self._fetch()
        if page:
            self.position = page[-1].position
        return page

    def batches(self, *, follow: bool = False) -> Iterator[list[StoredEvent]]:
        """The batches after :attr:`position`, never empty. Without ``follow`` they end
        when the consumer has caught up; with it they go on as events are recorded,
        waiting in between, until :meth:`stop`. Store the last event's position once a
        batch is handled."""
        for page in self._pages(follow):
            self.position = page[-1].position
            yield page

    def caught_up(self) -> Iterator[StoredEvent]:
        """Every event recorded after :attr:`position` so far, one by one; ends when
        none is left. :attr:`position` is the event being handled."""
        for page in self._pages(False):
            yield from self._until_stopped(page)

    def __iter__(self) -> Iterator[StoredEvent]:
        """Every event after :attr:`position`, as it is recorded, until :meth:`stop`;
        :attr:`position` is the event being handled."""
        for page in self._pages(True):
            yield from self._until_stopped(page)

    def _until_stopped(self, page: list[StoredEvent]) -> Iterator[StoredEvent]:
        for stored in page:
            if self._stopped:
                return
            self.position = stored.position
            yield stored

    def stop(self) -> None:
        """End the iteration after the event being handled (from a handler, a signal
        handler or another thread; a wait in progress ends at its timeout)."""
        self._stopped = True


class PositionFile:
    """A consumer's position kept in a file: written whole (a temporary file, fsynced,
    then renamed over the old one), so a crash leaves the old position or the new one,
    never a torn one."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> int:
        """The stored position (0 when the file does not exist yet)."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return 0
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(reason=f"cannot read the position file {self.path}: {exc}",
                             hint="Check the file's permissions, or remove it to start from 0.") from None  # fmt: skip
        if not text.isdigit() or not text.isascii():
            raise StoreError(reason=f"the position file {self.path} does not hold a position",
                             hint="It holds one integer, as this class writes it; restore it or remove it to start from 0.")  # fmt: skip
        return int(text)

    def save(self, position: int) -> None:
        """Store ``position`` durably (after the event at it was handled)."""
        write_whole(self.path, f"{inputs.count(position, 'position', 0, none=False)}\n")
