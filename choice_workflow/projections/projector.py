"""One event into every read model it changes: the grant, its application, its cycle's
ledger and the employer's one award; an employer; a cycle.

The same :class:`Projector` runs inside a command's transaction (over the store), in an
import (over the new store) and in verify and the reports (over a
:class:`~choice_workflow.projections.state.ProjectionState` in memory).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from choice_workflow.domain.application import Application
from choice_workflow.domain.cycle import Cycle, ledger_delta
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.errors import Problem, TransitionRefused
from choice_workflow.events import Event, EventType, stream_kind
from choice_workflow.projections import applications, cycles, employers, grants
from choice_workflow.rules import AwardCounts, Rules


class ReadWrite(Protocol):
    """What a projector reads and writes: a store's transaction, or a state in memory."""

    def grant(self, grant_id: str) -> Grant | None: ...
    def employer(self, employer_id: str) -> Employer | None: ...
    def application(self, grant_id: str) -> Application | None: ...
    def cycle(self, number: int, *, lock: bool = False) -> Cycle | None: ...
    def put_grant(self, grant: Grant, *, new: bool = False) -> None: ...
    def put_employer(self, employer: Employer) -> None: ...
    def put_application(self, grant_id: str, application: Application) -> None: ...
    def put_cycle(self, cycle: Cycle) -> None: ...
    def record_award(self, employer_id: str, grant_id: str) -> None: ...


@attrs.frozen
class Projected:
    """What one event changed."""

    before: Grant | None = None
    grant: Grant | None = None
    employer: Employer | None = None
    cycle: Cycle | None = None
    """The cycle the event changed (its own stream's, or its grant's ledger)."""


def projection_of(stream_id: str, event_type: str | None = None) -> str:
    """The read model an event of ``stream_id`` (of ``event_type``) folds into: ``none``
    for the program, seal and security streams, and for an event type of a command
    registered beside the library's own whose projection is ``none``. Every event of a
    grant's stream is the grant's (the transition table must know it)."""
    kind = stream_kind(stream_id)
    if kind == "employer":
        known = event_type is None or event_type in employers.EMPLOYER_EVENTS
        return "employers" if known else "none"
    if kind == "cycle":
        return "cycles" if event_type is None or event_type in cycles.CYCLE_EVENTS else "none"
    return "grants" if kind == "grant" else "none"


class Projector:
    """Folds events into the read models under the Rules in force."""

    def __init__(self, rules: Rules, *, records: bool = True) -> None:
        self.rules = rules
        self.records = records
        """False: the employers and applications (whole records to decode) are left out;
        the grants, the cycles and the awards are folded (a replay that checks the
        log's integrity only)."""

    def apply(
        self, event: Event, rw: ReadWrite, *, known: Mapping[str, Any] | None = None
    ) -> Projected:
        """Fold ``event`` into ``rw``. ``known`` holds what the caller already decoded
        of the payload (the command's own application or employer), equal to what
        the payload records."""
        kind = projection_of(event.stream_id, event.type)
        if kind == "none":
            return Projected()
        if kind == "employers":
            if not self.records:
                return Projected()
            employer = (known or {}).get("employer")
            if not isinstance(employer, Employer):
                employer = employers.evolve(None, event)
            rw.put_employer(employer)
            return Projected(employer=employer)
        if kind == "cycles":
            number = int(event.payload["cycle"])
            cycle = cycles.evolve(rw.cycle(number, lock=True), event)
            rw.put_cycle(cycle)
            return Projected(cycle=cycle)
        return self._grant(event, rw, known or {})

    def _grant(self, event: Event, rw: ReadWrite, known: Mapping[str, Any]) -> Projected:
        before = rw.grant(event.stream_id)
        after = grants.evolve(before, event)
        application = None
        if self.records and event.type in applications.APPLICATION_EVENTS:
            application = known.get("application")
            if not isinstance(application, Application):
                application = applications.evolve(rw.application(after.id), event)
        rw.put_grant(after, new=before is None)
        if application is not None:
            rw.put_application(after.id, application)
        cycle = None
        reserved, disbursed = ledger_delta(before, after)
        moves = bool(reserved or disbursed)
        offer_ends = (  # a referred application's end frees its offer (15(j))
            before is not None and before.referred_from is not None
            and before.state is State.APPLIED and after.state.is_final
        )  # fmt: skip
        if moves or offer_ends or event.type == EventType.REFERRED:
            found = rw.cycle(after.cycle, lock=True)
            if found is None:
                if moves:
                    raise TransitionRefused(
                        command=event.type, grant_id=after.id,
                        problems=[Problem(("15(a)", "15(f)"), f"cycle {after.cycle} has no ledger: it was never opened",
                                 "Open the cycle first.")],
                    )  # fmt: skip
            else:
                cycle = cycles.ledger(found, event, reserved, disbursed, after)
                rw.put_cycle(cycle)
        counts = self.rules.award_counts
        if (event.type == EventType.APPROVED and counts is AwardCounts.APPROVED) or (
            event.type == EventType.ACCEPTED and counts is AwardCounts.ACCEPTED
        ):
            rw.record_award(after.employer_id, after.id)
        return Projected(before=before, grant=after, cycle=cycle)
