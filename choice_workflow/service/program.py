"""Program: the thin typed facade over the command registry.

Each method builds its typed command (checking what can be checked of the input
alone) and runs it through the one unit of work. A command's instant is the Program's
Clock: there is no ``at=`` for a command's own time, so nobody can backdate an
acceptance. Facts that happened outside the system (a notice's confirmation, a
transition's start) carry their own instant, never in the future.
"""

from __future__ import annotations

import datetime as dt
import warnings
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.commands import (
    Accept,
    Amend,
    Apply,
    Approve,
    BeginTransition,
    ChangeContact,
    ConfirmNotice,
    Decline,
    Deny,
    Disburse,
    Endorse,
    Forfeit,
    OpenCycle,
    RecordTechnicalAssistance,
    RegisterEmployer,
    Review,
    Seal,
    SelectAwards,
    SendNotice,
    SetAppropriation,
    StartProgram,
    UpdateEmployer,
    Withdraw,
)
from choice_workflow.commands.cycles import default_opening
from choice_workflow.commands.program import recorded_rules
from choice_workflow.commands.registry import REGISTRY, Registry
from choice_workflow.commands.spec import Env
from choice_workflow.domain.actors import Actor
from choice_workflow.domain.application import Application
from choice_workflow.domain.counties import CountyTable, RegionNotSourced, table_for
from choice_workflow.domain.cycle import Cycle
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.money import to_money
from choice_workflow.domain.selection import Selection
from choice_workflow.errors import (
    ChoiceWorkflowError,
    ConcurrencyConflict,
    RulesMismatch,
    SweepInterrupted,
    TransitionRefused,
)
from choice_workflow.events import PROGRAM_STREAM
from choice_workflow.events.checkpoint import Signer
from choice_workflow.lifecycle.machine import LifecycleMachine
from choice_workflow.rules import Rules
from choice_workflow.service import inputs
from choice_workflow.service.after_award import AfterAward
from choice_workflow.service.checks import Checks
from choice_workflow.service.proofs import Proofs
from choice_workflow.service.queries import Queries
from choice_workflow.service.unit_of_work import RETRIES, UnitOfWork, checked_command_id, new_id
from choice_workflow.store import _faults
from choice_workflow.store.base import Store
from choice_workflow.store.memory import MemoryStore
from choice_workflow.time.clock import Clock, SystemClock
from choice_workflow.time.instants import ensure_instant, to_us


def rules_differences(recorded: Rules, given: Rules) -> str:
    """The settings in which ``given`` differs from the ``recorded`` Rules, with both
    values (``min_award is 10000.00 in the log, 5000.00 given``)."""
    old, new = recorded.canonical(), given.canonical()
    changed = [k for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]
    return "; ".join(
        f"{k} is {getattr(recorded, k, old.get(k))} in the log, {getattr(given, k, new.get(k))} given"
        for k in changed
    )


class Program(AfterAward, Queries, Checks, Proofs):
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
        registry: Registry = REGISTRY,
    ) -> None:
        self._store = store if store is not None else MemoryStore()
        self._clock = clock if clock is not None else SystemClock()
        self._counties = CountyTable.illinois()
        self._registry = registry
        self._machine = machine
        self._rules = self._start(rules, counties)
        self._uow = self._unit_of_work(self._rules)

    def _unit_of_work(self, rules: Rules) -> UnitOfWork:
        env = Env(rules=rules, counties=self._counties)
        return UnitOfWork(
            self._store, self._clock, env, registry=self._registry, machine=self._machine
        )

    def _start(self, rules: Rules | None, counties: CountyTable | None) -> Rules:
        """Record the Rules in force as the program's first event, or read them back;
        the county table is the one they name (15(d)): ``counties`` or a shipped one."""
        for _ in range(RETRIES):
            with self._store.transaction() as tx:
                kept = recorded_rules(tx.stream(PROGRAM_STREAM))
            if kept is not None:
                if rules is not None and rules.fingerprint != kept.fingerprint:
                    raise RulesMismatch(
                        reason=f"the log records Rules {kept.fingerprint[:12]}, not {rules.fingerprint[:12]}: "
                        + rules_differences(kept, rules),
                        hint="Open the program without rules= to use the recorded Rules.",
                    )
                self._counties = table_for(kept.county_table, counties)
                return kept
            chosen = rules if rules is not None else Rules.illinois()
            if rules is None and counties is not None:
                chosen = attrs.evolve(chosen, county_table=counties.digest)
            self._counties = table_for(chosen.county_table, counties)
            try:
                started: Rules = (
                    self._unit_of_work(chosen)
                    .run(StartProgram(chosen), Actor.system(), new_id("program-started:"))
                    .result
                )
            except (TransitionRefused, ConcurrencyConflict):
                continue  # another process started the program meanwhile: read its Rules
            return started
        raise ConcurrencyConflict(  # pragma: no cover - needs RETRIES lost starts in a row
            reason="the program could not be started", hint="Retry opening the Program."
        )

    def run(self, command: object, actor: Actor, *, command_id: str | None = None) -> Any:
        """Run any registered command (typed, from :mod:`choice_workflow.commands`) and
        return its result; the typed methods below build their command and call this."""
        checked = None if command_id is None else checked_command_id(command_id)
        return self._uow.run(command, actor, checked).result

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

    @property
    def registry(self) -> Registry:
        """The commands this program runs."""
        return self._registry

    @property
    def conflicts(self) -> int:
        """How many commands lost a race and were retried (optimistic concurrency)."""
        return self._uow.conflicts

    # -- employers ---------------------------------------------------------------------

    def register_employer(
        self, employer: Employer, actor: Actor, *, command_id: str | None = None
    ) -> Employer:
        """Record an employer and its certificate data (role department or director)."""
        inputs.employer_id(getattr(employer, "id", None))
        result: Employer = self.run(RegisterEmployer(employer), actor, command_id=command_id)
        self._warn_if_unsourced(result)
        return result

    def update_employer(
        self, employer: Employer, actor: Actor, *, command_id: str | None = None
    ) -> Employer:
        """Record changed facts of a registered employer (certificate, CRP funding, ...)."""
        result: Employer = self.run(UpdateEmployer(employer), actor, command_id=command_id)
        self._warn_if_unsourced(result)
        return result

    def _warn_if_unsourced(self, employer: Employer) -> None:
        county = self._counties.lookup(employer.county)
        if not self._counties.is_sourced(county):
            warnings.warn(
                RegionNotSourced(
                    f"15(d): {county.name} County has no sourced region in the county table in "
                    f"force; employer {employer.id} counts in the area "
                    f"{self._counties.unsourced_area!r}. An agency with every region loads its "
                    "own table (CountyTable.from_csv, Program(counties=...))."
                ),
                stacklevel=3,
            )

    @property
    def counties(self) -> CountyTable:
        """15(d): the county table in force (the one the Rules name)."""
        return self._counties

    def change_contact(
        self, employer_id: str, actor: Actor, *, reason: str, address_of_record: str | None = None,
        email: str | None = None, command_id: str | None = None,
    ) -> Employer:  # fmt: skip
        """15(i): change an employer's address of record and/or email (the channels a
        notice goes by): an audited event with the previous and new values and the
        reason. The Department, the Director or the employer itself."""
        command = ChangeContact(employer_id, reason, address_of_record, email)
        result: Employer = self.run(command, actor, command_id=command_id)
        return result

    # -- cycles and funds (15(a), 15(f)) -----------------------------------------------

    def open_cycle(
        self, number: int, actor: Actor, *, appropriation: Decimal | str | int,
        opens_at: dt.datetime | None = None, applications_close: dt.datetime | None = None,
        command_id: str | None = None,
    ) -> Cycle:  # fmt: skip
        """15(a), 15(f): the Director opens cycle 1 or 2 with its appropriation. Cycle 1
        opens no earlier than July 1, 2030; cycle 2 no earlier than cycle 1's opening plus
        2 years (the defaults); there is no third cycle."""
        money = to_money(appropriation, "appropriation", ("15(a)",))
        cite = "15(a)" if number == 1 else "15(f)"
        if opens_at is None:
            first = None if number == 1 else self._cycle_or_none(1)
            opening = default_opening(number if isinstance(number, int) else 1, first, self._rules)
        else:
            opening = ensure_instant(opens_at, "opens_at", cite)
        close = (
            None
            if applications_close is None
            else ensure_instant(applications_close, "applications_close", "15(f)")
        )
        result: Cycle = self.run(
            OpenCycle(number, money, opening, close), actor, command_id=command_id
        )
        return result

    def _cycle_or_none(self, number: int) -> Cycle | None:
        with self._store.transaction() as tx:
            return tx.cycle(number)

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
        result: Cycle = self.run(SetAppropriation(number, money), actor, command_id=command_id)
        return result

    def select_awards(
        self, number: int, actor: Actor, *, command_id: str | None = None
    ) -> Selection:
        """15(d), 15(e): rank the cycle's eligible, complete applications into proposed
        awards and a waitlist, and record the selection. Proposals become awards by the
        Director's usual approve command."""
        result: Selection = self.run(SelectAwards(number), actor, command_id=command_id)
        return result

    # -- a grant's commands --------------------------------------------------------------

    def _grant(self, command: object, actor: Actor, command_id: str | None) -> Grant:
        result: Grant = self.run(command, actor, command_id=command_id)
        return result

    def apply(
        self, application: Application, actor: Actor, *, grant_id: str | None = None,
        cycle: int = 1, command_id: str | None = None,
    ) -> Grant:  # fmt: skip
        """15(b): an employer applies; the application is validated as a whole."""
        gid = inputs.grant_id(grant_id, command_id)
        inputs.whole_cycle(cycle)
        to_money(getattr(application, "amount_requested", None), "amount_requested", ("15(h)",))
        return self._grant(Apply(gid, application, cycle), actor, command_id)

    def review(
        self, grant_id: str, actor: Actor, *, notes: str = "", command_id: str | None = None
    ) -> Grant:
        """The Department records its review of an application (the state stays applied)."""
        return self._grant(Review(grant_id, str(notes)), actor, command_id)

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
        inputs.checked(application, Application, "application")
        return self._grant(Amend(grant_id, application, reason), actor, command_id)

    def deny(
        self, grant_id: str, actor: Actor, *, reason: str, command_id: str | None = None
    ) -> Grant:
        """Deny an application, with its reason."""
        return self._grant(Deny(grant_id, reason), actor, command_id)

    def withdraw(
        self, grant_id: str, actor: Actor, *, reason: str = "", command_id: str | None = None
    ) -> Grant:
        """The employer withdraws its application or approved grant."""
        return self._grant(Withdraw(grant_id, reason), actor, command_id)

    def approve(
        self,
        grant_id: str,
        amount: Decimal | str | int,
        actor: Actor,
        *,
        command_id: str | None = None,
    ) -> Grant:
        """15(a), 15(h), 15(f), 15(g): the Director approves an amount."""
        return self._grant(
            Approve(grant_id, to_money(amount, "amount", ("15(h)",))), actor, command_id
        )

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
        return self._grant(
            Endorse(grant_id, to_money(amount, "amount", ("15(h)",))), actor, command_id
        )

    def send_notice(
        self, grant_id: str, actor: Actor, *, channel: str, command_id: str | None = None
    ) -> Grant:
        """15(i): record that the notice of award was sent by ``channel``
        (``address_of_record`` or ``email``) to the employer's contact in force now,
        with the SHA-256 of the text sent."""
        return self._grant(SendNotice(grant_id, channel), actor, command_id)

    def confirm_notice(
        self, grant_id: str, actor: Actor, *, channel: str, confirmed_at: dt.datetime,
        command_id: str | None = None,
    ) -> Grant:  # fmt: skip
        """15(i), 15(j): record the confirmed notice of approval (``address_of_record`` or
        ``email``); its ``accept_by`` is exactly 48 hours after ``confirmed_at``."""
        confirmed = ensure_instant(confirmed_at, "confirmed_at", "15(i)")
        return self._grant(ConfirmNotice(grant_id, channel, confirmed), actor, command_id)

    def accept(self, grant_id: str, actor: Actor, *, command_id: str | None = None) -> Grant:
        """15(j): the grantee accepts, at the latest at ``accept_by``."""
        return self._grant(Accept(grant_id), actor, command_id)

    def decline(
        self, grant_id: str, actor: Actor, *, reason: str = "", command_id: str | None = None
    ) -> Grant:
        """15(j): the grantee declines; the grant returns for the next applicant."""
        return self._grant(Decline(grant_id, reason), actor, command_id)

    def begin_transition(
        self, grant_id: str, actor: Actor, *, started_at: dt.datetime, command_id: str | None = None
    ) -> Grant:
        """15(i): the grantee's transition to the minimum wage started at ``started_at``."""
        started = ensure_instant(started_at, "started_at", "15(i)")
        return self._grant(BeginTransition(grant_id, started), actor, command_id)

    def record_technical_assistance(
        self, grant_id: str, actor: Actor, *, description: str, command_id: str | None = None
    ) -> Grant:
        """Section 90 (MWL 5(b)): the Department's technical assistance to a grantee."""
        return self._grant(RecordTechnicalAssistance(grant_id, description), actor, command_id)

    def disburse(self, grant_id: str, actor: Actor, *, command_id: str | None = None) -> Grant:
        """15(a), 15(f): the Department pays the grant's next instalment of its schedule."""
        return self._grant(Disburse(grant_id), actor, command_id)

    # -- the log -----------------------------------------------------------------------

    def sweep(self, actor: Actor | None = None) -> list[Grant]:
        """15(j): forfeit every approval whose acceptance window has closed. Idempotent:
        a second sweep, or a concurrent one, forfeits nothing twice. Each forfeit (with
        the referral it makes) is its own transaction: an error after some forfeits is a
        :class:`~choice_workflow.errors.SweepInterrupted` that lists them."""
        who = actor if actor is not None else Actor.system()
        self._uow.check_role("forfeit", who, command="sweep", target="sweep")
        forfeited: list[Grant] = []
        passed: set[str] = set()
        while True:
            try:
                with self._store.transaction() as tx:
                    # Claim one lapsed approval at a time; concurrent sweepers skip the
                    # grants another holds (FOR UPDATE SKIP LOCKED on PostgreSQL).
                    grant = tx.claim_due(to_us(self._clock.now()), frozenset(passed))
                    if grant is None:
                        break
                    passed.add(grant.id)
                    _faults.pause("after_claim")
                    # Its cycle is held, then the clock read: whatever a writer recorded
                    # in the cycle while this one waited is before the forfeit's instant.
                    tx.cycle(grant.cycle, lock=True)
                    now = self._clock.now()
                    cid = f"forfeit:{grant.id}:{grant.accept_by_us}"
                    outcome = self._uow.run_in(tx, Forfeit(grant.id), who, cid, now)
            except ConcurrencyConflict:
                self._uow.conflicts += 1
                continue  # another writer moved the grant first; it is passed over
            except TransitionRefused:
                continue  # accepted, declined or withdrawn since it was read
            except ChoiceWorkflowError as error:
                if not forfeited:
                    raise
                raise SweepInterrupted(forfeited=forfeited, error=error) from error
            if outcome.written:
                forfeited.append(outcome.result)
        return forfeited

    def seal(
        self, actor: Actor, *, key: Signer | None = None, origin: str | None = None,
        command_id: str | None = None,
    ) -> str:  # fmt: skip
        """Seal the log: record every stream's head and the RFC 6962 Merkle root over
        them, and the checkpoint of the log's tree over every event so far, signed
        with ``key`` (the Department's; a C2SP signed note) or unsigned (``origin``
        names the log). Returns the heads' root (hex) for publication; the checkpoint
        is :meth:`checkpoint` (docs/audit-format.md)."""
        root: str = self.run(Seal(key, origin), actor, command_id=command_id)
        return root
