"""Quickstart: one grant from application to evaluation, on a manual clock.

Run: ``python examples/quickstart.py``
"""

from __future__ import annotations

import pendulum

from choice_workflow import Actor, ManualClock, Program, Role, TransitionRefused
from choice_workflow.samples import sample_application, sample_employer


def main() -> None:
    """Walk one grant through the lifecycle and show a refused late acceptance."""
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    program = Program(clock=clock)
    department = Actor("dol-1", Role.DEPARTMENT)
    director = Actor("director", Role.DIRECTOR)
    evaluator = Actor("evaluator", Role.EVALUATOR)
    e1 = Actor("e1-user", Role.EMPLOYER, employer_id="E1")
    e2 = Actor("e2-user", Role.EMPLOYER, employer_id="E2")

    for employer_id in ("E1", "E2"):
        program.register_employer(sample_employer(employer_id, at=clock.now()), department)
    program.open_cycle(1, director, appropriation="100000.00")
    program.apply(sample_application("E1", at=clock.now()), e1, grant_id="G1")
    program.apply(sample_application("E2", at=clock.now(), amount="12000.00"), e2, grant_id="G2")

    for grant_id in ("G1", "G2"):
        program.approve(grant_id, program.grant(grant_id).amount_requested, director)
        grant = program.confirm_notice(
            grant_id, department, channel="email", confirmed_at=clock.now()
        )
        accept_by = grant.accept_by.in_timezone("America/Chicago") if grant.accept_by else None
        print(f"{grant_id}: approved ${grant.amount:,.2f}, accept by {accept_by}")

    clock.advance(hours=12)
    program.accept("G1", e1)
    clock.advance(hours=36, microseconds=1)
    try:
        program.accept("G2", e2)
    except TransitionRefused as refused:
        print(f"G2: {refused.problems[0].reason} [{', '.join(refused.cites)}]")
    print("forfeited by the sweep:", [g.id for g in program.sweep()])

    program.begin_transition("G1", e1, started_at=clock.now())
    clock.advance(days=3 * 365)
    grant = program.evaluate("G1", evaluator, evaluation={"wages": "improved", "compliance": "met"})
    print(f"G1: {grant.state.value} after {grant.version} events")


if __name__ == "__main__":
    main()
