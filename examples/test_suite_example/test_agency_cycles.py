"""Whole award rounds with run_cycle: selection, lapses, the next applicants (15(d)-(j))."""

from __future__ import annotations

import pendulum
import pytest

from choice_workflow import Program, State
from choice_workflow.audit import verify
from choice_workflow.testing import Actors, run_cycle
from choice_workflow.time.clock import ManualClock


def test_with_funds_for_all_every_applicant_is_awarded(cw_program: Program) -> None:
    selection = run_cycle(cw_program, employers=6, appropriation="150000.00")
    assert [] == list(selection.waitlist)
    assert 6 == len(cw_program.grants(State.ACCEPTED))


def test_lapsed_approvals_send_their_funds_to_the_waitlist(cw_program: Program) -> None:
    selection = run_cycle(cw_program, employers=10, appropriation="60000.00", accept="some")
    assert selection.waitlist
    forfeited = {g.id for g in cw_program.grants(State.FORFEITED)}
    referred = [g for g in cw_program.grants(State.APPLIED) if g.referred_from]
    assert forfeited == {g.referred_from for g in referred}


def test_cycle_two_awards_two_years_after_cycle_one(
    cw_program: Program, cw_clock: ManualClock
) -> None:
    run_cycle(cw_program, employers=3)
    run_cycle(cw_program, employers=2, cycle=2)
    assert pendulum.datetime(2032, 7, 1, tz="America/Chicago") == cw_clock.now()
    assert [1, 1, 1, 2, 2] == [g.cycle for g in cw_program.grants(State.ACCEPTED)]


@pytest.mark.cw_store("sqlite")
def test_a_sealed_sqlite_log_verifies_with_its_root(cw_program: Program, cw_actors: Actors) -> None:
    run_cycle(cw_program, employers=4, appropriation="60000.00", accept="some")
    root = cw_program.seal(cw_actors.system)
    report = verify(cw_program.store, expected_root=root)
    assert () == report.findings
