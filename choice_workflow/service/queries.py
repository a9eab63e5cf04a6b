"""The Program's queries: the read models as they stand, and what the Act derives from
a grant's records (wage findings, the evaluation, retention). Nothing here writes,
except the record of a refused read of break data."""

from __future__ import annotations

import datetime as dt

import attrs
import pendulum

from choice_workflow.commands.referral import queue_entries
from choice_workflow.domain.actors import Actor
from choice_workflow.domain.application import Application
from choice_workflow.domain.cycle import Cycle
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.performance import BreakData, read_break_data
from choice_workflow.domain.queue import QueueEntry
from choice_workflow.domain.recorded import performance_from_data
from choice_workflow.domain.state import State
from choice_workflow.domain.wages import WageFinding, WageRecord, check_wages
from choice_workflow.errors import (
    InvalidInput,
    NotPermitted,
    Problem,
    UnknownEmployer,
    UnknownGrant,
)
from choice_workflow.events import Event, EventType
from choice_workflow.lifecycle.corrections import (
    Correction,
    EffectiveRecord,
    effective_records,
)
from choice_workflow.lifecycle.corrections import (
    corrections as corrections_of,
)
from choice_workflow.notices import NoticeOfAward, build_notice
from choice_workflow.projections.records import computed_evaluation, wages_of
from choice_workflow.rules import Rules
from choice_workflow.service import inputs
from choice_workflow.service.subscription import Subscription
from choice_workflow.service.unit_of_work import UnitOfWork
from choice_workflow.store.base import Store, StoredEvent
from choice_workflow.time.clock import Clock
from choice_workflow.time.instants import ensure_instant, from_us, to_us, zone

MAX_PAGE = 10_000
"""The largest page a query returns at once."""


@attrs.frozen
class Retention:
    """2 CFR 200.334 (State grants: 30 ILCS 708): how long a grant's records are kept.

    ``may_archive`` is True once the retention date has passed and no hold is placed:
    the agency may then move the grant's records package to its archive. Nothing is
    ever deleted from the log."""

    grant_id: str
    closed_at: pendulum.DateTime | None
    retain_until: pendulum.DateTime | None
    on_hold: bool
    may_archive: bool


class Queries:
    """The read side of :class:`~choice_workflow.service.program.Program`."""

    _store: Store
    _clock: Clock
    _rules: Rules
    _uow: UnitOfWork

    def grant(self, grant_id: str) -> Grant:
        """One grant, as it stands."""
        with self._store.transaction() as tx:
            found = tx.grant(grant_id)
        if found is None:
            raise UnknownGrant(grant_id=grant_id)
        return found

    def queue(self, cycle: int) -> tuple[QueueEntry, ...]:
        """15(j): the cycle's standing queue now: every eligible, complete application
        still applied and not referred, in the selection's order, each with its reason
        (the stratum furthest below its quota first, then by application time). The
        head is the next applicant returned funds go to."""
        with self._store.transaction() as tx:
            found = tx.cycle(cycle)
            if found is None:
                raise InvalidInput(
                    problems=[Problem(("15(f)",), f"cycle {cycle} is not open",
                                      "Open it first (open_cycle).", "cycle")]
                )  # fmt: skip
            return tuple(queue_entries(tx, found, self._uow.env, self._clock.now()))

    def grants(
        self,
        state: State | None = None,
        *,
        employer_id: str | None = None,
        cycle: int | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Grant]:
        """Grants ordered by id (the database's order of text): all, or those in
        ``state``, of ``employer_id``, of ``cycle``. Keyset pagination: ``limit`` grants
        at most, and the next page is ``after=`` the last id of this one (each page an
        index range; no offset to count through)."""
        inputs.optional(state, State, "state")
        inputs.optional(employer_id, str, "employer_id")
        inputs.optional(after, str, "after")
        inputs.count(cycle, "cycle", 1, None)
        inputs.count(limit, "limit", 1, MAX_PAGE)
        with self._store.transaction() as tx:
            return tx.grants(state, employer_id=employer_id, cycle=cycle, after=after, limit=limit)

    def employer(self, employer_id: str) -> Employer:
        """A registered employer."""
        with self._store.transaction() as tx:
            found = tx.employer(employer_id)
        if found is None:
            raise UnknownEmployer(employer_id=employer_id)
        return found

    def cycle(self, number: int) -> Cycle:
        """A cycle and its ledger."""
        with self._store.transaction() as tx:
            found = tx.cycle(number)
        if found is None:
            raise InvalidInput(
                problems=[Problem(("15(f)",), f"cycle {number} is not open", "Open it with open_cycle.", "number")]
            )  # fmt: skip
        return found

    def application(self, grant_id: str) -> Application:
        """The application of a grant (as amended)."""
        with self._store.transaction() as tx:
            found = tx.application(grant_id)
        if found is None:
            raise UnknownGrant(grant_id=grant_id)
        return found

    def events(self, stream_id: str, *, after: int = 0, limit: int | None = None) -> list[Event]:
        """The events of one stream (a grant id, ``employer:ID``, ``cycle:N``,
        ``program``, ``seal``, ``security``) in version order: those after version
        ``after``, at most ``limit`` (the next page is ``after=`` the last version).
        The whole log, with positions, is :meth:`log`."""
        inputs.count(after, "after", 0, None)
        inputs.count(limit, "limit", 1, MAX_PAGE)
        with self._store.transaction() as tx:
            found = [e for e in tx.stream(stream_id) if e.version > after]
        return found if limit is None else found[:limit]

    def log(self, after: int = 0, limit: int = 500) -> list[StoredEvent]:
        """The whole log's events after global position ``after``, at most ``limit``,
        each with its position (the next page is ``after=`` the last position). Only the
        complete part of the log is read: no event positioned before one returned is
        still to commit, so a reader that keeps the last position misses nothing."""
        inputs.count(after, "after", 0, None)
        inputs.count(limit, "limit", 1, MAX_PAGE)
        return self._store.log_page(after, limit)

    def follow(self, after: int = 0, *, batch: int = 500, wait: float = 5.0) -> Subscription:
        """A :class:`~choice_workflow.service.subscription.Subscription` to every event
        after position ``after`` (the last one the consumer handled), at least once:
        docs/howto/subscriptions.md."""
        return Subscription(self._store, after, batch=batch, wait=wait)

    def deadlines_due(self, before: dt.datetime) -> list[tuple[Grant, pendulum.DateTime]]:
        """Approved grants whose acceptance deadline falls before ``before``, soonest
        first, with their deadlines."""
        limit = to_us(ensure_instant(before, "before", "15(j)"))
        with self._store.transaction() as tx:
            due = tx.approvals_due(limit)
        return [(g, from_us(g.accept_by_us)) for g in due if g.accept_by_us is not None]

    def wage_records(self, grant_id: str) -> list[WageRecord]:
        """Every wage recorded for a grant, in the order recorded, as corrected."""
        return wages_of(self.events(grant_id))

    def records(self, grant_id: str, event_type: str) -> list[EffectiveRecord]:
        """A grant's recorded facts of one type (``EventType.WAGES_RECORDED``, ...),
        oldest first, each with its corrections applied and listed."""
        return effective_records(self.events(grant_id), event_type)

    def corrections(self, grant_id: str) -> list[Correction]:
        """Every correction recorded on a grant, in order."""
        return corrections_of(self.events(grant_id))

    def evaluation(self, grant_id: str) -> EffectiveRecord | None:
        """20(a): the grant's recorded evaluation as corrected (None before it)."""
        found = effective_records(self.events(grant_id), EventType.EVALUATED)
        return found[-1] if found else None

    def wage_findings(self, grant_id: str) -> tuple[WageFinding, ...]:
        """15(l), 15(a)(1), 15(a)(2): the grant's recorded wages judged against the
        phase-out floor, the employee's baseline, the federal minimum and the customary
        rate. Findings only: nothing revokes a certificate (15(m))."""
        grant = self.grant(grant_id)
        committed = self.application(grant_id).full_minimum_wage_on
        started = grant.transition_started_at
        start_day = (
            None if started is None else started.in_timezone(zone(self._rules.timezone)).date()
        )
        return check_wages(
            self.wage_records(grant_id), rules=self._rules,
            committed_full_minimum_on=committed, transition_started_on=start_day,
        )  # fmt: skip

    def break_data(self, grant_id: str, actor: Actor) -> tuple[BreakData, ...]:
        """15(c): the break durations of a grant's employees: health data, for the
        evaluator only (others get NotPermitted, and the attempt is logged)."""
        records = [
            performance_from_data(d)
            for r in effective_records(self.events(grant_id), EventType.PERFORMANCE_RECORDED)
            for d in r.payload["records"]
        ]
        try:
            return read_break_data(records, actor.role, actor=actor.id)
        except NotPermitted as refused:
            failure = self._uow.record_refusal(actor, "read_break_data", grant_id, refused.why)
            if failure is not None:
                raise NotPermitted(
                    command=refused.command, actor=refused.actor, role=refused.role,
                    reason=f"{refused.why} (the attempt could not be logged: {failure})", hint=refused.hint,
                ) from None  # fmt: skip
            raise

    def computed_evaluation(self, grant_id: str) -> dict[str, object]:
        """20(a): the evaluation the grant's audit trail gives now (what ``evaluate``
        records when no evaluation is passed)."""
        return computed_evaluation(
            self.grant(grant_id), self.events(grant_id), self._rules, self._clock.now()
        )

    def retention(self, grant_id: str) -> Retention:
        """2 CFR 200.334: how long the grant's records are kept and whether an agency
        may archive them now. Nothing is ever deleted from the log."""
        grant = self.grant(grant_id)
        now = self._clock.now()
        until = grant.retain_until
        return Retention(
            grant_id=grant.id,
            closed_at=grant.ended_at if grant.state is State.CLOSED else None,
            retain_until=until,
            on_hold=grant.on_hold,
            may_archive=until is not None and not grant.on_hold and now >= until,
        )

    def notice_of_award(self, grant_id: str) -> NoticeOfAward:
        """15(i), 15(j): the notice of award the Department sends for an approved grant:
        employer, amount, grant period, the 48-hour acceptance rule (with the exact
        ``accept_by`` once the notice is confirmed), the 15(i) transition rule and the
        cites. Rendered with ``.text()`` and ``.html()``; addressed to the contacts in
        force now (the employer's address of record and email)."""
        grant = self.grant(grant_id)
        return build_notice(grant, self.employer(grant.employer_id), self._rules)
