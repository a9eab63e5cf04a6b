"""The scenario helpers reach every state of a grant in one call, on every store, by
the public commands (so every guard of the Act still applies), and the log they leave
verifies; ManualClock moves by elapsed hours or by the calendar."""

from __future__ import annotations

import pendulum
import pytest

from choice_workflow import ClockError, ManualClock, Program, ScenarioError, State
from choice_workflow.audit import verify
from choice_workflow.store.base import Store
from choice_workflow.testing import (
    grant_in,
    register_and_apply,
    to_closed,
    to_evaluated,
    to_forfeited,
    to_terminated,
    to_transitioning,
)
from choice_workflow.testing.scenarios import START


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
def test_grant_in_reaches_every_state_and_the_log_verifies(
    every_store: Store, state: State
) -> None:
    program = Program(every_store, clock=ManualClock(START))
    grant = grant_in(program, "E-1", state)
    assert state is grant.state
    assert state is program.grant("G-E-1").state
    report = verify(every_store)
    assert report.ok, [f.message for f in report.findings]


def test_a_closed_grant_was_paid_every_instalment_and_closed_at_the_end_of_its_period() -> None:
    program = Program(clock=ManualClock(START))
    grant = grant_in(program, "E-1", State.ACCEPTED)
    closed = to_closed(program, grant.id)
    assert program.rules.disbursement_quarters == closed.instalments
    assert closed.amount == closed.disbursed
    assert program.clock.now() >= START.add(years=3)
    types = [e.type for e in program.events(grant.id)]
    assert ["TransitionBegun", "Evaluated", "ClosedOut"] == [
        t for t in types if t in {"TransitionBegun", "Evaluated", "ClosedOut"}
    ]


def test_each_step_starts_from_where_a_test_left_the_grant() -> None:
    program = Program(clock=ManualClock(START))
    grant = grant_in(program, "E-1", State.ACCEPTED)
    assert State.TRANSITIONING is to_transitioning(program, grant.id).state
    assert State.EVALUATED is to_evaluated(program, grant.id).state
    other = grant_in(program, "E-2", State.TRANSITIONING)
    assert State.TERMINATED is to_terminated(program, other.id).state
    waiting = register_and_apply(program, "E-3")
    assert State.FORFEITED is to_forfeited(program, waiting.id).state


@pytest.mark.parametrize(
    ("helper", "state"),
    [(to_transitioning, State.APPLIED), (to_closed, State.APPLIED), (to_forfeited, State.ACCEPTED),
     (to_terminated, State.APPLIED), (to_evaluated, State.CLOSED)],
    ids=["transition of an application", "close of an application", "forfeit of an acceptance",
         "termination of an application", "evaluation of a closed grant"],
)  # fmt: skip
def test_a_step_from_the_wrong_state_is_a_scenario_error_that_says_so(
    helper: object, state: State
) -> None:
    program = Program(clock=ManualClock(START))
    grant = grant_in(program, "E-1", state)
    with pytest.raises(ScenarioError, match=f"it is {state.value}"):
        helper(program, grant.id)  # type: ignore[operator]


def test_the_calendar_day_across_daylight_saving_is_23_hours_and_an_elapsed_day_24() -> None:
    before = pendulum.datetime(2030, 3, 9, 9, tz="America/Chicago")  # DST starts March 10
    calendar, elapsed = ManualClock(before), ManualClock(before)
    assert pendulum.datetime(2030, 3, 10, 9, tz="America/Chicago") == calendar.advance_calendar(
        days=1
    )
    assert pendulum.datetime(2030, 3, 10, 10, tz="America/Chicago") == elapsed.advance(days=1)
    assert 23 * 3600 == (calendar.now() - before).total_seconds()
    quarterly = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    assert pendulum.datetime(2031, 1, 1, 9, tz="America/Chicago") == quarterly.advance_calendar(
        months=6
    )
    with pytest.raises(ClockError):
        quarterly.advance_calendar(days=-1)
