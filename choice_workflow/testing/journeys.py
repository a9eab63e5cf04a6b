"""Scenario helpers to every later state of a grant, one call each: ``transitioning``,
``evaluated``, ``closed``, ``terminated`` and ``forfeited``, and :func:`grant_in` for
any state from an employer id.

Like the other helpers (:mod:`choice_workflow.testing.scenarios`), they run the public
commands an agency's code runs, in the Act's order and at the instants the Act allows:
instalments are paid as each falls due (15(f)), the final wage report and the
evaluation are recorded at the end of the grant period, then the close-out. They move
the program's :class:`~choice_workflow.time.clock.ManualClock` forward as they go.
"""

from __future__ import annotations

from decimal import Decimal

import pendulum

from choice_workflow.domain.cycle import instalment_due, period_start
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.domain.wage_records import WageRecord
from choice_workflow.errors import ScenarioError
from choice_workflow.service.program import Program
from choice_workflow.testing import scenarios
from choice_workflow.testing.scenarios import ACTORS, Actors
from choice_workflow.time.calendar import grant_period_end
from choice_workflow.time.instants import zone

__all__ = [
    "FINAL_HOURLY",
    "grant_in",
    "to_closed",
    "to_evaluated",
    "to_forfeited",
    "to_terminated",
    "to_transitioning",
]

FINAL_HOURLY = Decimal("20.00")
"""The hourly wage of the final wage report :func:`to_closed` records: above Illinois'
minimum wage at the end of any grant period of the Act."""


def _state(program: Program, grant_id: str, *wanted: State, helper: str) -> Grant:
    grant = program.grant(grant_id)
    if grant.state not in wanted:
        names = " or ".join(s.value for s in wanted)
        raise ScenarioError(
            reason=f"{helper} needs grant {grant_id} {names}, and it is {grant.state.value}",
            hint="Use grant_in(program, employer_id, state) to reach a state from the start.",
        )
    return grant


def to_transitioning(program: Program, grant_id: str, *, actors: Actors = ACTORS) -> Grant:
    """15(i): an accepted grant's transition to the minimum wage starts now."""
    grant = _state(program, grant_id, State.ACCEPTED, helper="to_transitioning")
    return program.begin_transition(
        grant_id, actors.employer(grant.employer_id), started_at=program.clock.now()
    )


def _period_start(program: Program, grant: Grant) -> pendulum.DateTime:
    start = period_start(grant, program.rules)
    if start is None:  # pragma: no cover - a transitioning grant was approved and accepted
        raise ScenarioError(reason=f"grant {grant.id} has no period start", hint="Accept it first.")
    return start


def _pay_every_instalment(program: Program, grant_id: str, actors: Actors) -> Grant:
    """15(f): each instalment on the day it falls due, the clock moved there."""
    clock = scenarios._manual_clock(program, "to_closed")
    grant = program.grant(grant_id)
    start = _period_start(program, grant)
    while grant.instalments < program.rules.disbursement_quarters:
        due = instalment_due(start, grant.instalments + 1, program.rules)
        if clock.now() < due:
            clock.move_to(due)
        grant = program.disburse(grant_id, actors.department)
    return grant


def to_evaluated(program: Program, grant_id: str, *, actors: Actors = ACTORS) -> Grant:
    """20(a): an accepted or transitioning grant evaluated now, from its audit trail (the
    transition begun first where it was not)."""
    grant = _state(program, grant_id, State.ACCEPTED, State.TRANSITIONING, helper="to_evaluated")
    if grant.state is State.ACCEPTED:
        to_transitioning(program, grant_id, actors=actors)
    return program.evaluate(grant_id, actors.evaluator)


def to_closed(program: Program, grant_id: str, *, actors: Actors = ACTORS) -> Grant:
    """15(f), 20(a): an accepted or transitioning grant taken to its close-out: every
    instalment paid as it falls due, the clock moved to the end of the grant period, a
    final wage report (one employee at :data:`FINAL_HOURLY`), the evaluation, the
    close-out with nothing unspent."""
    grant = _state(program, grant_id, State.ACCEPTED, State.TRANSITIONING, helper="to_closed")
    if grant.state is State.ACCEPTED:
        grant = to_transitioning(program, grant_id, actors=actors)
    grant = _pay_every_instalment(program, grant_id, actors)
    clock = scenarios._manual_clock(program, "to_closed")
    end = grant_period_end(_period_start(program, grant), program.rules)
    if clock.now() < end:
        clock.move_to(end)
    day = clock.now().in_timezone(zone(program.rules.timezone)).date()
    wage = WageRecord(
        employee_id="P-0001", paid_on=day, hourly=FINAL_HOURLY, has_disability=True,
        baseline_14c=Decimal("6.20"), customary_rate=FINAL_HOURLY, benefits_equal=True,
    )  # fmt: skip
    program.record_wages(grant_id, actors.employer(grant.employer_id), [wage], final=True)
    program.evaluate(grant_id, actors.evaluator)
    return program.close_out(grant_id, actors.department)


def to_terminated(
    program: Program, grant_id: str, *, reason: str = "documented cause", actors: Actors = ACTORS
) -> Grant:
    """The Director terminates an accepted or transitioning grant now, for other
    documented cause; the undisbursed amount returns to the cycle (15(j))."""
    _state(program, grant_id, State.ACCEPTED, State.TRANSITIONING, helper="to_terminated")
    return program.terminate(grant_id, actors.director, reason=reason)


def to_forfeited(program: Program, grant_id: str, *, actors: Actors = ACTORS) -> Grant:
    """15(j): an applied or approved grant's approval left to lapse: approved (at its
    request) and its notice confirmed where it was not, the clock moved past the 48
    hours, the sweep run."""
    grant = _state(program, grant_id, State.APPLIED, State.APPROVED, helper="to_forfeited")
    if grant.state is State.APPLIED:
        if not scenarios._is_open(program, grant.cycle):
            program.open_cycle(
                grant.cycle, actors.director, appropriation=scenarios.DEFAULT_APPROPRIATION
            )
        program.approve(grant_id, grant.amount_requested, actors.director)
    if program.grant(grant_id).accept_by is None:
        program.confirm_notice(grant_id, actors.department, channel="email", confirmed_at=program.clock.now())  # fmt: skip
    scenarios.advance_past_deadline(program, grant_id)
    program.sweep(actors.system)
    return program.grant(grant_id)


def grant_in(
    program: Program, employer_id: str, state: State, *, amount: Decimal | str = "25000.00",
    actors: Actors = ACTORS,
) -> Grant:  # fmt: skip
    """A new grant of ``employer_id`` (``G-<employer_id>``, registered and applied) taken
    to ``state`` by the steps above: applied, approved (notice confirmed), accepted,
    transitioning, evaluated, closed, terminated, forfeited, declined, withdrawn or
    denied."""
    grant = scenarios.register_and_apply(program, employer_id, amount=amount, actors=actors)
    gid, employer = grant.id, actors.employer(employer_id)
    if state is State.APPLIED:
        return grant
    if state in (State.WITHDRAWN, State.DENIED):
        if state is State.WITHDRAWN:
            return program.withdraw(gid, employer, reason="withdrawn in a test")
        return program.deny(gid, actors.director, reason="denied in a test")
    if state is State.FORFEITED:
        return to_forfeited(program, gid, actors=actors)
    if state in (State.APPROVED, State.DECLINED):
        if not scenarios._is_open(program, grant.cycle):
            program.open_cycle(
                grant.cycle, actors.director, appropriation=scenarios.DEFAULT_APPROPRIATION
            )
        program.approve(gid, grant.amount_requested, actors.director)
        approved = program.confirm_notice(gid, actors.department, channel="email", confirmed_at=program.clock.now())  # fmt: skip
        return approved if state is State.APPROVED else program.decline(gid, employer)
    scenarios.approve_and_accept(program, gid, actors=actors)
    steps = {
        State.ACCEPTED: lambda: program.grant(gid),
        State.TRANSITIONING: lambda: to_transitioning(program, gid, actors=actors),
        State.EVALUATED: lambda: to_evaluated(program, gid, actors=actors),
        State.CLOSED: lambda: to_closed(program, gid, actors=actors),
        State.TERMINATED: lambda: to_terminated(program, gid, actors=actors),
    }
    if state not in steps:
        raise ScenarioError(reason=f"no helper reaches {state.value}", hint=f"Use one of {', '.join(s.value for s in State)}.")  # fmt: skip
    return steps[state]()
