"""Program: the application service. Each command is one unit of work.

A command's instant is the Program's Clock: there is no ``at=`` for a command's own
time, so nobody can backdate an acceptance. Facts that happened outside the system (a
notice's confirmation, a transition's start) carry their own instant, never in the
future. Users call these typed methods; the ``transitions`` triggers behind them are
never exposed (mypy cannot see dynamic triggers: transitions #574, #658).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pendulum

from choice_workflow.actors import Actor, Role
from choice_workflow.allocation import (
    Candidate,
    Cycle,
    Selection,
    Stratum,
    apply_delta,
    disbursement_schedule,
    ledger_delta,
    select_awards,
    stratum_of,
)
from choice_workflow.domain.application import (
    Application,
    application_to_data,
)
from choice_workflow.domain.counties import CountyTable
from choice_workflow.domain.employer import Employer, employer_to_data
from choice_workflow.domain.evaluation import ComplianceAction, Evaluation, evaluate_wages
from choice_workflow.domain.money import to_money
from choice_workflow.domain.performance import (
    BreakData,
    PerformanceRecord,
    aggregate_performance,
    read_break_data,
)
from choice_workflow.domain.recorded import (
    headcount_from_data,
    headcount_to_data,
    performance_from_data,
    performance_to_data,
    wage_from_data,
    wage_to_data,
)
from choice_workflow.domain.wages import Headcount, WageFinding, WageRecord, check_wages
from choice_workflow.errors import (
    ChoiceWorkflowError,
    ConcurrencyConflict,
    InvalidInput,
    NotPermitted,
    Problem,
    TransitionRefused,
    UnknownEmployer,
    UnknownGrant,
)
from choice_workflow.events import (
    CYCLE_STREAM_PREFIX,
    PROGRAM_STREAM,
    SEAL_STREAM,
    SECURITY_STREAM,
    Event,
    EventType,
    canonical_json,
    format_instant,
    money_text,
)
from choice_workflow.lifecycle.context import Command, Context, approval_context, prior_grants
from choice_workflow.lifecycle.corrections import (
    CORRECTABLE,
    Cause,
    Correction,
    EffectiveRecord,
    effective_records,
)
from choice_workflow.lifecycle.corrections import corrections as corrections_of
from choice_workflow.lifecycle.grant import Grant, evolve, from_us, to_us
from choice_workflow.lifecycle.guards import NOTICE_CHANNELS
from choice_workflow.lifecycle.machine import LifecycleMachine, shared_machine
from choice_workflow.lifecycle.states import State
from choice_workflow.notices import NoticeOfAward, build_notice
from choice_workflow.rules import AwardCounts, Rules, WindowStart
from choice_workflow.store.base import Store, Transaction
from choice_workflow.store.memory import MemoryStore
from choice_workflow.time.calendar import (
    acceptance_deadline,
    cycle_two_earliest,
    first_award_instant,
)
from choice_workflow.time.clock import Clock, SystemClock
from choice_workflow.time.instants import ensure_instant, zone

_RESERVED_PREFIXES = ("employer:", PROGRAM_STREAM, SECURITY_STREAM, SEAL_STREAM)
_DERIVED_IN_PAYLOAD = frozenset({"changes", "corrects_type", "to", "sha256", "template"})
_RETRIES = 5
_REMEMBERED = 10_000
"""Applications judged complete that a Program remembers for their approval."""

Payload = Callable[[Grant | None, pendulum.DateTime], dict[str, Any]]
_T = TypeVar("_T")


def _forfeit_payload(grant: Grant | None, now: pendulum.DateTime) -> dict[str, Any]:
    accept_by = (
        None if grant is None or grant.accept_by is None else format_instant(grant.accept_by)
    )
    return {"accept_by": accept_by}


_COMPLIANCE: dict[str, tuple[str, str, str]] = {
    EventType.ACCEPTED: ("accepted the grant", "15(j)", "accepted within the 48-hour window"),
    EventType.NOTICE_CONFIRMED: ("confirmed the notice", "15(i)", "notice of approval confirmed"),
    EventType.TRANSITION_BEGUN: (
        "began the transition",
        "15(i)",
        "transition to the minimum wage begun",
    ),
    EventType.TECHNICAL_ASSISTANCE: (
        "received technical assistance",
        "90",
        "technical assistance from the Department",
    ),
    EventType.WAGES_RECORDED: (
        "reported wages",
        "20(a)(1)",
        "wage records provided for the evaluation",
    ),
    EventType.HEADCOUNT_RECORDED: (
        "reported employment",
        "20(a)(1)",
        "headcounts provided for the evaluation",
    ),
    EventType.PERFORMANCE_RECORDED: (
        "was evaluated on performance",
        "15(c)",
        "standard level work performance recorded",
    ),
    EventType.DISBURSED: ("received an instalment", "15(f)", "an instalment of the grant paid"),
}
"""20(a)(2): events of a grant that are actions taken to comply with Section 15."""


def _checked(value: object, kind: type[Any], field: str) -> Any:
    if not isinstance(value, kind):
        raise InvalidInput(
            [
                Problem(
                    ("20(a)(1)",),
                    f"expected a {kind.__name__}, got {type(value).__name__}",
                    f"Build a {kind.__name__}.",
                    field,
                )
            ]
        )
    return value


def _wages_of(events: Sequence[Event]) -> list[WageRecord]:
    """The wages a grant's events record, in the order recorded, as corrected."""
    return [
        wage_from_data(d)
        for r in effective_records(events, EventType.WAGES_RECORDED)
        for d in r.payload["records"]
    ]


def _instant(us: int | None) -> pendulum.DateTime | None:
    return None if us is None else from_us(us)


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


class RulesMismatch(ChoiceWorkflowError):
    """The Rules passed to a Program differ from the Rules its log records."""


def employer_stream(employer_id: str) -> str:
    """The stream id of an employer's events."""
    return f"employer:{employer_id}"


class Program:
    """The grant program: commands, queries and the sweep of lapsed approvals.

    >>> import pendulum
    >>> from choice_workflow import ManualClock
    >>> program = Program(clock=ManualClock(pendulum.datetime(2030, 7, 1, tz="America/Chicago")))
    >>> program.rules.max_award
    Decimal('50000.00')
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        clock: Clock | None = None,
        rules: Rules | None = None,
        machine: LifecycleMachine | None = None,
        counties: CountyTable | None = None,
    ) -> None:
        self._store = store if store is not None else MemoryStore()
        self._clock = clock if clock is not None else SystemClock()
        self._machine = machine if machine is not None else shared_machine()
        self._counties = counties if counties is not None else CountyTable.illinois()
        self._rules = self._start(rules)
        self.conflicts = 0
        """How many commands lost a race and were retried (optimistic concurrency)."""
        self._complete: dict[str, tuple[int, Application, Employer | None]] = {}
        """Applications this Program judged complete (15(b)) at apply or amend: grant id
        -> (submission instant, application, employer). An approval whose inputs are
        equal does not judge them again (the judgement is a pure function of them)."""

    # -- set-up ------------------------------------------------------------------------

    def _start(self, rules: Rules | None) -> Rules:
        """Record the Rules in force as the program's first event, or read them back."""
        with self._store.transaction() as tx:
            recorded = next(
                (e for e in tx.stream(PROGRAM_STREAM) if e.type == EventType.PROGRAM_STARTED), None
            )
            if recorded is not None:
                kept = Rules.from_canonical(dict(recorded.payload["rules"]))
                if rules is not None and rules.fingerprint != kept.fingerprint:
                    raise RulesMismatch(
                        f"the log records Rules {kept.fingerprint[:12]}, not {rules.fingerprint[:12]}",
                        cites=("99",),
                        hint="Open the program without rules= to use the recorded Rules.",
                    )
                return kept
            chosen = rules if rules is not None else Rules.illinois()
            now = self._clock.now()
            tx.append(
                [
                    Event(
                        EventType.PROGRAM_STARTED,
                        PROGRAM_STREAM,
                        tx.stream_version(PROGRAM_STREAM) + 1,
                        now,
                        now,
                        "system",
                        Role.SYSTEM.value,
                        f"program-started:{uuid.uuid4()}",
                        {"rules": chosen.canonical(), "fingerprint": chosen.fingerprint},
                    )
                ]
            )
            return chosen

    @property
    def rules(self) -> Rules:
        """The Rules in force (as recorded in the log)."""
        return self._rules

    @property
    def clock(self) -> Clock:
        """The clock that gives every command its instant."""
        return self._clock

    @property
    def store(self) -> Store:
        """The store behind the program."""
        return self._store

    # -- employers ---------------------------------------------------------------------

    def register_employer(
        self, employer: Employer, actor: Actor, *, command_id: str | None = None
    ) -> Employer:
        """Record an employer and its certificate data (role department or director)."""
        return self._employer_command(employer, actor, command_id, EventType.EMPLOYER_REGISTERED)

    def update_employer(
        self, employer: Employer, actor: Actor, *, command_id: str | None = None
    ) -> Employer:
        """Record changed facts of a registered employer (certificate, CRP funding, ...)."""
        return self._employer_command(employer, actor, command_id, EventType.EMPLOYER_UPDATED)

    def _employer_command(
        self, employer: Employer, actor: Actor, command_id: str | None, kind: str
    ) -> Employer:
        if actor.role not in (Role.DEPARTMENT, Role.DIRECTOR):
            self._refused_attempt(
                actor,
                "register_employer",
                employer_stream(str(employer.id)),
                "role may not register employers",
            )
            raise NotPermitted(
                "register employers",
                actor.id,
                actor.role.value,
                "only the Department or the Director may",
                "Ask the Department.",
            )
        data = employer_to_data(employer)
        cid = command_id or str(uuid.uuid4())
        now = self._clock.now()
        return self._retrying(lambda: self._employer_once(employer, actor, cid, kind, data, now))

    def _retrying(self, once: Callable[[], _T]) -> _T:
        """Run ``once`` (one transaction) again after a lost race, when the store owns
        its transactions (a caller's connection is never retried behind its back)."""
        attempts = _RETRIES if self._store.owns_transactions else 1
        for attempt in range(attempts):
            try:
                return once()
            except ConcurrencyConflict:
                self.conflicts += 1
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _employer_once(
        self,
        employer: Employer,
        actor: Actor,
        cid: str,
        kind: str,
        data: dict[str, Any],
        now: pendulum.DateTime,
    ) -> Employer:
        with self._store.transaction() as tx:
            if tx.command_events(cid) is not None:
                return tx.employer(employer.id) or employer
            current = tx.employer(employer.id)
            exists = current is not None
            if (
                current is not None
                and kind == EventType.EMPLOYER_UPDATED
                and (current.address_of_record, current.email)
                != (employer.address_of_record, employer.email)
            ):
                raise InvalidInput(
                    [
                        Problem(
                            ("15(i)",),
                            "the address of record and email are the notice channels: "
                            "their changes are recorded with the previous values and a reason",
                            "Use change_contact(employer_id, actor, reason=..., email=...).",
                            "email",
                        )
                    ]
                )
            if exists and kind == EventType.EMPLOYER_REGISTERED:
                raise InvalidInput(
                    [
                        Problem(
                            ('10 "Eligible employer"',),
                            f"employer {employer.id} is already registered",
                            "Use update_employer to change its facts.",
                            "id",
                        )
                    ]
                )
            if not exists and kind == EventType.EMPLOYER_UPDATED:
                raise UnknownEmployer(employer.id)
            stream = employer_stream(employer.id)
            tx.append(
                [
                    Event(
                        kind,
                        stream,
                        tx.stream_version(stream) + 1,
                        now,
                        now,
                        actor.id,
                        actor.role.value,
                        cid,
                        {"employer": data},
                    )
                ]
            )
            tx.put_employer(employer)
        return employer

    def employer(self, employer_id: str) -> Employer:
        """A registered employer."""
        with self._store.transaction() as tx:
            found = tx.employer(employer_id)
        if found is None:
            raise UnknownEmployer(employer_id)
        return found

    # -- cycles and funds (15(a), 15(f)) -----------------------------------------------

    def open_cycle(
        self,
        number: int,
        actor: Actor,
        *,
        appropriation: Decimal | str | int,
        opens_at: dt.datetime | None = None,
        applications_close: dt.datetime | None = None,
        command_id: str | None = None,
    ) -> Cycle:
        """15(a), 15(f): the Director opens cycle 1 or 2 with its appropriation. Cycle 1
        opens no earlier than July 1, 2030; cycle 2 no earlier than cycle 1's opening plus
        2 years (the defaults); there is no third cycle."""
        money = to_money(appropriation, "appropriation", ("15(a)",))
        self._director_only(actor, "open_cycle", f"{CYCLE_STREAM_PREFIX}{number}")
        now = self._clock.now()

        def build(tx: Transaction) -> tuple[list[Event], Cycle]:
            problems = []
            if (
                not isinstance(number, int)
                or isinstance(number, bool)
                or not 1 <= number <= self._rules.cycles
            ):
                raise InvalidInput(
                    [
                        Problem(
                            ("15(f)",),
                            f"the Act provides {self._rules.cycles} grant cycles, not {number!r}",
                            "Open cycle 1 or 2.",
                            "number",
                        )
                    ]
                )
            if tx.cycle(number) is not None:
                problems.append(
                    Problem(
                        ("15(f)",),
                        f"cycle {number} is already open",
                        "Set its appropriation instead.",
                    )
                )
            first = tx.cycle(1)
            if number == 1:
                earliest = first_award_instant(self._rules)
                cite = "15(a)"
            elif first is None:
                problems.append(
                    Problem(("15(f)",), "cycle 2 follows cycle 1", "Open cycle 1 first.")
                )
                earliest, cite = first_award_instant(self._rules), "15(f)"
            else:
                earliest, cite = cycle_two_earliest(from_us(first.opens_us), self._rules), "15(f)"
            opening = earliest if opens_at is None else ensure_instant(opens_at, "opens_at", cite)
            if opening < earliest:
                problems.append(
                    Problem(
                        (cite,),
                        f"cycle {number} may open no earlier than {earliest.in_timezone(zone(self._rules.timezone)).isoformat()}",
                        "Choose a later opening.",
                        "opens_at",
                    )
                )
            close = (
                None
                if applications_close is None
                else ensure_instant(applications_close, "applications_close", "15(f)")
            )
            if money < 0:
                problems.append(
                    Problem(
                        ("15(a)",),
                        "an appropriation cannot be negative",
                        "Use an amount of at least 0.",
                        "appropriation",
                    )
                )
            if problems:
                raise TransitionRefused("open_cycle", f"{CYCLE_STREAM_PREFIX}{number}", problems)
            cycle = Cycle(number, to_us(opening), None if close is None else to_us(close), money)
            payload = {
                "cycle": number, "opens_at": format_instant(opening), "appropriation": money_text(money),
                "applications_close": None if close is None else format_instant(close),
            }  # fmt: skip
            return [
                self._cycle_event(tx, EventType.CYCLE_OPENED, number, actor, now, payload)
            ], cycle

        return self._cycle_command(build, command_id)

    def set_appropriation(
        self,
        number: int,
        amount: Decimal | str | int,
        actor: Actor,
        *,
        command_id: str | None = None,
    ) -> Cycle:
        """15(a): the Director sets a cycle's appropriation; never below what its
        approvals hold and have been paid."""
        money = to_money(amount, "appropriation", ("15(a)",))
        self._director_only(actor, "set_appropriation", f"{CYCLE_STREAM_PREFIX}{number}")
        now = self._clock.now()

        def build(tx: Transaction) -> tuple[list[Event], Cycle]:
            cycle = tx.cycle(number, lock=True)
            if cycle is None:
                raise TransitionRefused(
                    "set_appropriation",
                    f"{CYCLE_STREAM_PREFIX}{number}",
                    [Problem(("15(f)",), f"cycle {number} is not open", "Open it first.")],
                )
            changed = attrs.evolve(cycle, appropriation=money)
            if not changed.balanced():
                raise TransitionRefused(
                    "set_appropriation",
                    f"{CYCLE_STREAM_PREFIX}{number}",
                    [
                        Problem(
                            ("15(a)",),
                            f"${money:,.2f} is less than the ${cycle.reserved + cycle.disbursed:,.2f} already held and paid",
                            "Subject to appropriation: keep at least what is committed.",
                            "amount",
                        )
                    ],
                )
            payload = {"cycle": number, "appropriation": money_text(money)}
            return [
                self._cycle_event(tx, EventType.APPROPRIATION_SET, number, actor, now, payload)
            ], changed

        return self._cycle_command(build, command_id)

    def cycle(self, number: int) -> Cycle:
        """A cycle and its ledger."""
        with self._store.transaction() as tx:
            found = tx.cycle(number)
        if found is None:
            raise InvalidInput(
                [
                    Problem(
                        ("15(f)",),
                        f"cycle {number} is not open",
                        "Open it with open_cycle.",
                        "number",
                    )
                ]
            )
        return found

    def select_awards(
        self, number: int, actor: Actor, *, command_id: str | None = None
    ) -> Selection:
        """15(d), 15(e): rank the cycle's eligible, complete applications into proposed
        awards and a waitlist, and record the selection. Proposals become awards by the
        Director's usual approve command."""
        from choice_workflow.domain.application import validate_application
        from choice_workflow.domain.eligibility import check_eligibility

        self._director_only(actor, "select_awards", f"{CYCLE_STREAM_PREFIX}{number}")
        now = self._clock.now()
        chosen: list[Selection] = []

        def build(tx: Transaction) -> tuple[list[Event], Cycle]:
            cycle = tx.cycle(number, lock=True)
            if cycle is None:
                raise TransitionRefused(
                    "select_awards",
                    f"{CYCLE_STREAM_PREFIX}{number}",
                    [Problem(("15(f)",), f"cycle {number} is not open", "Open it first.")],
                )
            candidates = []
            for g in tx.grants(State.APPLIED):
                employer, application = tx.employer(g.employer_id), tx.application(g.id)
                if g.cycle != number or employer is None or application is None:
                    continue
                prior = prior_grants(g.id, tx.grants_of_employer(g.employer_id))
                if not check_eligibility(
                    employer, at=now, rules=self._rules, prior_grants=prior
                ).eligible:
                    continue
                problems = validate_application(
                    application,
                    employer=employer,
                    at=g.applied_at,
                    rules=self._rules,
                    required_other=self._rules.required_other,
                )
                if any(p.is_error for p in problems):
                    continue
                area, setting, band = stratum_of(employer, self._counties, self._rules)
                candidates.append(
                    Candidate(g.id, g.amount_requested, area, setting, band, g.applied_us)
                )
            selection = select_awards(number, candidates, cycle.available, self._rules)
            chosen.append(selection)
            changed = attrs.evolve(cycle, waitlist=selection.waitlist, referred=())
            event = self._cycle_event(
                tx, EventType.AWARDS_SELECTED, number, actor, now, selection.to_data()
            )
            return [event], changed

        self._cycle_command(build, command_id)
        return chosen[-1]

    def disburse(self, grant_id: str, actor: Actor, *, command_id: str | None = None) -> Grant:
        """15(a), 15(f): the Department pays the grant's next instalment of its schedule."""
        try:
            grant: Grant | None = self.grant(grant_id)
        except UnknownGrant:
            grant = None  # the command reports it, after its role check
        amount, k = Decimal("0.00"), 1
        if grant is not None and grant.amount is not None:
            schedule = disbursement_schedule(grant.amount, self._rules)
            k = grant.instalments + 1
            amount = schedule[k - 1] if k <= len(schedule) else Decimal("0.00")

        def payload(g: Grant | None, now: pendulum.DateTime) -> dict[str, Any]:
            return {"amount": money_text(amount), "instalment": k}

        return self._execute("disburse", grant_id, actor, {"amount": amount}, command_id, payload)

    def _director_only(self, actor: Actor, command: str, target: str) -> None:
        if not isinstance(actor, Actor):
            raise InvalidInput(
                [
                    Problem(
                        (),
                        f"expected an Actor, got {type(actor).__name__}",
                        "Pass Actor(id, Role...).",
                        "actor",
                    )
                ]
            )
        if actor.role is not Role.DIRECTOR:
            reason = "only the Director may"
            self._refused_attempt(actor, command, target, reason)
            raise NotPermitted(command, actor.id, actor.role.value, reason, "Ask the Director.")

    def _cycle_event(
        self,
        tx: Transaction,
        kind: str,
        number: int,
        actor: Actor,
        now: pendulum.DateTime,
        payload: dict[str, Any],
    ) -> Event:
        stream = f"{CYCLE_STREAM_PREFIX}{number}"
        return Event(
            kind,
            stream,
            tx.stream_version(stream) + 1,
            now,
            now,
            actor.id,
            actor.role.value,
            "",
            payload,
        )

    def _cycle_command(
        self, build: Callable[[Transaction], tuple[list[Event], Cycle]], command_id: str | None
    ) -> Cycle:
        cid = command_id or str(uuid.uuid4())
        for attempt in range(_RETRIES if self._store.owns_transactions else 1):
            try:
                with self._store.transaction() as tx:
                    if tx.command_events(cid) is not None:
                        number = int(tx.command_events(cid)[0].payload["cycle"])  # type: ignore[index]  # not None: checked
                        found = tx.cycle(number)
                        assert found is not None  # noqa: S101 - its events are there
                        return found
                    events, cycle = build(tx)
                    tx.append([attrs.evolve(e, command_id=cid) for e in events])
                    tx.put_cycle(cycle)
                    return cycle
            except ConcurrencyConflict:
                self.conflicts += 1
                if attempt == _RETRIES - 1 or not self._store.owns_transactions:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- commands ----------------------------------------------------------------------

    def apply(
        self,
        application: Application,
        actor: Actor,
        *,
        grant_id: str | None = None,
        cycle: int = 1,
        command_id: str | None = None,
    ) -> Grant:
        """15(b): an employer applies; the application is validated as a whole."""
        gid = grant_id or f"G-{uuid.uuid4().hex[:12]}"
        if not isinstance(gid, str) or not gid or gid.startswith(_RESERVED_PREFIXES):
            raise InvalidInput(
                [
                    Problem(
                        ("15(b)",),
                        f"grant id {gid!r} is not usable",
                        "Use a non-empty id not starting with 'employer:', 'program' or 'security'.",
                        "grant_id",
                    )
                ]
            )
        if not isinstance(cycle, int) or isinstance(cycle, bool):
            raise InvalidInput(
                [
                    Problem(
                        ("15(f)",), f"cycle {cycle!r} is not a whole number", "Use 1 or 2.", "cycle"
                    )
                ]
            )
        employer_id = str(getattr(application, "employer_id", ""))
        amount = to_money(
            getattr(application, "amount_requested", None), "amount_requested", ("15(h)",)
        )

        def payload(_: Grant | None, now: pendulum.DateTime) -> dict[str, Any]:
            return {
                "employer_id": employer_id,
                "cycle": cycle,
                "amount_requested": money_text(amount),
                "application": application_to_data(application),
            }

        return self._execute(
            "apply",
            gid,
            actor,
            {"employer_id": employer_id, "application": application, "cycle": cycle},
            command_id,
            payload,
            application=application,
        )

    def review(
        self, grant_id: str, actor: Actor, *, notes: str = "", command_id: str | None = None
    ) -> Grant:
        """The Department records its review of an application (the state stays applied)."""

        def payload(grant: Grant | None, now: pendulum.DateTime) -> dict[str, Any]:
            return {"notes": str(notes)}

        return self._execute("review", grant_id, actor, {"notes": notes}, command_id, payload)

    def amend(
        self,
        grant_id: str,
        application: Application,
        actor: Actor,
        *,
        reason: str,
        command_id: str | None = None,
    ) -> Grant:
        """15(b): the employer amends its application while it is still applied. The
        event records the changed fields and the reason; the amended application is
        validated as a whole, as when it was submitted."""
        if not isinstance(application, Application):
            _checked(application, Application, "application")
        return self._execute(
            "amend", grant_id, actor, {"reason": reason, "application": application},
            command_id, lambda g, n: {"reason": str(reason)}, application=application,
        )  # fmt: skip

    def correct(
        self,
        grant_id: str,
        actor: Actor,
        *,
        corrects: int,
        reason: str,
        wages: Sequence[WageRecord] | None = None,
        final: bool | None = None,
        headcount: Headcount | None = None,
        performance: Sequence[PerformanceRecord] | None = None,
        description: str | None = None,
        notes: str | None = None,
        evaluation: Mapping[str, Any] | None = None,
        command_id: str | None = None,
    ) -> Grant:
        """Correct a recorded fact by a new event that references it (``corrects``: the
        version of the event, see :meth:`events`), with the actor and the reason. Pass
        the corrected field(s) of that event: ``wages`` (and/or ``final``) for a wage
        report, ``headcount``, ``performance``, ``description`` for technical
        assistance, ``notes`` for a review, ``evaluation`` for an evaluation. Nothing is
        edited: both events stay in the log; readers apply the correction."""
        replacement: dict[str, Any] = {}
        latest: dt.date | None = None
        if wages is not None:
            rows = [_checked(r, WageRecord, "wages") for r in wages]
            replacement["records"] = [wage_to_data(r) for r in rows]
            latest = max((r.paid_on for r in rows), default=None)
        if final is not None:
            replacement["final"] = _checked(final, bool, "final")
        if headcount is not None:
            row = _checked(headcount, Headcount, "headcount")
            replacement["headcount"] = headcount_to_data(row)
            latest = row.quarter_start
        if performance is not None:
            if wages is not None:
                raise InvalidInput(
                    [
                        Problem(
                            ("20(a)(1)",),
                            "a correction replaces wages or performance records, not both",
                            "Correct each event on its own.",
                            "performance",
                        )
                    ]
                )
            prow = [_checked(r, PerformanceRecord, "performance") for r in performance]
            replacement["records"] = [performance_to_data(r) for r in prow]
            latest = max((r.period_end for r in prow), default=None)
        if description is not None:
            replacement["description"] = str(description)
        if notes is not None:
            replacement["notes"] = str(notes)
        if evaluation is not None:
            replacement["evaluation"] = self._plain(evaluation)
        params = {
            "reason": reason,
            "corrects": corrects,
            "fields": tuple(sorted(replacement)),
            "replacement": replacement,
            "latest": latest,
        }

        def payload(g: Grant | None, n: pendulum.DateTime) -> dict[str, Any]:
            # "corrects_type" is added from the stream in the command's transaction.
            return {"corrects": corrects, "reason": str(reason), "replacement": replacement}

        return self._execute("correct", grant_id, actor, params, command_id, payload)

    def reevaluate(
        self, grant_id: str, actor: Actor, *, reason: str, command_id: str | None = None
    ) -> Grant:
        """20(a): correct a grant's recorded evaluation with one computed again from its
        audit trail as it now stands (after corrections of its wages, counts or
        performance). The evaluator only; both evaluations stay in the log."""
        if actor.role is not Role.EVALUATOR:
            refused = "only the evaluator evaluates"
            self._refused_attempt(actor, "correct", grant_id, refused)
            raise NotPermitted(
                "reevaluate", actor.id, actor.role.value, refused, "Ask the evaluator."
            )
        self.grant(grant_id)
        found = effective_records(self.events(grant_id), EventType.EVALUATED)
        if not found:
            raise TransitionRefused(
                "correct", grant_id,
                [Problem(("20(a)(1)",), "the grant has no evaluation to correct", "Evaluate it first.")],
            )  # fmt: skip
        computed = self._computed_evaluation(grant_id, self._clock.now())
        return self.correct(
            grant_id, actor, corrects=found[-1].event.version, reason=reason,
            evaluation=computed, command_id=command_id,
        )  # fmt: skip

    def deny(
        self, grant_id: str, actor: Actor, *, reason: str, command_id: str | None = None
    ) -> Grant:
        """Deny an application, with its reason."""
        return self._with_reason("deny", grant_id, actor, reason, command_id)

    def withdraw(
        self, grant_id: str, actor: Actor, *, reason: str = "", command_id: str | None = None
    ) -> Grant:
        """The employer withdraws its application or approved grant."""
        return self._with_reason("withdraw", grant_id, actor, reason, command_id)

    def approve(
        self,
        grant_id: str,
        amount: Decimal | str | int,
        actor: Actor,
        *,
        command_id: str | None = None,
    ) -> Grant:
        """15(a), 15(h), 15(f), 15(g): the Director approves an amount."""
        value = to_money(amount, "amount", ("15(h)",))

        def payload(grant: Grant | None, now: pendulum.DateTime) -> dict[str, Any]:
            accept_by = None
            if self._rules.acceptance_window_starts is WindowStart.APPROVAL:
                accept_by = format_instant(acceptance_deadline(now, self._rules))
            return {"amount": money_text(value), "accept_by": accept_by}

        return self._execute("approve", grant_id, actor, {"amount": value}, command_id, payload)

    def endorse(
        self,
        grant_id: str,
        amount: Decimal | str | int,
        actor: Actor,
        *,
        command_id: str | None = None,
    ) -> Grant:
        """Dual authorization: a first Director endorses the amount an approval above
        ``Rules.dual_authorization_above`` will need; another Director then approves it."""
        value = to_money(amount, "amount", ("15(h)",))
        return self._execute(
            "endorse", grant_id, actor, {"amount": value}, command_id,
            lambda g, n: {"amount": money_text(value)},
        )  # fmt: skip

    def confirm_notice(
        self,
        grant_id: str,
        actor: Actor,
        *,
        channel: str,
        confirmed_at: dt.datetime,
        command_id: str | None = None,
    ) -> Grant:
        """15(i), 15(j): record the confirmed notice of approval (``address_of_record`` or
        ``email``); its ``accept_by`` is exactly 48 hours after ``confirmed_at``."""
        confirmed = ensure_instant(confirmed_at, "confirmed_at", "15(i)")

        def payload(grant: Grant | None, now: pendulum.DateTime) -> dict[str, Any]:
            accept_by: str | None
            if grant is not None and grant.accepted_us is not None:
                accept_by = None  # accepted already: no window left to run (15(j))
            elif self._rules.acceptance_window_starts is WindowStart.NOTICE:
                accept_by = format_instant(acceptance_deadline(confirmed, self._rules))
            else:
                accept_by = (
                    None
                    if grant is None or grant.accept_by is None
                    else format_instant(grant.accept_by)
                )
            return {
                "channel": channel,
                "confirmed_at": format_instant(confirmed),
                "accept_by": accept_by,
            }

        return self._execute(
            "confirm_notice",
            grant_id,
            actor,
            {"channel": channel, "confirmed_at": confirmed},
            command_id,
            payload,
            occurred_at=confirmed,
        )

    def accept(self, grant_id: str, actor: Actor, *, command_id: str | None = None) -> Grant:
        """15(j): the grantee accepts, at the latest at ``accept_by``."""

        def payload(grant: Grant | None, now: pendulum.DateTime) -> dict[str, Any]:
            deadline = (
                None
                if grant is None or grant.accept_by is None
                else format_instant(grant.accept_by)
            )
            return {"accept_by": deadline}

        return self._execute("accept", grant_id, actor, {}, command_id, payload)

    def decline(
        self, grant_id: str, actor: Actor, *, reason: str = "", command_id: str | None = None
    ) -> Grant:
        """15(j): the grantee declines; the grant returns for the next applicant."""
        return self._with_reason("decline", grant_id, actor, reason, command_id)

    def begin_transition(
        self, grant_id: str, actor: Actor, *, started_at: dt.datetime, command_id: str | None = None
    ) -> Grant:
        """15(i): the grantee's transition to the minimum wage started at ``started_at``."""
        started = ensure_instant(started_at, "started_at", "15(i)")
        return self._execute(
            "begin_transition",
            grant_id,
            actor,
            {"started_at": started},
            command_id,
            lambda g, n: {"started_at": format_instant(started)},
            occurred_at=started,
        )

    def record_technical_assistance(
        self, grant_id: str, actor: Actor, *, description: str, command_id: str | None = None
    ) -> Grant:
        """Section 90 (MWL 5(b)): the Department's technical assistance to a grantee."""
        return self._execute(
            "record_technical_assistance",
            grant_id,
            actor,
            {"description": description},
            command_id,
            lambda g, n: {"description": str(description)},
        )

    def record_wages(
        self,
        grant_id: str,
        actor: Actor,
        records: Sequence[WageRecord],
        *,
        final: bool = False,
        command_id: str | None = None,
    ) -> Grant:
        """20(a)(1), 15(l): the grantee records dated hourly wages of pseudonymous
        employees (never names), with their 14(c) baseline and the customary rate.
        ``final=True`` marks the grant's final wage report (close-out needs one)."""
        rows = [_checked(r, WageRecord, "records") for r in records]
        data = [wage_to_data(r) for r in rows]
        latest = max((r.paid_on for r in rows), default=None)
        flag = _checked(final, bool, "final")

        def payload(g: Grant | None, n: pendulum.DateTime) -> dict[str, Any]:
            return {"records": data, "final": True} if flag else {"records": data}

        return self._execute(
            "record_wages", grant_id, actor, {"latest": latest, "count": len(rows)}, command_id,
            payload,
        )  # fmt: skip

    def record_headcount(
        self, grant_id: str, actor: Actor, headcount: Headcount, *, command_id: str | None = None
    ) -> Grant:
        """20(a)(1): the grantee records a quarter's employment counts."""
        row = _checked(headcount, Headcount, "headcount")
        return self._execute(
            "record_headcount", grant_id, actor, {"latest": row.quarter_start, "count": 1}, command_id,
            lambda g, n: {"headcount": headcount_to_data(row)},
        )  # fmt: skip

    def record_performance(
        self,
        grant_id: str,
        actor: Actor,
        records: Sequence[PerformanceRecord],
        *,
        command_id: str | None = None,
    ) -> Grant:
        """15(c): the evaluator records standard level work performance: durations of
        task completion, mental health breaks and physical health breaks."""
        rows = [_checked(r, PerformanceRecord, "records") for r in records]
        data = [performance_to_data(r) for r in rows]
        latest = max((r.period_end for r in rows), default=None)
        return self._execute(
            "record_performance", grant_id, actor, {"latest": latest, "count": len(rows)}, command_id,
            lambda g, n: {"records": data},
        )  # fmt: skip

    def wage_records(self, grant_id: str) -> list[WageRecord]:
        """Every wage recorded for a grant, in the order recorded, as corrected."""
        return _wages_of(self.events(grant_id))

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
            self._refused_attempt(actor, "read_break_data", grant_id, refused.reason)
            raise

    def _computed_evaluation(self, grant_id: str, now: pendulum.DateTime) -> dict[str, Any]:
        """20(a): wages and employment before and after the transition, the actions
        taken to comply with Section 15 (from the audit trail), and performance."""
        grant = self.grant(grant_id)
        events = self.events(grant_id)
        tz = self._rules.timezone
        started = grant.transition_started_at
        start_day = None if started is None else started.in_timezone(zone(tz)).date()
        wages = _wages_of(events)
        before = [w for w in wages if start_day is None or w.paid_on < start_day]
        after = [w for w in wages if start_day is not None and w.paid_on >= start_day]
        counts = [
            headcount_from_data(r.payload["headcount"])
            for r in effective_records(events, EventType.HEADCOUNT_RECORDED)
        ]
        before_count = next(
            (c for c in counts if start_day is None or c.quarter_start < start_day), None
        )
        after_count = next(
            (c for c in reversed(counts) if start_day is not None and c.quarter_start >= start_day),
            None,
        )
        if before_count is None or after_count is None:
            before_count = after_count = None  # a change in employment needs both
        actions = tuple(
            ComplianceAction(
                kind=found[0],
                date=e.occurred_at.in_timezone(zone(tz)).date(),
                cite=found[1],
                description=found[2],
            )
            for e in events
            if (found := _COMPLIANCE.get(e.type)) is not None
        )
        performance = [
            performance_from_data(d)
            for r in effective_records(events, EventType.PERFORMANCE_RECORDED)
            for d in r.payload["records"]
        ]
        result = Evaluation(
            wages=evaluate_wages(
                before,
                after,
                rules=self._rules,
                on=now.in_timezone(zone(tz)).date(),
                headcount_before=before_count,
                headcount_after=after_count,
            ),
            actions=actions,
            performance=aggregate_performance(performance) if performance else None,
        )
        data: dict[str, Any] = result.to_data()
        return data

    def terminate(
        self,
        grant_id: str,
        actor: Actor,
        *,
        reason: str,
        cause: Cause | str = Cause.OTHER,
        repay: Decimal | str | int | None = None,
        evidence: Sequence[int] = (),
        command_id: str | None = None,
    ) -> Grant:
        """The Director terminates a grant: for a false assurance (15(b)(11)(C)), for
        failing the standard level work performance (15(c)) or the wage floors (15(l)),
        citing the recorded events it rests on (``evidence``: their versions), or for
        other documented cause. The undisbursed amount returns to the cycle (and to the
        next waitlisted applicant, 15(j)); ``repay`` records what the grantee must pay
        back as a receivable. The certificate is left as it is (15(m))."""
        owed = None if repay is None else to_money(repay, "repay", ("15(a)",))
        cited = tuple(evidence)
        params = {"reason": reason, "cause": str(cause), "repay": owed, "evidence": cited}

        def payload(g: Grant | None, now: pendulum.DateTime) -> dict[str, Any]:
            return {
                "reason": str(reason),
                "cause": str(cause),
                "evidence": list(cited),
                "repay": None if owed is None else money_text(owed),
                "retain_until": self._retain_until(now),
            }

        return self._execute("terminate", grant_id, actor, params, command_id, payload)

    def record_repayment(
        self,
        grant_id: str,
        amount: Decimal | str | int,
        actor: Actor,
        *,
        received_at: dt.datetime | None = None,
        command_id: str | None = None,
    ) -> Grant:
        """15(a): the Department records a repayment of a terminated grant's receivable;
        the amount returns to the cycle's funds."""
        value = to_money(amount, "amount", ("15(a)",))
        received = (
            None if received_at is None else ensure_instant(received_at, "received_at", "15(a)")
        )
        return self._execute(
            "record_repayment", grant_id, actor, {"amount": value, "received_at": received},
            command_id, lambda g, n: {"amount": money_text(value)}, occurred_at=received,
        )  # fmt: skip

    def close_out(
        self,
        grant_id: str,
        actor: Actor,
        *,
        unspent: Decimal | str | int = "0.00",
        command_id: str | None = None,
    ) -> Grant:
        """15(f), 20(a): close the grant out at the end of its 3-year period, once the
        final disbursement, the final wage report and the evaluation are recorded (a
        refusal names each missing one). Unspent funds return to the cycle (reported as
        lapsed after the cycle's last award); the retention period of 2 CFR 200.334
        starts. The 14(c) certificate is never revoked (15(m)).

        ``unspent``: what the grantee's final expenditure report returns unspent (at
        most what was paid); it goes back to the cycle's funds."""
        returned = to_money(unspent, "unspent", ("15(a)",))

        def payload(g: Grant | None, now: pendulum.DateTime) -> dict[str, Any]:
            return {
                "unspent": money_text(returned),
                "retain_until": self._retain_until(now),
                "retention_years": self._rules.retention_years,
            }

        return self._execute(
            "close_out", grant_id, actor, {"unspent": returned}, command_id, payload
        )

    def _retain_until(self, ended: pendulum.DateTime) -> str:
        """2 CFR 200.334: the end of the retention period of a grant ended at ``ended``."""
        local = ended.in_timezone(zone(self._rules.timezone))
        return format_instant(local.add(years=self._rules.retention_years))

    def place_hold(
        self, grant_id: str, actor: Actor, *, reason: str, command_id: str | None = None
    ) -> Grant:
        """2 CFR 200.334: a litigation or audit hold; the grant's records may not be
        archived away while it lasts, whatever the retention date."""
        return self._with_reason("place_hold", grant_id, actor, reason, command_id)

    def release_hold(
        self, grant_id: str, actor: Actor, *, reason: str, command_id: str | None = None
    ) -> Grant:
        """2 CFR 200.334: the hold ends; the retention period applies again."""
        return self._with_reason("release_hold", grant_id, actor, reason, command_id)

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

    def evaluate(
        self,
        grant_id: str,
        actor: Actor,
        *,
        evaluation: Mapping[str, Any] | None = None,
        command_id: str | None = None,
    ) -> Grant:
        """20(a): record the evaluation of a transitioning grantee and move it to
        evaluated. Without ``evaluation``, it is computed from the grant's audit trail:
        the change in wages and employment of employees with disabilities (20(a)(1)) and
        the actions taken to comply with Section 15 (20(a)(2))."""
        if evaluation is None:
            self.grant(grant_id)  # an unknown grant is UnknownGrant, before any computing
            data: Any = self._computed_evaluation(grant_id, self._clock.now())
        else:
            data = self._plain(evaluation)
        return self._execute(
            "evaluate",
            grant_id,
            actor,
            {"evaluation": data},
            command_id,
            lambda g, n: {"evaluation": data},
        )

    @staticmethod
    def _plain(evaluation: object) -> Any:
        """An evaluation as plain JSON data, or InvalidInput."""
        data = dict(evaluation) if isinstance(evaluation, Mapping) else evaluation
        try:
            canonical_json(data)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                [
                    Problem(
                        ("20(a)(1)",),
                        f"the evaluation is not plain JSON data: {exc}",
                        "Use str, int, bool, None, lists and dicts; amounts as strings.",
                        "evaluation",
                    )
                ]
            ) from None
        return data

    # -- notices (15(i)) -----------------------------------------------------------------

    def notice_of_award(self, grant_id: str) -> NoticeOfAward:
        """15(i), 15(j): the notice of award the Department sends for an approved grant:
        employer, amount, grant period, the 48-hour acceptance rule (with the exact
        ``accept_by`` once the notice is confirmed), the 15(i) transition rule and the
        cites. Rendered with ``.text()`` and ``.html()``; addressed to the contacts in
        force now (the employer's address of record and email)."""
        grant = self.grant(grant_id)
        return build_notice(grant, self.employer(grant.employer_id), self._rules)

    def send_notice(
        self, grant_id: str, actor: Actor, *, channel: str, command_id: str | None = None
    ) -> Grant:
        """15(i): record that the notice of award was sent by ``channel``
        (``address_of_record`` or ``email``) to the employer's contact in force now,
        with the SHA-256 of the text sent."""

        # "to", "sha256" and "template" are added in the command's transaction.
        return self._execute(
            "send_notice", grant_id, actor, {"channel": channel}, command_id,
            lambda g, n: {"channel": channel},
        )  # fmt: skip

    def change_contact(
        self,
        employer_id: str,
        actor: Actor,
        *,
        reason: str,
        address_of_record: str | None = None,
        email: str | None = None,
        command_id: str | None = None,
    ) -> Employer:
        """15(i): change an employer's address of record and/or email (the channels a
        notice goes by). An audited event with the previous and new values and the
        reason; a notice goes to the contact in force when it is sent. The Department,
        the Director or the employer itself."""
        own = actor.role is Role.EMPLOYER and actor.employer_id == employer_id
        if actor.role not in (Role.DEPARTMENT, Role.DIRECTOR) and not own:
            reason_refused = "only the Department, the Director or the employer itself may"
            self._refused_attempt(
                actor, "change_contact", employer_stream(employer_id), reason_refused
            )
            raise NotPermitted(
                "change contact", actor.id, actor.role.value, reason_refused,
                "Ask the Department.",
            )  # fmt: skip
        new: dict[str, str] = {
            k: v for k, v in (("address_of_record", address_of_record), ("email", email))
            if v is not None
        }  # fmt: skip
        problems = [
            Problem(("15(i)",), f"{k} must be non-empty text", f"Pass the new {k}.", k)
            for k, v in new.items()
            if not isinstance(v, str) or not v.strip()
        ]
        if not new:
            problems.append(
                Problem(("15(i)",), "nothing to change", "Pass address_of_record and/or email.")
            )
        if not isinstance(reason, str) or not reason.strip():
            problems.append(
                Problem(
                    ("15(i)",), "a contact change states its reason", "Pass reason='...'.", "reason"
                )
            )
        if "email" in new and isinstance(new["email"], str) and "@" not in new["email"]:
            problems.append(
                Problem(("15(i)",), "the email has no @", "Pass an email address.", "email")
            )
        if problems:
            raise InvalidInput(problems)
        cid = command_id or str(uuid.uuid4())
        now = self._clock.now()
        return self._retrying(
            lambda: self._change_contact_once(employer_id, actor, cid, new, str(reason), now)
        )

    def _change_contact_once(
        self,
        employer_id: str,
        actor: Actor,
        cid: str,
        new: dict[str, str],
        reason: str,
        now: pendulum.DateTime,
    ) -> Employer:
        with self._store.transaction() as tx:
            if tx.command_events(cid) is not None:
                done = tx.employer(employer_id)
                if done is None:  # pragma: no cover - a recorded change has its employer
                    raise UnknownEmployer(employer_id)
                return done
            current = tx.employer(employer_id)
            if current is None:
                raise UnknownEmployer(employer_id)
            previous = {k: getattr(current, k) for k in new}
            updated = attrs.evolve(
                current,
                address_of_record=new.get("address_of_record", current.address_of_record),
                email=new.get("email", current.email),
            )
            stream = employer_stream(employer_id)
            tx.append(
                [
                    Event(
                        EventType.CONTACT_CHANGED,
                        stream,
                        tx.stream_version(stream) + 1,
                        now,
                        now,
                        actor.id,
                        actor.role.value,
                        cid,
                        {
                            "previous": previous,
                            "contact": new,
                            "reason": str(reason),
                            "employer": employer_to_data(updated),
                        },
                    )
                ]
            )
            tx.put_employer(updated)
        return updated

    def sweep(self, actor: Actor | None = None) -> list[Grant]:
        """15(j): forfeit every approval whose acceptance window has closed. Idempotent:
        a second sweep, or a concurrent one, forfeits nothing twice."""
        who = actor if actor is not None else Actor.system()
        spec = self._machine.table.by_trigger["forfeit"]
        refused = self._machine.check_role(spec, who, None)
        if refused is not None:
            # Checked before anything is due, so a wrong role is refused (and logged)
            # whether or not there is work for the sweep.
            self._refused_attempt(who, "sweep", "sweep", refused.reason)
            raise NotPermitted("sweep", who.id, who.role.value, refused.reason, refused.hint)
        now = self._clock.now()
        forfeited: list[Grant] = []
        passed: set[str] = set()
        while True:
            try:
                with self._store.transaction() as tx:
                    # Claim one lapsed approval at a time; concurrent sweepers skip the
                    # grants another holds (FOR UPDATE SKIP LOCKED on PostgreSQL).
                    grant = tx.claim_due(to_us(now), frozenset(passed))
                    if grant is None:
                        break
                    passed.add(grant.id)
                    cid = f"forfeit:{grant.id}:{grant.accept_by_us}"
                    result, wrote = self._command(
                        tx, "forfeit", grant.id, who, {}, cid, _forfeit_payload, None, None, now
                    )
            except ConcurrencyConflict:
                self.conflicts += 1
                continue  # another writer moved the grant first; it is passed over
            except TransitionRefused:
                continue  # accepted, declined or withdrawn since it was read
            if wrote:
                forfeited.append(result)
        return forfeited

    def seal(self, actor: Actor, *, command_id: str | None = None) -> str:
        """Seal the log: record every stream's head and the RFC 6962 Merkle root over
        them, and return the root (hex) for publication (docs/audit-format.md)."""
        from choice_workflow.audit.chain import head_leaf, merkle_root

        if actor.role not in (Role.DEPARTMENT, Role.DIRECTOR, Role.SYSTEM):
            reason = "only the Department, the Director or the system may seal the log"
            self._refused_attempt(actor, "seal", SEAL_STREAM, reason)
            raise NotPermitted("seal", actor.id, actor.role.value, reason, "Ask the Department.")
        cid = command_id or str(uuid.uuid4())
        for attempt in range(_RETRIES if self._store.owns_transactions else 1):
            now = self._clock.now()
            try:
                with self._store.transaction() as tx:
                    earlier = tx.command_events(cid)
                    if earlier is not None:
                        return str(earlier[-1].payload["root"])
                    tx.lock_for_seal()
                    heads = [h for h in tx.stream_heads() if h[0] != SEAL_STREAM]
                    root = merkle_root([head_leaf(*h) for h in heads]).hex()
                    payload = {"heads": [list(h) for h in heads], "root": root}
                    version = tx.stream_version(SEAL_STREAM) + 1
                    event = Event(
                        EventType.SEALED, SEAL_STREAM, version, now, now, actor.id,
                        actor.role.value, cid, payload,
                    )  # fmt: skip
                    tx.append([event])
                    return root
            except ConcurrencyConflict:
                if attempt == _RETRIES - 1 or not self._store.owns_transactions:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- may_<command>: the refusals, without raising ---------------------------------

    def may_approve(
        self, grant_id: str, amount: Decimal | str | int, actor: Actor
    ) -> tuple[Problem, ...]:
        """Why ``approve`` would be refused now (empty: it would not)."""
        return self._may(
            "approve", grant_id, actor, {"amount": to_money(amount, "amount", ("15(h)",))}
        )

    def may_accept(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``accept`` would be refused now (empty: it would not)."""
        return self._may("accept", grant_id, actor, {})

    def may_decline(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``decline`` would be refused now."""
        return self._may("decline", grant_id, actor, {"reason": ""})

    def may_withdraw(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``withdraw`` would be refused now."""
        return self._may("withdraw", grant_id, actor, {"reason": ""})

    def may_review(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``review`` would be refused now."""
        return self._may("review", grant_id, actor, {"notes": ""})

    def may_deny(
        self, grant_id: str, actor: Actor, *, reason: str = "not stated"
    ) -> tuple[Problem, ...]:
        """Why ``deny`` would be refused now."""
        return self._may("deny", grant_id, actor, {"reason": reason})

    def may_confirm_notice(
        self, grant_id: str, actor: Actor, *, channel: str, confirmed_at: dt.datetime
    ) -> tuple[Problem, ...]:
        """Why ``confirm_notice`` would be refused now."""
        confirmed = ensure_instant(confirmed_at, "confirmed_at", "15(i)")
        return self._may(
            "confirm_notice", grant_id, actor, {"channel": channel, "confirmed_at": confirmed}
        )

    def may_begin_transition(
        self, grant_id: str, actor: Actor, *, started_at: dt.datetime
    ) -> tuple[Problem, ...]:
        """Why ``begin_transition`` would be refused now."""
        started = ensure_instant(started_at, "started_at", "15(i)")
        return self._may("begin_transition", grant_id, actor, {"started_at": started})

    def may_record_technical_assistance(
        self, grant_id: str, actor: Actor, *, description: str = "assistance"
    ) -> tuple[Problem, ...]:
        """Why ``record_technical_assistance`` would be refused now."""
        return self._may(
            "record_technical_assistance", grant_id, actor, {"description": description}
        )

    def may_terminate(
        self,
        grant_id: str,
        actor: Actor,
        *,
        reason: str = "not stated",
        cause: Cause | str = Cause.OTHER,
        evidence: Sequence[int] = (),
    ) -> tuple[Problem, ...]:
        """Why ``terminate`` would be refused now."""
        params = {"reason": reason, "cause": str(cause), "evidence": tuple(evidence)}
        return self._may("terminate", grant_id, actor, params)

    def may_close_out(
        self, grant_id: str, actor: Actor, *, unspent: Decimal | str | int = "0.00"
    ) -> tuple[Problem, ...]:
        """Why ``close_out`` would be refused now: each missing record is named."""
        returned = to_money(unspent, "unspent", ("15(a)",))
        return self._may("close_out", grant_id, actor, {"unspent": returned})

    def may_evaluate(
        self, grant_id: str, actor: Actor, *, evaluation: Mapping[str, Any] | None = None
    ) -> tuple[Problem, ...]:
        """Why ``evaluate`` would be refused now."""
        return self._may(
            "evaluate",
            grant_id,
            actor,
            {"evaluation": {"pending": True} if evaluation is None else dict(evaluation)},
        )

    def may_disburse(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``disburse`` would be refused now (empty: the next instalment is due)."""
        grant = self.grant(grant_id)
        schedule = () if grant.amount is None else disbursement_schedule(grant.amount, self._rules)
        k = grant.instalments + 1
        amount = schedule[k - 1] if 0 < k <= len(schedule) else Decimal("0.00")
        return self._may("disburse", grant_id, actor, {"amount": amount})

    def may_forfeit(self, grant_id: str, actor: Actor | None = None) -> tuple[Problem, ...]:
        """Why the sweep would not forfeit this grant now."""
        return self._may("forfeit", grant_id, actor or Actor.system(), {})

    # -- queries -----------------------------------------------------------------------

    def grant(self, grant_id: str) -> Grant:
        """One grant, as it stands."""
        with self._store.transaction() as tx:
            found = tx.grant(grant_id)
        if found is None:
            raise UnknownGrant(grant_id)
        return found

    def grants(self, state: State | None = None) -> list[Grant]:
        """All grants, or those in ``state``, ordered by id."""
        with self._store.transaction() as tx:
            return tx.grants(state)

    def deadlines_due(self, before: dt.datetime) -> list[tuple[Grant, pendulum.DateTime]]:
        """Approved grants whose acceptance deadline falls before ``before``, soonest
        first, with their deadlines."""
        limit = to_us(ensure_instant(before, "before", "15(j)"))
        with self._store.transaction() as tx:
            due = tx.approvals_due(limit)
        return [(g, from_us(g.accept_by_us)) for g in due if g.accept_by_us is not None]

    def events(self, stream_id: str) -> list[Event]:
        """The events of one stream (a grant id, ``employer:ID``, ``program``, ``security``)."""
        with self._store.transaction() as tx:
            return tx.stream(stream_id)

    def application(self, grant_id: str) -> Application:
        """The application of a grant."""
        with self._store.transaction() as tx:
            found = tx.application(grant_id)
        if found is None:
            raise UnknownGrant(grant_id)
        return found

    # -- the unit of work --------------------------------------------------------------

    def _context(
        self, tx: Transaction, name: str, grant: Grant | None, params: Mapping[str, Any]
    ) -> Context:
        if name == "apply":
            employer_id = str(params["employer_id"])
            employer = tx.employer(employer_id)
            if employer is None:
                raise UnknownEmployer(employer_id)
            cycle = tx.cycle(int(params["cycle"])) if isinstance(params["cycle"], int) else None
            return Context(
                employer=employer,
                application=params["application"],
                required_other=self._rules.required_other,
                applications_close=None if cycle is None else _instant(cycle.applications_close_us),
            )
        if grant is not None and name == "amend":
            return Context(
                employer=tx.employer(grant.employer_id),
                application=params["application"],
                required_other=self._rules.required_other,
            )
        if grant is not None and name in ("correct", "terminate"):
            return Context(stream_types=tuple(e.type for e in tx.stream(grant.id)))
        if grant is not None and name in ("send_notice", "confirm_notice"):
            return Context(employer=tx.employer(grant.employer_id))
        if name != "approve" or grant is None:
            return Context()
        tx.lock_employer(grant.employer_id)
        cycle = tx.cycle(grant.cycle, lock=True)
        employer = tx.employer(grant.employer_id)
        application = tx.application(grant.id)
        judged = self._complete.get(grant.id)
        return approval_context(
            grant,
            employer=employer,
            application=application,
            employers_grants=tx.grants_of_employer(grant.employer_id),
            cycle=cycle,
            cycle_one=tx.cycle(1) if grant.cycle != 1 else cycle,
            rules=self._rules,
            application_checked=judged is not None
            and judged == (grant.applied_us, application, employer),
        )

    def _derived(
        self,
        tx: Transaction,
        name: str,
        grant: Grant | None,
        grant_id: str,
        params: Mapping[str, Any],
        context: Context,
    ) -> dict[str, Any]:
        """What a command's params and event take from the store, in its transaction:
        an amendment's changed fields, the type of the event a correction corrects, the
        contact a notice goes to."""
        if name == "amend":
            old = tx.application(grant_id)
            before = {} if old is None else application_to_data(old)
            new = application_to_data(params["application"])
            return {"changes": {k: v for k, v in new.items() if before.get(k) != v}}
        if name == "correct":
            version = params["corrects"]
            types = context.stream_types
            known = isinstance(version, int) and 1 <= version <= len(types)
            return {"corrects_type": types[version - 1] if known else None}
        if name in ("send_notice", "confirm_notice"):
            channel = params.get("channel")
            employer = context.employer
            to = getattr(employer, str(channel), None) if channel in NOTICE_CHANNELS else None
            if (
                name == "confirm_notice"
                or grant is None
                or employer is None
                or grant.amount is None
            ):
                return {"to": to}
            notice = build_notice(grant, employer, self._rules)
            return {"to": to, "sha256": notice.digest(), "template": notice.template}
        return {}

    def _with_reason(
        self, name: str, grant_id: str, actor: Actor, reason: str, command_id: str | None
    ) -> Grant:
        """A command whose only parameter, and payload, is its reason."""
        return self._execute(
            name, grant_id, actor, {"reason": reason}, command_id,
            lambda g, n: {"reason": str(reason)},
        )  # fmt: skip

    def _execute(
        self,
        name: str,
        grant_id: str,
        actor: Actor,
        params: Mapping[str, Any],
        command_id: str | None,
        payload: Payload,
        *,
        occurred_at: pendulum.DateTime | None = None,
        application: Application | None = None,
    ) -> Grant:
        grant, _ = self._run(
            name,
            grant_id,
            actor,
            params,
            command_id or str(uuid.uuid4()),
            payload,
            occurred_at,
            application,
        )
        return grant

    def _run(
        self,
        name: str,
        grant_id: str,
        actor: Actor,
        params: Mapping[str, Any],
        command_id: str,
        payload: Payload,
        occurred_at: pendulum.DateTime | None = None,
        application: Application | None = None,
    ) -> tuple[Grant, bool]:
        """Run one command; retry it on a conflict when the store owns transactions.
        Returns the grant after the command and whether this call wrote its events."""
        if not isinstance(actor, Actor):
            raise InvalidInput(
                [
                    Problem(
                        (),
                        f"expected an Actor, got {type(actor).__name__}",
                        "Pass Actor(id, Role...).",
                        "actor",
                    )
                ]
            )
        attempts = _RETRIES if self._store.owns_transactions else 1
        for attempt in range(attempts):
            try:
                return self._once(
                    name, grant_id, actor, params, command_id, payload, occurred_at, application
                )
            except ConcurrencyConflict:
                self.conflicts += 1
                if attempt == attempts - 1:
                    raise
            except NotPermitted as refused:
                self._refused_attempt(actor, name, grant_id, refused.reason)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(
        self,
        name: str,
        grant_id: str,
        actor: Actor,
        params: Mapping[str, Any],
        command_id: str,
        payload: Payload,
        occurred_at: pendulum.DateTime | None,
        application: Application | None,
    ) -> tuple[Grant, bool]:
        with self._store.transaction() as tx:
            return self._command(
                tx, name, grant_id, actor, params, command_id, payload, occurred_at, application,
                self._clock.now(),
            )  # fmt: skip

    def _command(
        self,
        tx: Transaction,
        name: str,
        grant_id: str,
        actor: Actor,
        params: Mapping[str, Any],
        command_id: str,
        payload: Payload,
        occurred_at: pendulum.DateTime | None,
        application: Application | None,
        now: pendulum.DateTime,
    ) -> tuple[Grant, bool]:
        """One command inside ``tx``: guards, event, projection. Returns the grant and
        whether events were written (False for a command id seen before)."""
        earlier = tx.command_events(command_id)
        if earlier is not None:
            return self._replayed_result(tx, earlier, grant_id), False
        # A role the command never allows is refused (and logged) before anything is
        # looked up, so that an unknown grant or employer reveals nothing to it.
        spec = self._machine.table.by_trigger[name]
        refused = self._machine.check_role(spec, actor, None)
        if refused is not None:
            raise NotPermitted(name, actor.id, actor.role.value, refused.reason, refused.hint)
        grant = tx.grant(grant_id)
        if grant is None and name != "apply":
            raise UnknownGrant(grant_id)
        context = self._context(tx, name, grant, params)
        derived = self._derived(tx, name, grant, grant_id, params, context)
        if name == "correct":
            self._may_correct(actor, derived.get("corrects_type"))
        command = Command(name, grant_id, actor, command_id, {**params, **derived})
        dest = self._machine.run(command, grant, context, self._rules, now)
        spec = self._machine.table.by_trigger[name]
        body = payload(grant, now)
        body.update((k, v) for k, v in derived.items() if k in _DERIVED_IN_PAYLOAD)
        event = Event(
            spec.event_type, grant_id, 1 if grant is None else grant.version + 1,
            occurred_at or now, now, actor.id, actor.role.value, command_id, body,
        )  # fmt: skip
        updated = evolve(grant, event)
        if updated.state is not dest:  # pragma: no cover - the fold and the machine share a table
            raise AssertionError(f"fold gave {updated.state}, machine {dest}")
        tx.append([event])
        tx.put_grant(updated)
        if application is not None:
            tx.put_application(grant_id, application)
            self._remember_complete(updated, application, context.employer)
        self._ledger(tx, name, grant, updated, command_id, now)
        return updated, True

    def _may_correct(self, actor: Actor, kind: object) -> None:
        """Only the role that records a kind of fact corrects it (NotPermitted, logged)."""
        recorder = self._machine.table.by_event_type.get(str(kind))
        if recorder is not None and kind in CORRECTABLE and actor.role not in recorder.roles:
            allowed = ", ".join(sorted(r.value for r in recorder.roles))
            raise NotPermitted(
                "correct", actor.id, actor.role.value,
                f"role {actor.role.value} does not record a {kind}, so it may not correct one",
                f"Ask the role that records it: {allowed}.",
            )  # fmt: skip

    def _remember_complete(
        self, grant: Grant, application: Application, employer: Employer | None
    ) -> None:
        """Remember an application judged complete at apply or amend (bounded: the
        oldest entries go first; a forgotten one is judged again at approval)."""
        if len(self._complete) >= _REMEMBERED:
            self._complete.pop(next(iter(self._complete)))
        self._complete[grant.id] = (grant.applied_us, application, employer)

    def _ledger(
        self,
        tx: Transaction,
        name: str,
        before: Grant | None,
        after: Grant,
        command_id: str,
        now: pendulum.DateTime,
    ) -> None:
        """The command's effects on its cycle, in its transaction: reserve, release, pay
        (15(a)); the one award of the employer (15(g)); the next applicant (15(j))."""
        reserved, disbursed = ledger_delta(before, after)
        if reserved or disbursed:
            cycle = tx.cycle(after.cycle, lock=True)
            if cycle is None:
                raise TransitionRefused(
                    name, after.id,
                    [Problem(("15(a)",), f"cycle {after.cycle} has no ledger", "Open the cycle first.")],
                )  # fmt: skip
            cycle = apply_delta(cycle, reserved, disbursed)
            if not cycle.balanced():
                raise TransitionRefused(
                    name, after.id,
                    [Problem(("15(a)",), f"cycle {after.cycle} would hold ${cycle.reserved + cycle.disbursed:,.2f} "
                             f"of ${cycle.appropriation:,.2f} appropriated", "Subject to appropriation: reduce the amount.")],
                )  # fmt: skip
            tx.put_cycle(cycle)
            if reserved < 0 and after.is_final and name != "close_out":
                # A close-out returns what was unspent at the end of the 3-year period:
                # too late to fund a next applicant (reported as lapsed).
                self._refer_next(tx, cycle, after, command_id, now)
        counts = self._rules.award_counts
        if (name == "approve" and counts is AwardCounts.APPROVED) or (
            name == "accept" and counts is AwardCounts.ACCEPTED
        ):
            tx.record_award(after.employer_id, after.id)

    def _refer_next(
        self,
        tx: Transaction,
        cycle: Cycle,
        released: Grant,
        command_id: str,
        now: pendulum.DateTime,
    ) -> None:
        """15(j): returned funds go "for further consideration to the next applicant"."""
        if cycle.available < self._rules.min_award:
            return
        waiting = [
            w.grant_id for w in cycle.waitlist
            if (g := tx.grant(w.grant_id)) is not None and g.state is State.APPLIED
        ]  # fmt: skip
        chosen = cycle.next_applicant(self._stratum(tx, released), waiting)
        if chosen is None:
            return
        target = tx.grant(chosen.grant_id)
        assert target is not None  # noqa: S101 - it is in `waiting`
        offered = min(chosen.amount, cycle.available)
        payload = {
            "from_grant": released.id,
            "reason": released.state.value,
            "offered": money_text(offered),
            "available": money_text(cycle.available),
        }
        system = Actor.system()
        event = Event(
            EventType.REFERRED, target.id, target.version + 1, now, now, system.id,
            system.role.value, command_id, payload,
        )  # fmt: skip
        referred = evolve(target, event)
        tx.append([event])
        tx.put_grant(referred)
        tx.put_cycle(attrs.evolve(cycle, referred=(*cycle.referred, target.id)))
        if self._rules.auto_approve_next:
            with contextlib.suppress(TransitionRefused):
                self._command(
                    tx, "approve", target.id, system, {"amount": offered}, f"{command_id}:next",
                    lambda g, n: {"amount": money_text(offered), "accept_by": self._approval_deadline(n)},
                    None, None, now,
                )  # fmt: skip

    def _approval_deadline(self, now: pendulum.DateTime) -> str | None:
        if self._rules.acceptance_window_starts is WindowStart.APPROVAL:
            return format_instant(acceptance_deadline(now, self._rules))
        return None

    def _stratum(self, tx: Transaction, grant: Grant) -> Stratum | None:
        """15(d), 15(e): the stratum of a grant's employer (None when unknown)."""
        employer = tx.employer(grant.employer_id)
        if employer is None:
            return None
        return stratum_of(employer, self._counties, self._rules)

    @staticmethod
    def _replayed_result(tx: Transaction, earlier: tuple[Event, ...], grant_id: str) -> Grant:
        """The grant as the earlier run of a command left it."""
        mine = [e for e in earlier if e.stream_id == grant_id] or list(earlier)
        last = mine[-1]
        return Grant.from_events(e for e in tx.stream(last.stream_id) if e.version <= last.version)

    def _may(
        self, name: str, grant_id: str, actor: Actor, params: Mapping[str, Any]
    ) -> tuple[Problem, ...]:
        now = self._clock.now()
        with self._store.transaction() as tx:
            grant = tx.grant(grant_id)
            if grant is None:
                raise UnknownGrant(grant_id)
            context = self._context(tx, name, grant, params)
            derived = self._derived(tx, name, grant, grant_id, params, context)
        command = Command(name, grant_id, actor, "may", {**params, **derived})
        return self._machine.refusals(command, grant, context, self._rules, now)

    def _refused_attempt(self, actor: Actor, command: str, target: str, reason: str) -> None:
        """Write a refused attempt to the security stream, in a transaction of its own."""
        now = self._clock.now()
        for _ in range(_RETRIES):
            try:
                with self._store.transaction() as tx:
                    tx.append(
                        [
                            Event(
                                EventType.ACCESS_REFUSED,
                                SECURITY_STREAM,
                                tx.stream_version(SECURITY_STREAM) + 1,
                                now,
                                now,
                                actor.id,
                                actor.role.value,
                                f"refused:{uuid.uuid4()}",
                                {
                                    "command": command,
                                    "target": target,
                                    "reason": reason,
                                    "employer_id": actor.employer_id,
                                },
                            )
                        ]
                    )
                return
            except ConcurrencyConflict:
                continue
