"""``python -m choice_workflow.demo``: a seeded, simulated grant program on the embedded
SQLite default, sealed, exported and verified, with a summary."""

from __future__ import annotations

import random
import sys
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
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
from choice_workflow.time.calendar import cycle_two_earliest
from choice_workflow.time.clock import ManualClock

COUNTIES = ("Cook", "Champaign", "Winnebago", "Sangamon", "Jackson", "Adams", "Peoria", "McLean")
BEHAVIOURS = ("quick", "slow", "lapse", "decline")
BATCH = 20  # approvals confirmed per day
DEPARTMENT = Actor("dol-demo", Role.DEPARTMENT)
DIRECTOR = Actor("director-demo", Role.DIRECTOR)
EVALUATOR = Actor("evaluator-demo", Role.EVALUATOR)


def _employer_actor(employer_id: str) -> Actor:
    return Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id)


def _register_and_apply(
    program: Program, rng: random.Random, ids: Sequence[str], cycle: int
) -> None:
    now = program.clock.now()
    for eid in ids:
        served = rng.choice((8, 15, 30, 60, 120))
        employer = sample_employer(
            eid, at=now, county=rng.choice(COUNTIES), individuals_served_14c=served
        )
        program.register_employer(employer, DEPARTMENT)
        amount = f"{rng.randrange(10_000, 50_001, 500)}.00"
        application = sample_application(eid, at=now, amount=amount)
        program.apply(application, _employer_actor(eid), grant_id=f"G-{eid}", cycle=cycle)


def _award_round(
    program: Program, rng: random.Random, grant_ids: Sequence[str], clock: ManualClock
) -> None:
    """Approve, notify and hear back from a batch of applicants; the sweep forfeits what
    lapses, and the next applicants the returned funds reach are approved in turn."""
    pending = list(grant_ids)
    while pending:
        batch, pending = pending[:BATCH], pending[BATCH:]
        behaviours = {gid: rng.choices(BEHAVIOURS, (5, 3, 1, 1))[0] for gid in batch}
        for gid in batch:
            grant = program.grant(gid)
            offered = _offered(program, gid)
            program.approve(gid, min(offered, program.cycle(grant.cycle).available), DIRECTOR)
            channel = rng.choice(("email", "address_of_record"))
            program.confirm_notice(gid, DEPARTMENT, channel=channel, confirmed_at=clock.now())
            actor = _employer_actor(grant.employer_id)
            if behaviours[gid] == "quick":
                program.accept(gid, actor)
            elif behaviours[gid] == "decline":
                program.decline(gid, actor, reason="board decided to wait")
            clock.advance(minutes=rng.randrange(1, 10))
        clock.advance(hours=40)
        for gid in batch:
            if behaviours[gid] == "slow":  # late in the window, still in time (15(j))
                program.accept(gid, _employer_actor(program.grant(gid).employer_id))
        clock.advance(hours=10)
        program.sweep()  # the lapsing ones are forfeited (15(j))
        referred = [
            g.id for g in program.grants(State.APPLIED) if g.referred_from and g.id not in pending
        ]
        pending += referred  # returned funds reach the next applicants (15(j))


def _offered(program: Program, grant_id: str) -> Decimal:
    """What the selection or a referral offers this applicant."""
    for event in reversed(program.events(grant_id)):
        if event.type == "Referred":
            return Decimal(str(event.payload["offered"]))
    return _proposed.get(grant_id, program.grant(grant_id).amount_requested)


_proposed: dict[str, Decimal] = {}


def _run_cycle(
    program: Program, rng: random.Random, number: int, ids: Sequence[str], clock: ManualClock
) -> None:
    _register_and_apply(program, rng, ids, number)
    demand = sum((program.grant(f"G-{e}").amount_requested for e in ids), Decimal("0.00"))
    # Appropriated: about 70% of what is asked, so that some wait for returned funds.
    appropriation = (demand * Decimal("0.7")).quantize(Decimal("1.00"))
    program.open_cycle(number, DIRECTOR, appropriation=appropriation, opens_at=clock.now())
    selection = program.select_awards(number, DIRECTOR)
    _proposed.update({p.grant_id: p.amount for p in selection.proposals})
    _award_round(program, rng, [p.grant_id for p in selection.proposals], clock)
    for grant in program.grants(State.ACCEPTED):
        actor = _employer_actor(grant.employer_id)
        program.begin_transition(grant.id, actor, started_at=clock.now())
        program.record_technical_assistance(
            grant.id, DEPARTMENT, description="Customized employment training"
        )


def _pay_quarters(program: Program, clock: ManualClock, quarters: int) -> None:
    """The Department pays each grant's instalments as they fall due (15(f))."""
    for _ in range(quarters):
        clock.advance(days=92)
        for state in (State.ACCEPTED, State.TRANSITIONING):
            for grant in program.grants(state):
                if not program.may_disburse(grant.id, DEPARTMENT):
                    program.disburse(grant.id, DEPARTMENT)


def simulate(employers: int = 24, seed: int = 2030, store: Store | None = None) -> Program:
    """A seeded program through both cycles (15(f)): cycle 1 from July 1, 2030, with
    ``employers`` applicants and 70% of their requests appropriated, so that lapses and
    declines reach waitlisted applicants (15(j)); quarterly disbursements; cycle 2 two
    years on with a third as many new applicants; evaluations at the end."""
    _proposed.clear()
    rng = random.Random(seed)  # noqa: S311 - a seeded simulation, not a secret
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 8, tz="America/Chicago"))
    program = Program(store, clock=clock)
    _run_cycle(program, rng, 1, [f"E{n:03d}" for n in range(1, employers + 1)], clock)
    _pay_quarters(program, clock, 8)
    cycle_two = cycle_two_earliest(program.cycle(1).opens_at, program.rules)
    if clock.now() < cycle_two:
        clock.move_to(cycle_two)
    second = [f"E{n:03d}" for n in range(employers + 1, employers + 1 + max(1, employers // 3))]
    _run_cycle(program, rng, 2, second, clock)
    _pay_quarters(program, clock, 12)
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
