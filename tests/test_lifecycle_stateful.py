"""Random sequences of commands, by random actors, at random instants, keep the lifecycle's
invariants (DESIGN.md "The state machine", "Time", "Who may do what").

A hypothesis state machine drives one Program on a ManualClock: every typed command,
the sweep, the ``may_<command>()`` checks and the deadline query, by every role
(employers acting on their own grants and on other employers'), while the clock moves
by seconds to days and sometimes lands exactly on a grant's ``accept_by`` or one
microsecond after it. What must hold after every step:

- only the library's typed errors escape (anything else fails the test);
- a refused command writes nothing but, for ``NotPermitted``, one logged attempt;
- ``may_<command>()`` is empty exactly when the command then succeeds;
- a command succeeds only for a role DESIGN.md "Who may do what" allows;
- a grant in a final state never changes again;
- 15(g), 10(3) (default reading): at most one grant per employer was ever approved;
- 15(j): no acceptance was recorded after its ``accept_by``; the sweep forfeits exactly
  the approvals whose window has closed;
- each grant's projection equals the fold of its events.

The expected roles and event types are written out here from DESIGN.md, not read from
the transition table under test.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import pendulum
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from choice_workflow import (
    Actor,
    ChoiceWorkflowError,
    Grant,
    ManualClock,
    NotPermitted,
    Problem,
    Program,
    Role,
    State,
    TransitionRefused,
    UnknownGrant,
)
from choice_workflow.events import SECURITY_STREAM, Event, EventType, format_instant
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE
from choice_workflow.projections.grants import fold as fold_grant
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.time.instants import to_us

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
EMPLOYERS = ("E1", "E2")
UNREGISTERED = "E9"
GRANT_IDS = tuple(f"G{n}" for n in range(1, 9))

DEPARTMENT = Actor("dol-staff", Role.DEPARTMENT)
DIRECTOR = Actor("director", Role.DIRECTOR)
EVALUATOR = Actor("evaluator", Role.EVALUATOR)
AUDITOR = Actor("auditor", Role.AUDITOR)
SYSTEM = Actor.system()
BY_ROLE = {
    Role.DEPARTMENT: DEPARTMENT,
    Role.DIRECTOR: DIRECTOR,
    Role.EVALUATOR: EVALUATOR,
    Role.AUDITOR: AUDITOR,
    Role.SYSTEM: SYSTEM,
}

OWNER = "owner"
"""The employer actor of the grant's own employer."""
OTHER_EMPLOYER = "other employer"
"""An employer actor of another employer."""
ALLOWED = "allowed"
"""A role DESIGN.md allows for the command (the owner for the employer's commands)."""

# DESIGN.md "Who may do what"; where it is silent, the table's reading (the Director may
# deny as the Department may; the grantee or the Department records the start of the
# transition). The system approves only grants referred to it from a waitlist (15(j)),
# and no waitlist is selected here, so the Director is the only approver.
ALLOWED_ROLES: Mapping[str, frozenset[Role]] = {
    "apply": frozenset({Role.EMPLOYER}),
    "review": frozenset({Role.DEPARTMENT}),
    "deny": frozenset({Role.DEPARTMENT, Role.DIRECTOR}),
    "withdraw": frozenset({Role.EMPLOYER}),
    "approve": frozenset({Role.DIRECTOR}),
    "confirm_notice": frozenset({Role.DEPARTMENT}),
    "accept": frozenset({Role.EMPLOYER}),
    "decline": frozenset({Role.EMPLOYER}),
    "begin_transition": frozenset({Role.EMPLOYER, Role.DEPARTMENT}),
    "record_technical_assistance": frozenset({Role.DEPARTMENT}),
    "terminate": frozenset({Role.DIRECTOR}),
    "evaluate": frozenset({Role.EVALUATOR}),
    "disburse": frozenset({Role.DEPARTMENT}),
    "sweep": frozenset({Role.SYSTEM}),
}

EVENT_TYPES: Mapping[str, str] = {
    "apply": "Applied",
    "review": "Reviewed",
    "deny": "Denied",
    "withdraw": "Withdrawn",
    "approve": "Approved",
    "confirm_notice": "NoticeConfirmed",
    "accept": "Accepted",
    "decline": "Declined",
    "begin_transition": "TransitionBegun",
    "record_technical_assistance": "TechnicalAssistanceRecorded",
    "terminate": "Terminated",
    "evaluate": "Evaluated",
    "disburse": "Disbursed",
}

COMMANDS = sorted(set(EVENT_TYPES) - {"apply"})
"""The commands on an existing grant."""

# DESIGN.md "The state machine": the commands each waiting state takes (and, while
# the grant runs, the Department's technical assistance, Section 90, and payments).
COMMANDS_IN: Mapping[State, list[str]] = {
    State.APPLIED: ["review", "approve", "deny", "withdraw"],
    State.APPROVED: [
        "confirm_notice",
        "accept",
        "decline",
        "withdraw",
        "record_technical_assistance",
    ],
    State.ACCEPTED: ["begin_transition", "terminate", "record_technical_assistance", "disburse"],
    State.TRANSITIONING: ["evaluate", "terminate", "record_technical_assistance", "disburse"],
}

FINAL = frozenset(
    {
        State.CLOSED,
        State.DENIED,
        State.WITHDRAWN,
        State.DECLINED,
        State.FORFEITED,
        State.TERMINATED,
    }
)

# Half the time an allowed actor, so that lifecycles get far; else anyone.
who = st.one_of(
    st.just(ALLOWED),
    st.sampled_from([OWNER, OTHER_EMPLOYER, *(r.value for r in BY_ROLE)]),
)
reasons = st.sampled_from(["documented cause", "documented cause", "", "   "])
elapsed = st.one_of(
    st.integers(1, 59),
    st.integers(60, 3_600),
    st.integers(3_600, 3 * 86_400),
    st.integers(47 * 3_600, 49 * 3_600),
)


def stdlib_utc(instant: dt.datetime) -> dt.datetime:
    """The same instant as a plain stdlib datetime in UTC (arithmetic independent of
    the code under test)."""
    u = instant.astimezone(dt.UTC)
    return dt.datetime(
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=dt.UTC
    )


def employer_actor(employer_id: str) -> Actor:
    return Actor(f"staff-{employer_id}", Role.EMPLOYER, employer_id=employer_id)


class RandomCommands(RuleBasedStateMachine):
    """One Program, a few employers and grants, random commands by random actors."""

    grants = Bundle("grants")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.program = Program(clock=self.clock)
        for employer_id in EMPLOYERS:
            self.program.register_employer(
                sample_employer(employer_id, at=self.clock.now()), DEPARTMENT
            )
        self.program.open_cycle(1, DIRECTOR, appropriation="10000000.00")
        self.known: set[str] = set()
        self.frozen: dict[str, tuple[State, int]] = {}
        self.turn = 0

    # -- helpers -----------------------------------------------------------------------

    def actor(self, kind: str, command: str, employer_id: str) -> Actor:
        """The actor ``kind`` names, for ``command`` on a grant of ``employer_id``."""
        if kind == ALLOWED:
            roles = ALLOWED_ROLES[command]
            if Role.EMPLOYER in roles:
                return employer_actor(employer_id)
            return BY_ROLE[min(roles)]
        if kind == OWNER:
            return employer_actor(employer_id)
        if kind == OTHER_EMPLOYER:
            other = next(e for e in (*EMPLOYERS, UNREGISTERED) if e != employer_id)
            return employer_actor(other)
        return BY_ROLE[Role(kind)]

    def employer_of(self, grant_id: str) -> str:
        return self.program.grant(grant_id).employer_id

    def log_size(self) -> int:
        return sum(1 for _ in self.program.store.all_events())

    def attempt(
        self,
        command: str,
        grant_id: str,
        actor: Actor,
        may: Callable[[], tuple[Problem, ...]] | None,
        run: Callable[[], Grant],
    ) -> Grant | None:
        """Run ``may`` then the command; check that they agree, that a refusal wrote
        nothing but its logged attempt and that a success wrote exactly its event."""
        before = self.program.grant(grant_id) if grant_id in self.known else None
        log_before = self.log_size()
        security_before = len(self.program.events(SECURITY_STREAM))
        verdict: tuple[Problem, ...] | type[ChoiceWorkflowError] | None = None
        if may is not None:
            try:
                verdict = may()
            except ChoiceWorkflowError as exc:
                verdict = type(exc)
        failure: ChoiceWorkflowError | None = None
        try:
            result = run()
        except ChoiceWorkflowError as exc:
            failure = exc
        event(f"{command}: {'done' if failure is None else type(failure).__name__}")
        if failure is not None:
            if isinstance(verdict, type):
                assert verdict is type(failure)
            elif verdict is not None:
                assert () != verdict, (
                    f"may_{command} found nothing, yet {command} raised {failure!r}"
                )
            logged = 1 if isinstance(failure, NotPermitted) else 0
            assert logged == len(self.program.events(SECURITY_STREAM)) - security_before
            assert logged == self.log_size() - log_before
            if before is not None:
                assert before == self.program.grant(grant_id)
            return None
        assert () == verdict or verdict is None, f"{command} succeeded despite {verdict!r}"
        assert actor.role in ALLOWED_ROLES[command], f"{actor} may not {command}"
        if actor.role is Role.EMPLOYER:
            assert actor.employer_id == result.employer_id
        new = list(self.program.store.all_events())[log_before:]
        own = [e for e in new if e.stream_id == grant_id]
        assert 1 == len(own)
        # Besides its event, only what a return of funds leads to (15(j)), in its
        # transaction and under its command id: a referral, or the note that nobody was.
        follow = [e for e in new if e.stream_id != grant_id]
        assert all(e.type in (EventType.REFERRED, EventType.FUNDS_RETURNED) for e in follow)
        assert all(e.command_id.startswith(own[0].command_id) for e in follow)
        assert not follow or result.state.is_final
        last = self.program.events(grant_id)[-1]
        assert (EVENT_TYPES[command], actor.id, result.version) == (
            last.type,
            last.actor_id,
            last.version,
        )
        assert (1 if before is None else before.version + 1) == result.version
        assert result == self.program.grant(grant_id)
        return result

    # -- commands ----------------------------------------------------------------------

    @initialize(target=grants, employer_id=st.sampled_from(EMPLOYERS))
    def first_application(self, employer_id: str) -> Any:
        return self.apply("G1", employer_id, ALLOWED)

    @initialize(target=grants, employer_id=st.sampled_from(EMPLOYERS))
    def second_application(self, employer_id: str) -> Any:
        return self.apply("G2", employer_id, ALLOWED)

    def run_with_defaults(self, command: str, grant_id: str, kind: str) -> None:
        """Run ``command`` through its rule, with inputs it accepts."""
        if command == "review":
            self.review(grant_id, kind, "complete")
        elif command in ("deny", "withdraw", "decline", "terminate"):
            getattr(self, command)(grant_id, kind, "documented cause")
        elif command == "approve":
            self.approve(grant_id, kind, "25000.00")
        elif command == "confirm_notice":
            self.confirm_notice(grant_id, kind, "email", "now", 1)
        elif command == "accept":
            self.accept(grant_id, kind)
        elif command == "begin_transition":
            self.begin_transition(grant_id, kind, "now", 1)
        elif command == "record_technical_assistance":
            self.record_technical_assistance(grant_id, kind, "job coaching")
        elif command == "disburse":
            self.disburse(grant_id, kind)
        else:
            self.evaluate(grant_id, kind, {"wages": "all at the minimum wage"})

    def next_step(self, grant_id: str) -> None:
        """The command that moves the grant on, by an allowed actor."""
        grant = self.program.grant(grant_id)
        if grant.state is State.APPLIED:
            self.run_with_defaults("approve", grant_id, ALLOWED)
        elif grant.state is State.APPROVED and grant.notice_us is None:
            self.run_with_defaults("confirm_notice", grant_id, ALLOWED)
        elif grant.state is State.APPROVED:
            self.run_with_defaults("accept", grant_id, ALLOWED)
        elif grant.state is State.ACCEPTED:
            self.run_with_defaults("begin_transition", grant_id, ALLOWED)
        elif grant.state is State.TRANSITIONING:
            self.run_with_defaults("evaluate", grant_id, ALLOWED)

    @rule()
    def the_next_grant_moves_on(self) -> None:
        """Round robin over the live grants, one happy step each time (and a new
        application while fewer than two are live): random commands alone seldom reach
        the late states. Hypothesis draws argument-free rules often, so this one keeps
        the program busy."""
        live = sorted(g for g in self.known if self.program.grant(g).state not in FINAL)
        unused = [g for g in GRANT_IDS if g not in self.known]
        if len(live) < 2 and unused:
            self.apply(unused[0], EMPLOYERS[len(self.known) % len(EMPLOYERS)], ALLOWED)
        elif live:
            self.turn += 1
            self.next_step(live[self.turn % len(live)])

    @rule(grant_id=grants, steps=st.integers(1, 5))
    def next_steps_of_the_happy_path(self, grant_id: str, steps: int) -> None:
        """Up to ``steps`` commands that move the grant on, by allowed actors."""
        for _ in range(steps):
            self.next_step(grant_id)

    @rule(grant_id=grants, data=st.data())
    def everyone_tries(self, grant_id: str, data: st.DataObject) -> None:
        """Every actor DESIGN.md does not allow tries every command the grant's state
        takes (any command for a final grant), with inputs it accepts: all are refused.
        Then an allowed actor runs one of them."""
        grant = self.program.grant(grant_id)
        commands = COMMANDS_IN.get(grant.state, COMMANDS)
        kinds = [OTHER_EMPLOYER, OWNER, *(r.value for r in BY_ROLE)]
        for command in commands:
            for kind in kinds:
                actor = self.actor(kind, command, grant.employer_id)
                allowed = actor.role in ALLOWED_ROLES[command] and (
                    actor.role is not Role.EMPLOYER or actor.employer_id == grant.employer_id
                )
                if not allowed:
                    self.run_with_defaults(command, grant_id, kind)
        assert grant == self.program.grant(grant_id)
        self.run_with_defaults(data.draw(st.sampled_from(commands)), grant_id, ALLOWED)

    @rule(
        target=grants,
        grant_id=st.sampled_from(GRANT_IDS),
        employer_id=st.sampled_from([*EMPLOYERS, *EMPLOYERS, UNREGISTERED]),
        kind=who,
    )
    def apply(self, grant_id: str, employer_id: str, kind: str) -> Any:
        actor = self.actor(kind, "apply", employer_id)
        application = sample_application(employer_id, at=self.clock.now())
        result = self.attempt(
            "apply",
            grant_id,
            actor,
            None,
            lambda: self.program.apply(application, actor, grant_id=grant_id),
        )
        if result is None:
            return multiple()
        assert (State.APPLIED, employer_id) == (result.state, result.employer_id)
        self.known.add(grant_id)
        return grant_id

    @rule(grant_id=grants, kind=who, notes=st.sampled_from(["", "complete"]))
    def review(self, grant_id: str, kind: str, notes: str) -> None:
        actor = self.actor(kind, "review", self.employer_of(grant_id))
        self.attempt(
            "review",
            grant_id,
            actor,
            lambda: self.program.may_review(grant_id, actor),
            lambda: self.program.review(grant_id, actor, notes=notes),
        )

    @rule(grant_id=grants, kind=who, reason=reasons)
    def deny(self, grant_id: str, kind: str, reason: str) -> None:
        actor = self.actor(kind, "deny", self.employer_of(grant_id))
        self.attempt(
            "deny",
            grant_id,
            actor,
            lambda: self.program.may_deny(grant_id, actor, reason=reason),
            lambda: self.program.deny(grant_id, actor, reason=reason),
        )

    @rule(grant_id=grants, kind=who, reason=reasons)
    def withdraw(self, grant_id: str, kind: str, reason: str) -> None:
        actor = self.actor(kind, "withdraw", self.employer_of(grant_id))
        self.attempt(
            "withdraw",
            grant_id,
            actor,
            lambda: self.program.may_withdraw(grant_id, actor),
            lambda: self.program.withdraw(grant_id, actor, reason=reason),
        )

    @rule(
        grant_id=grants,
        kind=who,
        amount=st.sampled_from(["25000.00", "10000.00", "50000.00", "9999.99", "50000.01"]),
    )
    def approve(self, grant_id: str, kind: str, amount: str) -> None:
        actor = self.actor(kind, "approve", self.employer_of(grant_id))
        result = self.attempt(
            "approve",
            grant_id,
            actor,
            lambda: self.program.may_approve(grant_id, amount, actor),
            lambda: self.program.approve(grant_id, amount, actor),
        )
        if result is not None:
            assert (State.APPROVED, to_us(self.clock.now()), None) == (
                result.state,
                result.approved_us,
                result.accept_by_us,
            )

    @rule(
        grant_id=grants,
        kind=who,
        channel=st.sampled_from(["email", "address_of_record", "fax"]),
        when=st.sampled_from(["now", "earlier", "at approval", "later"]),
        seconds=elapsed,
    )
    def confirm_notice(
        self, grant_id: str, kind: str, channel: str, when: str, seconds: int
    ) -> None:
        actor = self.actor(kind, "confirm_notice", self.employer_of(grant_id))
        now = self.clock.now()
        approved_at = self.program.grant(grant_id).approved_at
        confirmed_at = {
            "now": now,
            "earlier": now - dt.timedelta(seconds=seconds),
            "at approval": approved_at or now,
            "later": now + dt.timedelta(seconds=seconds),
        }[when]
        result = self.attempt(
            "confirm_notice",
            grant_id,
            actor,
            lambda: self.program.may_confirm_notice(
                grant_id, actor, channel=channel, confirmed_at=confirmed_at
            ),
            lambda: self.program.confirm_notice(
                grant_id, actor, channel=channel, confirmed_at=confirmed_at
            ),
        )
        if result is not None and result.accepted_us is not None:
            # Confirmed after the acceptance: no acceptance window is left to open.
            assert result.accept_by is None or result.accept_by <= confirmed_at
        elif result is not None:
            # 15(j): exactly 48 elapsed hours after the confirmed notice (stdlib arithmetic).
            expected = stdlib_utc(confirmed_at) + dt.timedelta(hours=48)
            assert expected == result.accept_by

    @rule(grant_id=grants, kind=who)
    def accept(self, grant_id: str, kind: str) -> None:
        actor = self.actor(kind, "accept", self.employer_of(grant_id))
        result = self.attempt(
            "accept",
            grant_id,
            actor,
            lambda: self.program.may_accept(grant_id, actor),
            lambda: self.program.accept(grant_id, actor),
        )
        if result is not None and result.accept_by is not None:
            assert self.clock.now() <= result.accept_by

    @rule(grant_id=grants, kind=who, reason=reasons)
    def decline(self, grant_id: str, kind: str, reason: str) -> None:
        actor = self.actor(kind, "decline", self.employer_of(grant_id))
        self.attempt(
            "decline",
            grant_id,
            actor,
            lambda: self.program.may_decline(grant_id, actor),
            lambda: self.program.decline(grant_id, actor, reason=reason),
        )

    @rule(
        grant_id=grants,
        kind=who,
        when=st.sampled_from(["now", "earlier", "later"]),
        seconds=elapsed,
    )
    def begin_transition(self, grant_id: str, kind: str, when: str, seconds: int) -> None:
        actor = self.actor(kind, "begin_transition", self.employer_of(grant_id))
        now = self.clock.now()
        started_at = {
            "now": now,
            "earlier": now - dt.timedelta(seconds=seconds),
            "later": now + dt.timedelta(seconds=seconds),
        }[when]
        self.attempt(
            "begin_transition",
            grant_id,
            actor,
            lambda: self.program.may_begin_transition(grant_id, actor, started_at=started_at),
            lambda: self.program.begin_transition(grant_id, actor, started_at=started_at),
        )

    @rule(grant_id=grants, kind=who, description=st.sampled_from(["job coaching", ""]))
    def record_technical_assistance(self, grant_id: str, kind: str, description: str) -> None:
        actor = self.actor(kind, "record_technical_assistance", self.employer_of(grant_id))
        self.attempt(
            "record_technical_assistance",
            grant_id,
            actor,
            lambda: self.program.may_record_technical_assistance(
                grant_id, actor, description=description
            ),
            lambda: self.program.record_technical_assistance(
                grant_id, actor, description=description
            ),
        )

    @rule(grant_id=grants, kind=who, reason=reasons)
    def terminate(self, grant_id: str, kind: str, reason: str) -> None:
        actor = self.actor(kind, "terminate", self.employer_of(grant_id))
        self.attempt(
            "terminate",
            grant_id,
            actor,
            lambda: self.program.may_terminate(grant_id, actor, reason=reason),
            lambda: self.program.terminate(grant_id, actor, reason=reason),
        )

    @rule(
        grant_id=grants,
        kind=who,
        evaluation=st.sampled_from(
            [{"wages": "all at the minimum wage", "compliance": "no action"}, {}]
        ),
    )
    def evaluate(self, grant_id: str, kind: str, evaluation: dict[str, str]) -> None:
        actor = self.actor(kind, "evaluate", self.employer_of(grant_id))

        def may() -> tuple[Problem, ...]:
            return self.program.may_evaluate(grant_id, actor, evaluation=evaluation)

        self.attempt(
            "evaluate",
            grant_id,
            actor,
            may,
            lambda: self.program.evaluate(grant_id, actor, evaluation=evaluation),
        )

    @rule(grant_id=grants, kind=who)
    def disburse(self, grant_id: str, kind: str) -> None:
        actor = self.actor(kind, "disburse", self.employer_of(grant_id))
        self.attempt(
            "disburse",
            grant_id,
            actor,
            lambda: self.program.may_disburse(grant_id, actor),
            lambda: self.program.disburse(grant_id, actor),
        )

    @rule(
        command=st.sampled_from(COMMANDS),
        kind=who,
    )
    def command_on_an_unknown_grant(self, command: str, kind: str) -> None:
        actor = self.actor(kind, command, "E1")
        runs: dict[str, Callable[[], object]] = {
            "review": lambda: self.program.review("G-none", actor),
            "deny": lambda: self.program.deny("G-none", actor, reason="x"),
            "withdraw": lambda: self.program.withdraw("G-none", actor),
            "approve": lambda: self.program.approve("G-none", "25000.00", actor),
            "confirm_notice": lambda: self.program.confirm_notice(
                "G-none", actor, channel="email", confirmed_at=self.clock.now()
            ),
            "accept": lambda: self.program.accept("G-none", actor),
            "decline": lambda: self.program.decline("G-none", actor),
            "begin_transition": lambda: self.program.begin_transition(
                "G-none", actor, started_at=self.clock.now()
            ),
            "record_technical_assistance": lambda: self.program.record_technical_assistance(
                "G-none", actor, description="x"
            ),
            "terminate": lambda: self.program.terminate("G-none", actor, reason="x"),
            "evaluate": lambda: self.program.evaluate("G-none", actor, evaluation={"a": "b"}),
            "disburse": lambda: self.program.disburse("G-none", actor),
        }
        log_before = self.log_size()
        if actor.role not in GRANT_LIFECYCLE.by_trigger[command].roles:
            # A role the command never allows learns nothing of the grant: refused, logged.
            with pytest.raises(NotPermitted):
                runs[command]()
            assert log_before + 1 == self.log_size()
            return
        with pytest.raises(UnknownGrant):
            runs[command]()
        assert log_before == self.log_size()

    @rule(kind=who)
    def sweep(self, kind: str) -> None:
        actor = self.actor(kind, "sweep", "E1")
        now = self.clock.now()
        approved = self.program.grants(State.APPROVED)
        # 15(j): the window is closed one microsecond after accept_by, not at it.
        lapsed = {g.id for g in approved if g.accept_by is not None and g.accept_by < now}
        assert lapsed == {gid for gid in self.known if () == self.program.may_forfeit(gid)}
        if actor.role is not Role.SYSTEM:
            # Another role's sweep is refused whether or not anything is due.
            with pytest.raises(NotPermitted):
                self.program.sweep(actor)
            assert lapsed == {g.id for g in self.program.grants(State.APPROVED)} & lapsed
            return
        forfeited = self.program.sweep(actor)
        event(f"sweep: {len(forfeited)} forfeited")
        assert lapsed == {g.id for g in forfeited}
        for grant in forfeited:
            assert State.FORFEITED == grant.state
            assert "Forfeited" == self.program.events(grant.id)[-1].type
        assert [] == self.program.sweep(actor), "a second sweep forfeits nothing"

    @rule(hours=st.integers(0, 96))
    def deadlines_due(self, hours: int) -> None:
        before = self.clock.now() + dt.timedelta(hours=hours)
        expected = sorted(
            (
                (g.accept_by, g.id)
                for g in self.program.grants(State.APPROVED)
                if g.accept_by is not None and g.accept_by < before
            ),
        )
        actual = [(deadline, g.id) for g, deadline in self.program.deadlines_due(before)]
        assert expected == actual

    # -- time --------------------------------------------------------------------------

    @rule(seconds=elapsed, microseconds=st.integers(0, 999_999))
    def time_passes(self, seconds: int, microseconds: int) -> None:
        before = self.clock.now()
        after = self.clock.advance(seconds=seconds, microseconds=microseconds)
        assert dt.timedelta(seconds=seconds, microseconds=microseconds) == after - before

    @rule(
        grant_id=grants,
        offset=st.sampled_from([0, 1]),
        then=st.sampled_from(["accept", "sweep"]),
    )
    def time_reaches_the_acceptance_deadline(self, grant_id: str, offset: int, then: str) -> None:
        """Move to exactly accept_by, or one microsecond after it (approving and
        confirming the notice first where the grant is still applied), then the
        grantee accepts or the system sweeps: 15(j) at its boundary."""
        grant = self.program.grant(grant_id)
        if grant.state is State.APPLIED:
            self.run_with_defaults("approve", grant_id, ALLOWED)
        if self.program.grant(grant_id).notice_us is None:
            self.run_with_defaults("confirm_notice", grant_id, ALLOWED)
        accept_by = self.program.grant(grant_id).accept_by
        if accept_by is None:
            return
        target = accept_by + dt.timedelta(microseconds=offset)
        if target < self.clock.now():
            return
        self.clock.move_to(target)
        event(f"time: accept_by + {offset} us, then {then}")
        waiting = State.APPROVED is self.program.grant(grant_id).state
        if then == "accept":
            self.accept(grant_id, ALLOWED)
        else:
            self.sweep(ALLOWED)
        if waiting:
            # 15(j): accepting at exactly accept_by is in time; one microsecond later the
            # approval is forfeited.
            expected = {
                ("accept", 0): State.ACCEPTED,
                ("accept", 1): State.APPROVED,
                ("sweep", 0): State.APPROVED,
                ("sweep", 1): State.FORFEITED,
            }[then, offset]
            assert expected == self.program.grant(grant_id).state

    # -- invariants --------------------------------------------------------------------

    @invariant()
    def each_projection_equals_the_fold_of_its_events(self) -> None:
        for grant_id in self.known:
            assert fold_grant(self.program.events(grant_id)) == self.program.grant(grant_id)

    @invariant()
    def a_final_grant_never_changes_again(self) -> None:
        for grant_id in self.known:
            grant = self.program.grant(grant_id)
            if grant_id in self.frozen:
                assert self.frozen[grant_id] == (grant.state, grant.version)
            elif grant.state in FINAL:
                assert grant.ended_at is not None
                self.frozen[grant_id] = (grant.state, grant.version)

    @invariant()
    def at_most_one_grant_per_employer_was_ever_approved(self) -> None:
        grants = [self.program.grant(g) for g in self.known]
        approved = Counter(g.employer_id for g in grants if g.approved_us is not None)
        approvals = Counter(
            g.employer_id for g in grants for e in self.program.events(g.id) if "Approved" == e.type
        )
        assert approved == approvals
        assert all(1 >= n for n in approvals.values()), approvals

    @invariant()
    def no_acceptance_was_recorded_after_its_deadline(self) -> None:
        for grant_id in self.known:
            grant = self.program.grant(grant_id)
            accepted: list[Event] = [
                e for e in self.program.events(grant_id) if "Accepted" == e.type
            ]
            assert len(accepted) <= 1
            for acceptance in accepted:
                assert to_us(acceptance.recorded_at) == grant.accepted_us
                if grant.accept_by is None:
                    assert acceptance.payload["accept_by"] is None
                    continue
                assert format_instant(grant.accept_by) == acceptance.payload["accept_by"]
                assert acceptance.recorded_at <= grant.accept_by

    @invariant()
    def stream_versions_run_from_one_without_gaps(self) -> None:
        for grant_id in self.known:
            versions = [e.version for e in self.program.events(grant_id)]
            assert list(range(1, len(versions) + 1)) == versions


@pytest.mark.cite("15(j)")
@pytest.mark.cite("15(g)", "10(3)")
class TestRandomCommandsByAnyone(RandomCommands.TestCase):  # type: ignore[valid-type,misc]  # hypothesis builds TestCase at run time
    """The state machine as a test (a class, so that scripts/traceability.py sees it)."""

    def test_keep_every_lifecycle_invariant(self) -> None:
        self.runTest()


TestRandomCommandsByAnyone.settings = settings(stateful_step_count=50)


# -- examples: refusals that once disagreed with their may_<command>() -----------------


@pytest.fixture(name="transitioning")
def fixture_transitioning() -> tuple[Program, str]:
    """A Program with grant G1 of E1 in the transitioning state."""
    clock = ManualClock(START)
    program = Program(clock=clock)
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    program.open_cycle(1, DIRECTOR, appropriation="10000000.00")
    owner = employer_actor("E1")
    program.apply(sample_application("E1", at=clock.now()), owner, grant_id="G1")
    program.approve("G1", "25000.00", DIRECTOR)
    program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=clock.now())
    program.accept("G1", owner)
    program.begin_transition("G1", owner, started_at=clock.now())
    return program, "G1"


@pytest.mark.cite("20(a)(1)")
def test_an_empty_evaluation_is_refused_by_evaluate_and_by_may_evaluate(
    transitioning: tuple[Program, str],
) -> None:
    program, grant_id = transitioning
    problems = program.may_evaluate(grant_id, EVALUATOR, evaluation={})
    with pytest.raises(TransitionRefused) as refused:
        program.evaluate(grant_id, EVALUATOR, evaluation={})
    assert ("20(a)(1)", "20(a)(2)") == refused.value.cites
    assert refused.value.problems == problems


@pytest.mark.cite("15(j)")
def test_a_sweep_by_another_role_is_refused_and_logged_even_when_nothing_is_due() -> None:
    program = Program(clock=ManualClock(START))
    with pytest.raises(NotPermitted):
        program.sweep(AUDITOR)
    assert [("auditor", "sweep")] == [
        (e.actor_id, e.payload["command"]) for e in program.events(SECURITY_STREAM)
    ]


@pytest.mark.cite("15(i)")
def test_a_grant_accepted_before_its_notice_is_confirmed_can_still_begin_its_transition() -> None:
    clock = ManualClock(START)
    program = Program(clock=clock)
    program.open_cycle(1, DIRECTOR, appropriation="1000000.00")
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    owner = employer_actor("E1")
    program.apply(sample_application("E1", at=clock.now()), owner, grant_id="G1")
    program.approve("G1", "25000.00", DIRECTOR)
    try:
        program.accept("G1", owner)
    except TransitionRefused:
        return  # refusing the early acceptance is one way to keep the lifecycle whole
    now = clock.now()
    ways_on = (
        program.may_confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=now),
        program.may_begin_transition("G1", owner, started_at=now),
    )
    assert () in ways_on


def test_a_role_that_may_never_apply_is_refused_and_logged_whatever_the_employer() -> None:
    program = Program(clock=ManualClock(START))
    with pytest.raises(NotPermitted):
        program.apply(sample_application("E9", at=START), AUDITOR, grant_id="G9")
    assert [("auditor", "apply")] == [
        (e.actor_id, e.payload["command"]) for e in program.events(SECURITY_STREAM)
    ]
