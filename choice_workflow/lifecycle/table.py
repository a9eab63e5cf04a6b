"""The one transition table of a grant, validated when it is built.

The live machine (:mod:`choice_workflow.lifecycle.machine`), the fold and replay, the
diagram and the docs all read :data:`GRANT_LIFECYCLE`; a new state or trigger is one
edit here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs
import pendulum

from choice_workflow.domain.actors import Role
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.errors import Problem, TableError
from choice_workflow.events import EventType
from choice_workflow.lifecycle import guards as g
from choice_workflow.lifecycle import guards_award as ga
from choice_workflow.lifecycle.context import Context
from choice_workflow.rules import Rules

Guard = Callable[[Grant | None, Any, Context, Rules, pendulum.DateTime], Iterable[Problem]]
"""A pure predicate of (grant, typed command, context, rules, instant): returns the
refusals (none when the command may go ahead)."""


@attrs.frozen
class Transition:
    """One row: ``trigger`` moves a grant from any of ``sources`` to ``dest``.

    ``dest`` None keeps the state (``review``, ``confirm_notice``); only such a row may
    name final states among its sources (a correction, a repayment, a retention hold:
    records of a grant that is over). ``sources`` empty marks the trigger that creates a
    grant (``apply``). ``own_only``: an employer actor may run it on its own grants only.
    """

    trigger: str
    sources: frozenset[State]
    dest: State | None
    event_type: str
    roles: frozenset[Role]
    cites: tuple[str, ...]
    guards: tuple[Guard, ...] = ()
    own_only: bool = True
    description: str = ""


@attrs.frozen
class Wait:
    """What a grant waits for in a non-final state: a deadline, or none and why."""

    state: State
    deadline: str | None = None
    none_reason: str | None = None
    cites: tuple[str, ...] = ()


@attrs.frozen
class TransitionTable:
    """The validated table with plain lookups compiled from it."""

    states: tuple[State, ...]
    initial: State
    transitions: tuple[Transition, ...]
    waits: tuple[Wait, ...]
    by_trigger: Mapping[str, Transition] = attrs.field(init=False)
    by_event_type: Mapping[str, Transition] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        _validate(self)
        object.__setattr__(
            self, "by_trigger", MappingProxyType({t.trigger: t for t in self.transitions})
        )
        object.__setattr__(
            self, "by_event_type", MappingProxyType({t.event_type: t for t in self.transitions})
        )

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger, in table order."""
        return tuple(t.trigger for t in self.transitions)

    def wait(self, state: State) -> Wait | None:
        """The wait declaration of ``state`` (None for final states)."""
        return next((w for w in self.waits if w.state is state), None)


def _validate(table: TransitionTable) -> None:
    known = set(table.states)
    triggers = [t.trigger for t in table.transitions]
    for dup in {t for t in triggers if triggers.count(t) > 1}:
        raise TableError(reason=f"trigger {dup!r} appears twice")
    events = [t.event_type for t in table.transitions]
    for dup in {e for e in events if events.count(e) > 1}:
        raise TableError(reason=f"event type {dup!r} is used by two triggers")
    if table.initial not in known:
        raise TableError(reason=f"initial state {table.initial.value!r} is not among the states")
    for t in table.transitions:
        for s in [*t.sources, *([t.dest] if t.dest else [])]:
            if s not in known:
                raise TableError(reason=f"trigger {t.trigger!r} names unknown state {s.value!r}")
        if not t.roles:
            raise TableError(reason=f"trigger {t.trigger!r} allows no role")
        if not t.sources and t.dest is not table.initial:
            raise TableError(
                reason=f"creating trigger {t.trigger!r} must lead to {table.initial.value!r}"
            )
        for s in t.sources:
            if s.is_final and t.dest is not None:
                raise TableError(reason=f"final state {s.value!r} is left by {t.trigger!r}")
    reached = {table.initial}
    todo = deque([table.initial])
    while todo:
        here = todo.popleft()
        for t in table.transitions:
            if here in t.sources and t.dest is not None and t.dest not in reached:
                reached.add(t.dest)
                todo.append(t.dest)
    for s in table.states:
        if s not in reached:
            raise TableError(
                reason=f"state {s.value!r} is unreachable from {table.initial.value!r}"
            )
    waits = {w.state: w for w in table.waits}
    for s in table.states:
        if s.is_final:
            continue
        exits = [t for t in table.transitions if s in t.sources and t.dest not in (None, s)]
        if not exits:
            raise TableError(reason=f"non-final state {s.value!r} has no exit")
        w = waits.get(s)
        if w is None or (w.deadline is None and not w.none_reason):
            raise TableError(
                reason=f"waiting state {s.value!r} declares neither a deadline nor 'no deadline' with its reason"
            )


_EMPLOYER = frozenset({Role.EMPLOYER})
_ANY_STATE = frozenset(State)
_HOLDING = frozenset({State.ACCEPTED, State.TRANSITIONING, State.EVALUATED})
"""The states of a grantee that holds its grant and reports on it."""

GRANT_LIFECYCLE = TransitionTable(
    states=tuple(State),
    initial=State.APPLIED,
    transitions=(
        Transition(
            "apply",
            frozenset(),
            State.APPLIED,
            EventType.APPLIED,
            _EMPLOYER,
            ("15(b)",),
            (g.applications_open, g.application_complete),
            description="An eligible employer applies (15(b)).",
        ),
        Transition(
            "review",
            frozenset({State.APPLIED}),
            None,
            EventType.REVIEWED,
            frozenset({Role.DEPARTMENT}),
            ("15(b)",),
            (),
            description="The Department records its review; the state stays.",
        ),
        Transition(
            "amend",
            frozenset({State.APPLIED}),
            None,
            EventType.AMENDED,
            _EMPLOYER,
            ("15(b)",),
            (ga.reason_given, ga.amendment_valid, g.application_complete),
            description="The employer amends its application while it is still applied: "
            "the changed fields and the reason, never an edit.",
        ),
        Transition(
            "deny",
            frozenset({State.APPLIED}),
            State.DENIED,
            EventType.DENIED,
            frozenset({Role.DEPARTMENT, Role.DIRECTOR}),
            ('10 "Eligible employer"', "15(b)"),
            (ga.reason_given,),
            description="The application is denied, with its reason.",
        ),
        Transition(
            "withdraw",
            frozenset({State.APPLIED, State.APPROVED}),
            State.WITHDRAWN,
            EventType.WITHDRAWN,
            _EMPLOYER,
            ("15(j)",),
            (),
            description="The employer withdraws its application or approved grant.",
        ),
        Transition(
            "approve",
            frozenset({State.APPLIED}),
            State.APPROVED,
            EventType.APPROVED,
            frozenset({Role.DIRECTOR, Role.SYSTEM}),
            ("15(a)", "15(h)", "15(f)", "15(g)", "10(3)"),
            (
                g.system_approves_referrals_only,
                g.separation_of_duties,
                g.dual_authorization,
                g.award_date_reached,
                g.cycle_timing,
                g.amount_within_bounds,
                g.funds_available,
                g.one_grant_per_employer,
                g.employer_eligible,
                g.application_complete,
            ),
            description="The Director approves an amount (15(a), 15(h)); with the Rules' "
            "automatic reading, the system approves the next applicant (15(j)).",
        ),
        Transition(
            "endorse",
            frozenset({State.APPLIED}),
            None,
            EventType.ENDORSED,
            frozenset({Role.DIRECTOR}),
            ("15(a)", "15(h)"),
            (g.amount_within_bounds,),
            own_only=False,
            description="A first Director endorses the amount of an approval that needs "
            "dual authorization (Rules.dual_authorization_above).",
        ),
        Transition(
            "refer",
            frozenset({State.APPLIED}),
            None,
            EventType.REFERRED,
            frozenset({Role.SYSTEM}),
            ("15(j)",),
            (),
            own_only=False,
            description="Returned funds put the next waitlisted application before the "
            "Director (15(j)); the state stays.",
        ),
        Transition(
            "confirm_notice",
            frozenset({State.APPROVED, State.ACCEPTED}),
            None,
            EventType.NOTICE_CONFIRMED,
            frozenset({Role.DEPARTMENT}),
            ("15(i)", "15(j)"),
            (ga.notice_not_yet_confirmed, ga.confirmation_plausible),
            description="The notice of approval is confirmed by address of record or email; "
            "the 48-hour window starts (15(i), 15(j)).",
        ),
        Transition(
            "send_notice",
            frozenset({State.APPROVED, State.ACCEPTED}),
            None,
            EventType.NOTICE_SENT,
            frozenset({Role.DEPARTMENT}),
            ("15(i)",),
            (ga.notice_channel_known,),
            description="The Department sends the notice of award to the employer's address "
            "of record or email in force at that moment (15(i)).",
        ),
        Transition(
            "accept",
            frozenset({State.APPROVED}),
            State.ACCEPTED,
            EventType.ACCEPTED,
            _EMPLOYER,
            ("15(j)",),
            (ga.within_acceptance_window,),
            description="The grantee accepts within 48 hours (15(j)).",
        ),
        Transition(
            "decline",
            frozenset({State.APPROVED}),
            State.DECLINED,
            EventType.DECLINED,
            _EMPLOYER,
            ("15(j)",),
            (),
            description="The grantee declines; the grant returns for the next applicant (15(j)).",
        ),
        Transition(
            "forfeit",
            frozenset({State.APPROVED}),
            State.FORFEITED,
            EventType.FORFEITED,
            frozenset({Role.SYSTEM}),
            ("15(j)",),
            (ga.acceptance_window_passed,),
            own_only=False,
            description="The sweep forfeits an approval whose 48 hours have passed (15(j)).",
        ),
        Transition(
            "begin_transition",
            frozenset({State.ACCEPTED}),
            State.TRANSITIONING,
            EventType.TRANSITION_BEGUN,
            frozenset({Role.EMPLOYER, Role.DEPARTMENT}),
            ("15(i)",),
            (ga.notice_confirmed, ga.transition_start_in_window),
            description="The grantee starts its transition to the minimum wage (15(i)).",
        ),
        Transition(
            "record_technical_assistance",
            frozenset({State.APPROVED, State.ACCEPTED, State.TRANSITIONING, State.EVALUATED}),
            None,
            EventType.TECHNICAL_ASSISTANCE,
            frozenset({Role.DEPARTMENT}),
            ("90",),
            (ga.description_given,),
            description="The Department records technical assistance (Section 90, MWL 5(b)).",
        ),
        Transition(
            "disburse",
            _HOLDING,
            None,
            EventType.DISBURSED,
            frozenset({Role.DEPARTMENT}),
            ("15(a)", "15(f)"),
            (g.disbursement_due,),
            own_only=False,
            description="The Department pays the next instalment of the schedule (15(f)).",
        ),
        Transition(
            "record_wages",
            frozenset({State.APPROVED, State.ACCEPTED, State.TRANSITIONING, State.EVALUATED}),
            None,
            EventType.WAGES_RECORDED,
            _EMPLOYER,
            ("15(l)", "15(a)(1)", "20(a)(1)"),
            (ga.records_not_in_the_future,),
            description="The grantee records dated hourly wages of pseudonymous employees.",
        ),
        Transition(
            "record_headcount",
            frozenset({State.APPROVED, State.ACCEPTED, State.TRANSITIONING, State.EVALUATED}),
            None,
            EventType.HEADCOUNT_RECORDED,
            _EMPLOYER,
            ("20(a)(1)",),
            (ga.records_not_in_the_future,),
            description="The grantee records a quarter's employment counts.",
        ),
        Transition(
            "record_performance",
            _HOLDING,
            None,
            EventType.PERFORMANCE_RECORDED,
            frozenset({Role.EVALUATOR}),
            ("15(c)",),
            (ga.records_not_in_the_future,),
            own_only=False,
            description="The evaluator records standard level work performance (15(c)).",
        ),
        Transition(
            "terminate",
            _HOLDING,
            State.TERMINATED,
            EventType.TERMINATED,
            frozenset({Role.DIRECTOR}),
            ("15(b)(11)(C)", "15(c)", "15(l)"),
            (ga.reason_given, ga.termination_cause, ga.repayment_ordered_within_paid),
            description="The Director terminates the grant for a false assurance "
            "(15(b)(11)(C)), for failing the standard level work performance (15(c)) or "
            "the wage floors (15(l)), or for other documented cause; the undisbursed amount "
            "returns to the cycle and an amount to repay is recorded as a receivable.",
        ),
        Transition(
            "record_repayment",
            frozenset({State.TERMINATED}),
            None,
            EventType.REPAYMENT_RECEIVED,
            frozenset({Role.DEPARTMENT}),
            ("15(a)",),
            (ga.repayment_within_outstanding,),
            own_only=False,
            description="The Department records a repayment of a terminated grant's "
            "receivable; it returns to the cycle's funds.",
        ),
        Transition(
            "evaluate",
            frozenset({State.TRANSITIONING}),
            State.EVALUATED,
            EventType.EVALUATED,
            frozenset({Role.EVALUATOR}),
            ("20(a)(1)", "20(a)(2)"),
            (ga.evaluation_given,),
            description="The evaluation of Section 20(a) is recorded.",
        ),
        Transition(
            "close_out",
            frozenset({State.TRANSITIONING, State.EVALUATED}),
            State.CLOSED,
            EventType.CLOSED_OUT,
            frozenset({Role.DEPARTMENT, Role.DIRECTOR}),
            ("15(f)", "20(a)(1)", "15(m)", "2 CFR 200.334"),
            (ga.closeout_complete,),
            own_only=False,
            description="At the end of the 3-year period (15(f)) the grant is closed out once "
            "its final disbursement, final wage report and evaluation are recorded; unspent "
            "funds return to the cycle; the retention period starts (2 CFR 200.334). "
            "The certificate is never revoked (15(m)).",
        ),
        Transition(
            "correct",
            _ANY_STATE,
            None,
            EventType.CORRECTED,
            frozenset({Role.EMPLOYER, Role.DEPARTMENT, Role.EVALUATOR}),
            ("20(a)(1)",),
            (ga.reason_given, ga.correction_valid),
            description="A recorded fact is corrected by a new event that references the "
            "event it corrects, with actor and reason; nothing is edited.",
        ),
        Transition(
            "place_hold",
            _ANY_STATE,
            None,
            EventType.HOLD_PLACED,
            frozenset({Role.DEPARTMENT, Role.DIRECTOR}),
            ("2 CFR 200.334",),
            (ga.reason_given, ga.hold_changes),
            own_only=False,
            description="A litigation or audit hold suspends the grant's record retention.",
        ),
        Transition(
            "release_hold",
            _ANY_STATE,
            None,
            EventType.HOLD_RELEASED,
            frozenset({Role.DEPARTMENT, Role.DIRECTOR}),
            ("2 CFR 200.334",),
            (ga.reason_given, ga.hold_changes),
            own_only=False,
            description="The hold ends; the retention period runs again.",
        ),
    ),
    waits=(
        Wait(
            State.APPLIED,
            none_reason="waits for the Department's review and the Director's decision; the Act sets no deadline",
        ),
        Wait(
            State.APPROVED,
            deadline="accept_by: 48 hours after the confirmed notice (15(j)); none before the notice is confirmed",
            cites=("15(j)", "15(i)"),
        ),
        Wait(
            State.ACCEPTED,
            none_reason="the transition starts when the grantee begins it; the Act sets no deadline",
        ),
        Wait(
            State.TRANSITIONING,
            none_reason="the evaluation follows the transition; the Act sets no deadline",
        ),
        Wait(
            State.EVALUATED,
            none_reason="closes out once the 3-year period (15(f)) has ended and the final "
            "disbursement and wage report are recorded; the Act sets no deadline",
            cites=("15(f)",),
        ),
    ),
)
"""The grant lifecycle of the Act (DESIGN.md "The state machine")."""
