"""One grant's life, as the agency's own code drives it (15(b), 15(i), 15(j), 20(a))."""

from __future__ import annotations

from decimal import Decimal

import pytest

from choice_workflow import NotPermitted, Program, State, TransitionRefused
from choice_workflow.testing import (
    Actors,
    advance_past_deadline,
    approve_and_accept,
    register_and_apply,
)
from choice_workflow.time.clock import ManualClock


def test_a_grant_goes_from_application_to_evaluation(
    funded_program: Program, cw_actors: Actors, cw_clock: ManualClock
) -> None:
    register_and_apply(funded_program, "E1", amount="30000.00")
    approve_and_accept(funded_program, "G-E1")
    employer = cw_actors.employer("E1")
    funded_program.begin_transition("G-E1", employer, started_at=cw_clock.now())
    funded_program.disburse("G-E1", cw_actors.department)
    cw_clock.advance(days=3 * 365)
    grant = funded_program.evaluate(
        "G-E1", cw_actors.evaluator, evaluation={"wages": "improved", "compliance": "met"}
    )
    assert State.EVALUATED == grant.state
    assert Decimal("2500.00") == grant.disbursed  # the first of 12 quarterly instalments


def test_an_acceptance_a_microsecond_late_is_refused_and_the_sweep_forfeits(
    funded_program: Program, cw_actors: Actors, cw_clock: ManualClock
) -> None:
    register_and_apply(funded_program, "E1")
    funded_program.approve("G-E1", "25000.00", cw_actors.director)
    funded_program.confirm_notice(
        "G-E1", cw_actors.department, channel="address_of_record", confirmed_at=cw_clock.now()
    )
    advance_past_deadline(funded_program, "G-E1")
    with pytest.raises(TransitionRefused) as refused:
        funded_program.accept("G-E1", cw_actors.employer("E1"))
    assert ("15(j)",) == refused.value.cites
    assert ["G-E1"] == [g.id for g in funded_program.sweep()]
    assert Decimal("100000.00") == funded_program.cycle(1).available


def test_the_ui_can_ask_why_the_accept_button_is_disabled(
    funded_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(funded_program, "E1")
    funded_program.approve("G-E1", "25000.00", cw_actors.director)
    problems = funded_program.may_accept("G-E1", cw_actors.employer("E2"))
    assert problems
    assert () == funded_program.may_accept("G-E1", cw_actors.employer("E1"))


def test_an_employer_cannot_accept_another_employers_grant(
    funded_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(funded_program, "E1")
    register_and_apply(funded_program, "E2")
    funded_program.approve("G-E1", "25000.00", cw_actors.director)
    with pytest.raises(NotPermitted):
        funded_program.accept("G-E1", cw_actors.employer("E2"))


def test_a_withdrawn_approval_returns_its_funds(funded_program: Program, cw_actors: Actors) -> None:
    register_and_apply(funded_program, "E1")
    funded_program.approve("G-E1", "40000.00", cw_actors.director)
    assert Decimal("60000.00") == funded_program.cycle(1).available
    funded_program.withdraw("G-E1", cw_actors.employer("E1"), reason="board decision")
    assert Decimal("100000.00") == funded_program.cycle(1).available
