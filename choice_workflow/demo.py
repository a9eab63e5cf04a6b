"""``python -m choice_workflow.demo``: a seeded, simulated grant program on the embedded
SQLite default, sealed, exported and verified, with a summary."""

from __future__ import annotations

import random
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pendulum

from choice_workflow.actors import Actor, Role
from choice_workflow.audit.jsonl import export_log
from choice_workflow.audit.verify import verify
from choice_workflow.lifecycle.states import State
from choice_workflow.program import Program
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.base import Store
from choice_workflow.store.sql import SqlStore
from choice_workflow.time.clock import ManualClock

COUNTIES = ("Cook", "Champaign", "Winnebago", "Sangamon", "Jackson", "Adams", "Peoria", "McLean")
BEHAVIOURS = ("quick", "slow", "lapse", "decline")
BATCH = 20  # approvals confirmed per day
DEPARTMENT = Actor("dol-demo", Role.DEPARTMENT)
DIRECTOR = Actor("director-demo", Role.DIRECTOR)
EVALUATOR = Actor("evaluator-demo", Role.EVALUATOR)


def simulate(employers: int = 24, seed: int = 2030, store: Store | None = None) -> Program:
    """Run ``employers`` employers through one cycle: quick, slow, lapsing and declining
    acceptances, then transitions and evaluations three years on."""
    rng = random.Random(seed)  # noqa: S311 - a seeded simulation, not a secret
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 8, tz="America/Chicago"))
    program = Program(store, clock=clock)
    ids = [f"E{n:03d}" for n in range(1, employers + 1)]
    for eid in ids:
        served = rng.choice((8, 15, 30, 60, 120))
        program.register_employer(
            sample_employer(
                eid, at=clock.now(), county=rng.choice(COUNTIES), individuals_served_14c=served
            ),
            DEPARTMENT,
        )
        actor = Actor(f"{eid}-user", Role.EMPLOYER, employer_id=eid)
        amount = f"{rng.randrange(10_000, 50_001, 500)}.00"
        program.apply(
            sample_application(eid, at=clock.now(), amount=amount), actor, grant_id=f"G-{eid}"
        )
    behaviours = {eid: rng.choices(BEHAVIOURS, (5, 3, 1, 1))[0] for eid in ids}
    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        for eid in batch:
            gid = f"G-{eid}"
            program.review(gid, DEPARTMENT, notes="complete")
            program.approve(gid, program.grant(gid).amount_requested, DIRECTOR)
            channel = rng.choice(("email", "address_of_record"))
            program.confirm_notice(gid, DEPARTMENT, channel=channel, confirmed_at=clock.now())
            actor = Actor(f"{eid}-user", Role.EMPLOYER, employer_id=eid)
            if behaviours[eid] == "quick":
                program.accept(gid, actor)
            elif behaviours[eid] == "decline":
                program.decline(gid, actor, reason="board decided to wait")
            clock.advance(minutes=rng.randrange(1, 10))
        clock.advance(hours=40)
        for eid in batch:
            if behaviours[eid] == "slow":  # late in the window, still in time (15(j))
                program.accept(f"G-{eid}", Actor(f"{eid}-user", Role.EMPLOYER, employer_id=eid))
        clock.advance(hours=10)
        program.sweep()  # the lapsing ones are forfeited (15(j))
    for grant in program.grants(State.ACCEPTED):
        actor = Actor(f"{grant.employer_id}-user", Role.EMPLOYER, employer_id=grant.employer_id)
        program.begin_transition(grant.id, actor, started_at=clock.now())
        program.record_technical_assistance(
            grant.id, DEPARTMENT, description="Customized employment training"
        )
    clock.advance(days=3 * 365)
    for grant in program.grants(State.TRANSITIONING):
        program.evaluate(grant.id, EVALUATOR, evaluation={"wages": "recorded", "compliance": "met"})
    return program


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo and print its summary; exit 1 on any finding.

    Arguments: ``[EMPLOYERS] [OUTPUT_DIR]`` (24 employers into ``demo-output/``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    employers = int(args[0]) if args else 24
    out = Path(args[1] if len(args) > 1 else "demo-output")
    out.mkdir(parents=True, exist_ok=True)
    database = out / "choice_workflow.sqlite"
    for leftover in out.glob("choice_workflow.sqlite*"):
        leftover.unlink()
    store = SqlStore(f"sqlite:///{database}")
    program = simulate(employers, store=store)
    root = program.seal(Actor("seal-demo", Role.SYSTEM))
    log = out / "log.jsonl"
    with log.open("wb") as handle:
        events = export_log(store.stored_events(), handle)
    grants = program.grants()
    states = Counter(g.state.value for g in grants)
    print(f"choice_workflow demo: {len(grants)} grants, {events} events in {database}")
    for state, count in sorted(states.items()):
        print(f"  {state:<14} {count:>4}")
    print(f"sealed: root {root}")
    print(f"exported: {log}")
    report = verify(store, expected_root=root)
    from_file = verify(log, expected_root=root)
    findings = [*report.findings, *from_file.findings]
    for finding in findings:
        print(f"  finding: {finding}")
    store.dispose()
    print(
        f"verify: {report.events} events in {report.streams} streams, "
        f"database and export, {len(findings)} findings"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
