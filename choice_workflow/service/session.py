"""A command's view of its transaction: the store's reads, each row read once.

The unit of work hands a :class:`Session` to the context loaders, the decision's
follow-ups and the projector, so that a grant, an employer, an application or a cycle
read by one of them is not read again by the next (nor a cycle locked twice), and what
the projector writes is what a follow-up then reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from choice_workflow.domain.application import Application
from choice_workflow.domain.cycle import Cycle
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.store.base import StreamHead, Transaction

_MISSING: Any = object()


class Session:
    """The reads of a :class:`~choice_workflow.store.base.Transaction`, cached; its
    writes, passed through and remembered."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self._grants: dict[str, Grant | None] = {}
        self._employers: dict[str, Employer | None] = {}
        self._applications: dict[str, Application | None] = {}
        self._cycles: dict[int, Cycle | None] = {}
        self._locked: set[int] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tx, name)

    def grant(self, grant_id: str) -> Grant | None:
        """The grant (read once)."""
        found = self._grants.get(grant_id, _MISSING)
        if found is _MISSING:
            found = self._grants[grant_id] = self.tx.grant(grant_id)
        return found  # type: ignore[no-any-return]  # a Grant or None, as cached

    def employer(self, employer_id: str) -> Employer | None:
        """The employer (read once)."""
        found = self._employers.get(employer_id, _MISSING)
        if found is _MISSING:
            found = self._employers[employer_id] = self.tx.employer(employer_id)
        return found  # type: ignore[no-any-return]  # an Employer or None, as cached

    def application(self, grant_id: str) -> Application | None:
        """The grant's application (read once)."""
        found = self._applications.get(grant_id, _MISSING)
        if found is _MISSING:
            found = self._applications[grant_id] = self.tx.application(grant_id)
        return found  # type: ignore[no-any-return]  # an Application or None, as cached

    def cycle(self, number: int, *, lock: bool = False) -> Cycle | None:
        """The cycle (read once; locked the first time a lock is asked for)."""
        if lock and number not in self._locked:
            self._locked.add(number)
            found: Cycle | None = self.tx.cycle(number, lock=True)
            self._cycles[number] = found
            return found
        cached = self._cycles.get(number, _MISSING)
        if cached is _MISSING:
            cached = self._cycles[number] = self.tx.cycle(number)
        return cached  # type: ignore[no-any-return]  # a Cycle or None, as cached

    def heads(self, stream_ids: Sequence[str]) -> dict[str, StreamHead | None]:
        """The heads of the streams (never cached: a command reads them once)."""
        return self.tx.heads(stream_ids)

    def put_grant(self, grant: Grant, *, new: bool = False) -> None:
        """Write a grant's row."""
        self.tx.put_grant(grant, new=new)
        self._grants[grant.id] = grant

    def put_employer(self, employer: Employer) -> None:
        """Write an employer's row."""
        self.tx.put_employer(employer)
        self._employers[employer.id] = employer

    def put_application(self, grant_id: str, application: Application) -> None:
        """Write a grant's application."""
        self.tx.put_application(grant_id, application)
        self._applications[grant_id] = application

    def put_cycle(self, cycle: Cycle) -> None:
        """Write a cycle's row."""
        self.tx.put_cycle(cycle)
        self._cycles[cycle.number] = cycle

    def record_award(self, employer_id: str, grant_id: str) -> None:
        """Record the employer's one award."""
        self.tx.record_award(employer_id, grant_id)
