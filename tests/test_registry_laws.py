"""The laws of the command layer, over random sequences of every command by every role.

A hypothesis state machine runs typed commands of the registry (employers, contacts,
cycles, appropriations, the selection, the grant's whole lifecycle, corrections,
holds, the sweep and seals) through ``Program.run`` by random actors while the clock
moves. After every command it checks, for each event written:

- ``recover(event) == command``: the event records exactly the command that wrote it
  (decide's inverse), recovered against the read models as they stood before it;

and at the end of every run:

- the live read models equal the read models rebuilt from the log, and again after an
  export and an import into a new store (grants, employers, applications with their
  amendments, cycles with their ledger and waitlist, awards);
- ``verify`` of the log finds nothing, and decided every event again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from choice_workflow import Actor, ChoiceWorkflowError, ManualClock, Program, Role, State
from choice_workflow.audit import export_log, import_log, verify
from choice_workflow.commands import (
    REGISTRY,
    Accept,
    Amend,
    Apply,
    Approve,
    BeginTransition,
    ChangeContact,
    CloseOut,
    ConfirmNotice,
    Correct,
    Decline,
    Deny,
    Disburse,
    Endorse,
    Evaluate,
    OpenCycle,
    PlaceHold,
    RecordHeadcount,
    RecordRepayment,
    RecordTechnicalAssistance,
    RecordWages,
    RegisterEmployer,
    ReleaseHold,
    Review,
    Seal,
    SelectAwards,
    SendNotice,
    SetAppropriation,
    Terminate,
    UpdateEmployer,
    Withdraw,
)
from choice_workflow.domain.recorded import wage_to_data
from choice_workflow.domain.wages import Headcount, WageRecord
from choice_workflow.events import Event, payloads
from choice_workflow.projections.projector import Projector
from choice_workflow.projections.state import ProjectionState, folded
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store import MemoryStore, Store
from choice_workflow.time.calendar import first_award_instant

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
EMPLOYERS = ("E1", "E2", "E3")
GRANTS = ("G1", "G2", "G3", "G4")
OFFICE = {
    Role.DEPARTMENT: Actor("dol-1", Role.DEPARTMENT),
    Role.DIRECTOR: Actor("director-1", Role.DIRECTOR),
    Role.EVALUATOR: Actor("evaluator-1", Role.EVALUATOR),
    Role.AUDITOR: Actor("auditor-1", Role.AUDITOR),
    Role.SYSTEM: Actor.system(),
}
WHO = st.sampled_from(["allowed"] * 8 + [*(r.value for r in OFFICE), "employer", "other employer"])
"""Mostly an actor the command allows (so that programs get somewhere), sometimes any."""


def _wage(day: dt.date, hourly: str) -> WageRecord:
    return WageRecord(employee_id="P1", paid_on=day, hourly=Decimal(hourly), has_disability=True)


class Commands(RuleBasedStateMachine):
    """One Program; random registry commands by random actors."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.program = Program(MemoryStore(), clock=self.clock)
        self.before = ProjectionState()
        self.projector = Projector(self.program.rules)
        self.seen = 0
        for employer_id in EMPLOYERS:
            self.program.register_employer(
                sample_employer(employer_id, at=START), OFFICE[Role.DEPARTMENT]
            )
        self.program.open_cycle(1, OFFICE[Role.DIRECTOR], appropriation="150000.00")
        self.catch_up()

    # -- helpers -----------------------------------------------------------------------

    def actor(self, who: str, employer_id: str, command: type[Any] | None = None) -> Actor:
        if who == "allowed" and command is not None:
            roles = REGISTRY.by_name[command.name].roles
            who = "employer" if Role.EMPLOYER in roles else min(r.value for r in roles)
        elif who == "allowed":
            who = "employer"
        if who == "employer":
            return Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id)
        if who == "other employer":
            other = next(e for e in EMPLOYERS if e != employer_id)
            return Actor(f"{other}-user", Role.EMPLOYER, employer_id=other)
        return OFFICE[Role(who)]

    def catch_up(self) -> list[Event]:
        """Fold the events written since the last call into ``before``."""
        new = [s.event for s in self.program.store.stored_events(self.seen)]
        for e in new:
            self.before.observe(e, "")
            projected = self.projector.apply(e, self.before)
            if projected.grant is not None:
                self.before.note_type(e)
        self.seen += len(new)
        return new

    def run(self, command: object, who: str, employer_id: str) -> None:
        """Run ``command``; if it wrote, its first event recovers to it exactly."""
        actor = self.actor(who, employer_id, type(command))
        try:
            self.program.run(command, actor)
        except ChoiceWorkflowError:
            self.catch_up()  # a refusal writes nothing but its logged attempt
            return
        new = [s.event for s in self.program.store.stored_events(self.seen)]
        first = new[0]
        spec = REGISTRY.by_event_type[first.type]
        assert command == spec.recover(first, self.before)
        for e in new:  # every payload is exactly its class's JSON
            assert dict(e.payload) == payloads.write(payloads.read(e.type, e.payload))
        for follow in new[1:]:  # the system's follow-ups recover too
            REGISTRY.by_event_type[follow.type].recover(follow, self.before)
        self.catch_up()

    def employer_of(self, grant_id: str) -> str:
        found = self.before.grant(grant_id)
        return found.employer_id if found is not None else "E1"

    # -- employers, contacts, cycles -----------------------------------------------------

    @rule(employer_id=st.sampled_from(EMPLOYERS), who=WHO)
    def register(self, employer_id: str, who: str) -> None:
        self.run(RegisterEmployer(sample_employer(employer_id, at=START)), who, employer_id)

    @rule(employer_id=st.sampled_from(EMPLOYERS), who=WHO, count=st.integers(40, 90))
    def update(self, employer_id: str, who: str, count: int) -> None:
        current = self.before.employer(employer_id) or sample_employer(employer_id, at=START)
        self.run(UpdateEmployer(attrs.evolve(current, employee_count=count)), who, employer_id)

    @rule(employer_id=st.sampled_from(EMPLOYERS), who=WHO, n=st.integers(1, 3))
    def change_contact(self, employer_id: str, who: str, n: int) -> None:
        command = ChangeContact(
            employer_id, "moved", email=f"grants{n}@{employer_id.lower()}.example"
        )
        self.run(command, who, employer_id)

    @rule(
        who=WHO, number=st.sampled_from([1, 2]), amount=st.sampled_from(["60000.00", "150000.00"])
    )
    def open_cycle(self, who: str, number: int, amount: str) -> None:
        opening = first_award_instant(self.program.rules)
        if number == 2:
            opening = opening.add(years=2)
        self.run(OpenCycle(number, Decimal(amount), opening), who, "E1")

    @rule(who=WHO, amount=st.sampled_from(["50000.00", "200000.00"]))
    def appropriate(self, who: str, amount: str) -> None:
        self.run(SetAppropriation(1, Decimal(amount)), who, "E1")

    @rule(who=WHO)
    def select(self, who: str) -> None:
        self.run(SelectAwards(1), who, "E1")

    # -- the grant ---------------------------------------------------------------------

    @rule(grant_id=st.sampled_from(GRANTS), employer_id=st.sampled_from(EMPLOYERS), who=WHO)
    def apply(self, grant_id: str, employer_id: str, who: str) -> None:
        application = sample_application(employer_id, at=self.clock.now())
        self.run(Apply(grant_id, application), who, employer_id)

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO, extra=st.sampled_from([1000, 2000]))
    def amend(self, grant_id: str, who: str, extra: int) -> None:
        current = self.before.application(grant_id)
        if current is None:
            return
        amended = attrs.evolve(current, amount_requested=current.amount_requested + extra)
        self.run(Amend(grant_id, amended, "a new budget"), who, self.employer_of(grant_id))

    @rule(
        grant_id=st.sampled_from(GRANTS),
        who=WHO,
        kind=st.sampled_from(
            [
                "review",
                "deny",
                "withdraw",
                "decline",
                "accept",
                "disburse",
                "assist",
                "hold",
                "release",
                "send",
            ]
        ),
    )
    def simple(self, grant_id: str, who: str, kind: str) -> None:
        command: object = {
            "review": Review(grant_id, "complete"),
            "deny": Deny(grant_id, "not eligible"),
            "withdraw": Withdraw(grant_id, "changed plans"),
            "decline": Decline(grant_id, "the board said no"),
            "accept": Accept(grant_id),
            "disburse": Disburse(grant_id),
            "assist": RecordTechnicalAssistance(grant_id, "job coaching"),
            "hold": PlaceHold(grant_id, "audit"),
            "release": ReleaseHold(grant_id, "audit over"),
            "send": SendNotice(grant_id, "email"),
        }[kind]
        self.run(command, who, self.employer_of(grant_id))

    @rule(
        grant_id=st.sampled_from(GRANTS),
        who=WHO,
        amount=st.sampled_from(["25000.00", "40000.00", "60000.00"]),
    )
    def approve(self, grant_id: str, who: str, amount: str) -> None:
        self.run(Approve(grant_id, Decimal(amount)), who, self.employer_of(grant_id))

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO)
    def endorse(self, grant_id: str, who: str) -> None:
        self.run(Endorse(grant_id, Decimal("25000.00")), who, self.employer_of(grant_id))

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO, hours_ago=st.integers(0, 3))
    def confirm(self, grant_id: str, who: str, hours_ago: int) -> None:
        command = ConfirmNotice(grant_id, "email", self.clock.now().subtract(hours=hours_ago))
        self.run(command, who, self.employer_of(grant_id))

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO)
    def begin(self, grant_id: str, who: str) -> None:
        self.run(BeginTransition(grant_id, self.clock.now()), who, self.employer_of(grant_id))

    @rule(
        grant_id=st.sampled_from(GRANTS),
        who=WHO,
        final=st.booleans(),
        hourly=st.sampled_from(["9.00", "15.00"]),
    )
    def wages(self, grant_id: str, who: str, final: bool, hourly: str) -> None:
        day = self.clock.now().in_timezone("America/Chicago").date()
        command = RecordWages(grant_id, (_wage(day, hourly),), final)
        self.run(command, who, self.employer_of(grant_id))

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO)
    def headcount(self, grant_id: str, who: str) -> None:
        day = self.clock.now().in_timezone("America/Chicago").date()
        command = RecordHeadcount(
            grant_id,
            Headcount(
                quarter_start=day, employees=9, employees_with_disability=4, at_or_above_minimum=4
            ),
        )
        self.run(command, who, self.employer_of(grant_id))

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO, version=st.integers(1, 8))
    def correct(self, grant_id: str, who: str, version: int) -> None:
        day = self.clock.now().in_timezone("America/Chicago").date()
        replacement = {"records": [wage_to_data(_wage(day, "16.00"))]}
        self.run(Correct(grant_id, version, "a typo", replacement), who, self.employer_of(grant_id))

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO)
    def evaluate(self, grant_id: str, who: str) -> None:
        self.run(Evaluate(grant_id, {"wages": "at the minimum"}), who, self.employer_of(grant_id))

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO, repay=st.sampled_from([None, "100.00"]))
    def terminate(self, grant_id: str, who: str, repay: str | None) -> None:
        owed = None if repay is None else Decimal(repay)
        self.run(
            Terminate(grant_id, "documented cause", "other", owed), who, self.employer_of(grant_id)
        )

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO)
    def repayment(self, grant_id: str, who: str) -> None:
        self.run(
            RecordRepayment(grant_id, Decimal("50.00"), self.clock.now().subtract(minutes=1)),
            who,
            self.employer_of(grant_id),
        )

    @rule(grant_id=st.sampled_from(GRANTS), who=WHO)
    def close_out(self, grant_id: str, who: str) -> None:
        self.run(CloseOut(grant_id), who, self.employer_of(grant_id))

    @rule(
        grant_id=st.sampled_from(GRANTS), steps=st.integers(1, 8),
        ending=st.sampled_from(["happy", "happy", "decline", "withdraw", "terminate", "deny"]),
    )  # fmt: skip
    def the_grant_moves_on(self, grant_id: str, steps: int, ending: str) -> None:
        """The commands that take a grant through its lifecycle, by allowed actors, to a
        happy end or another (a decline, a withdrawal, a termination, a denial)."""
        for _ in range(steps):
            grant = self.before.grant(grant_id)
            if grant is None:
                employer_id = EMPLOYERS[GRANTS.index(grant_id) % len(EMPLOYERS)]
                self.apply(grant_id, employer_id, "allowed")
                continue
            eid = grant.employer_id
            now = self.clock.now()
            day = now.in_timezone("America/Chicago").date()
            other: object | None = {
                ("deny", State.APPLIED): Deny(grant_id, "not eligible"),
                ("withdraw", State.APPROVED): Withdraw(grant_id, "changed plans"),
                ("decline", State.APPROVED): Decline(grant_id, "the board said no"),
                ("terminate", State.TRANSITIONING): Terminate(
                    grant_id, "documented cause", "other", Decimal("10.00")
                ),
            }.get((ending, grant.state))
            step: object | None = other or {
                State.APPLIED: Approve(grant_id, Decimal("25000.00")),
                State.APPROVED: ConfirmNotice(grant_id, "email", now)
                if grant.notice_us is None
                else Accept(grant_id),
                State.ACCEPTED: BeginTransition(grant_id, now),
                State.TRANSITIONING: (
                    Disburse(grant_id)
                    if grant.instalments < 2
                    else RecordWages(grant_id, (_wage(day, "15.00"),), True)
                    if grant.final_wages_version is None
                    else Evaluate(grant_id, {"wages": "at the minimum"})
                ),
                State.EVALUATED: CloseOut(grant_id),
            }.get(grant.state)
            if step is None:
                return
            self.run(step, "allowed", eid)
            self.clock.advance(hours=24 * 92 if isinstance(step, Disburse) else 1)

    # -- the log and the clock -----------------------------------------------------------

    @rule(who=WHO)
    def sweep(self, who: str) -> None:
        with contextlib.suppress(ChoiceWorkflowError):
            self.program.sweep(self.actor("system" if who == "allowed" else who, "E1"))
        self.catch_up()

    @rule(who=WHO)
    def seal(self, who: str) -> None:
        self.run(Seal(), who, "E1")

    @rule(hours=st.sampled_from([1, 24, 49, 24 * 100, 24 * 400]))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    # -- the laws at the end of every run ------------------------------------------------

    def teardown(self) -> None:
        store = self.program.store
        report = verify(store)
        assert () == report.findings
        assert report.events == report.judged
        rebuilt = folded((s.event for s in store.stored_events()), self.program.rules)
        assert _models(rebuilt) == _live(store)
        out = io.BytesIO()
        export_log(store.stored_events(), out)
        out.seek(0)
        copy = MemoryStore()
        import_log(out, copy)
        assert _live(store) == _live(copy)


def _models(state: ProjectionState) -> dict[str, Any]:
    return {
        "grants": dict(state.grant_map),
        "employers": dict(state.employers),
        "applications": dict(state.applications),
        "cycles": dict(state.cycles),
        "awards": dict(state.awards),
    }


def _live(store: Store) -> dict[str, Any]:
    assert isinstance(store, MemoryStore)
    return {
        "grants": dict(store.grants),
        "employers": dict(store.employers),
        "applications": dict(store.applications),
        "cycles": dict(store.cycles),
        "awards": dict(store.awards),
    }


@pytest.mark.cite("15(j)")
@pytest.mark.cite("15(a)")
def test_every_command_recovers_from_its_event_and_every_read_model_rebuilds() -> None:
    run_state_machine_as_test(Commands, settings=settings(stateful_step_count=50))
