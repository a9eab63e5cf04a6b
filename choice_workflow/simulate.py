"""Seeded synthetic grant programs: for the demo, benchmarks and test suites.

Deterministic for a seed. The default population is sized on what was reported of
Illinois in early 2025 (about 59 programs holding 14(c) certificates, with about 2,500
workers, per U.S. Department of Labor data as reported); it scales to 10,000 employers.
Each program runs through both cycles (15(f)): applications, an underfunded
appropriation so that some applicants wait, equitable selection (15(d), (e)), quick,
slow, lapsing and declining acceptances (15(j)), the next applicants approved in turn,
quarterly disbursements, technical assistance (Section 90), wages that rise toward the
minimum wage (a few employers falling below the 15(l) floor for a quarter, some of them
terminated with a receivable), amended applications, changed contacts, notices sent,
wage reports keyed wrong and corrected, headcounts, the evaluation of Section 20(a)
computed from the audit trail, and the close-out of the grants whose period is over.

Every value is made up; nothing here describes a real employer or person.
"""

from __future__ import annotations

import datetime as dt
import random
import warnings
from collections.abc import Sequence
from decimal import ROUND_UP, Decimal

import attrs
import pendulum

from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.counties import RegionNotSourced
from choice_workflow.domain.state import State
from choice_workflow.domain.wages import Headcount, WageRecord, floor_on
from choice_workflow.events import EventType
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.service.program import Program
from choice_workflow.store.base import Store
from choice_workflow.time.calendar import cycle_two_earliest
from choice_workflow.time.clock import ManualClock
from choice_workflow.time.instants import zone

__all__ = ["ILLINOIS_PROGRAMS", "Profile", "population", "simulate"]

ILLINOIS_PROGRAMS = 59
"""14(c) programs in Illinois, early 2025 (U.S. Department of Labor data as reported)."""
ILLINOIS_WORKERS = 2500
"""Workers paid under those certificates, early 2025 (same source)."""

COUNTY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("Cook", 35), ("DuPage", 7), ("Lake", 6), ("Will", 5), ("Kane", 4), ("McHenry", 3),
    ("Winnebago", 4), ("Champaign", 3), ("Sangamon", 3), ("Peoria", 3), ("McLean", 2),
    ("Madison", 3), ("St. Clair", 3), ("Jackson", 2), ("Adams", 2), ("Vermilion", 2),
    ("Macon", 2), ("Rock Island", 2), ("Williamson", 1), ("Coles", 1), ("Effingham", 1),
    ("Knox", 1), ("Marion", 1), ("Jefferson", 1),
)  # fmt: skip
"""Where the simulated employers are: weighted toward the populous counties."""

BEHAVIOURS = ("quick", "slow", "lapse", "decline")
BEHAVIOUR_WEIGHTS = (5, 3, 1, 1)
BATCH = 20
"""Approvals confirmed per day."""

DEPARTMENT = Actor("dol-sim", Role.DEPARTMENT)
DIRECTOR = Actor("director-sim", Role.DIRECTOR)
EVALUATOR = Actor("evaluator-sim", Role.EVALUATOR)
CENT = Decimal("0.01")


@attrs.frozen
class Profile:
    """One simulated employer: where it is, how many it pays under 14(c), how it answers
    an approval, and whether its wages dip below the floor once."""

    employer_id: str
    county: str
    workers: int
    behaviour: str
    violates: bool
    baseline: Decimal


def _actor(employer_id: str) -> Actor:
    return Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id)


def population(employers: int, workers: int, rng: random.Random, first: int = 1) -> list[Profile]:
    """Employers whose 14(c) workforces add up to about ``workers`` in all."""
    counties = [c for c, _ in COUNTY_WEIGHTS]
    weights = [w for _, w in COUNTY_WEIGHTS]
    raw = [rng.lognormvariate(0, 0.8) for _ in range(employers)]
    scale = workers / sum(raw) if raw else 0
    return [
        Profile(
            employer_id=f"E{n:05d}",
            county=rng.choices(counties, weights)[0],
            workers=max(1, round(r * scale)),
            behaviour=rng.choices(BEHAVIOURS, BEHAVIOUR_WEIGHTS)[0],
            violates=rng.random() < 0.1,
            baseline=Decimal(rng.randrange(440, 900)) / 100,  # above the 60% floor of 15(l)(1)
        )
        for n, r in zip(range(first, first + employers), raw, strict=True)
    ]


def _wage_on(
    day: dt.date, p: Profile, program: Program, committed: dt.date, dip: bool, started: bool
) -> Decimal:
    """The wage paid on ``day``: before the transition, the 14(c) baseline; after it, at
    least the 15(l) floor, the baseline and the federal minimum (15(a)(1)), and the full
    applicable minimum from the committed date (15(b)(13)); a violating employer dips
    below the floor for a quarter."""
    if not started:
        return p.baseline
    rules = program.rules
    floor = floor_on(day, rules, committed_full_minimum_on=committed).amount
    wage = max(floor, p.baseline, rules.federal_minimum_on(day)) + Decimal("0.25")
    if day >= committed:
        wage = max(wage, rules.applicable_minimum_on(day))
    if dip:
        wage = max(Decimal("1.00"), floor - Decimal("0.50"))
    return wage.quantize(CENT, rounding=ROUND_UP)


def _record_quarter(
    program: Program,
    p: Profile,
    day: dt.date,
    dip: bool,
    with_wages: bool,
    *,
    started: bool = True,
    final: bool = False,
    typo: bool = False,
) -> None:
    grant_id = f"G-{p.employer_id}"
    committed = program.application(grant_id).full_minimum_wage_on
    if with_wages:
        wage = _wage_on(day, p, program, committed, dip, started)

        def rows(hourly: Decimal) -> list[WageRecord]:
            return [
                WageRecord(
                    employee_id=f"{p.employer_id}-W{k:03d}", paid_on=day, hourly=hourly,
                    has_disability=k % 10 != 9, baseline_14c=p.baseline,
                )
                for k in range(p.workers)
            ]  # fmt: skip

        if typo:  # keyed with the decimal point one place off, then corrected
            wrong = (wage / 10).quantize(CENT)
            version = program.record_wages(grant_id, _actor(p.employer_id), rows(wrong)).version
            program.correct(
                grant_id, _actor(p.employer_id), corrects=version, wages=rows(wage),
                reason=f"hourly rate keyed as {wrong} instead of {wage}",
            )  # fmt: skip
        else:
            program.record_wages(grant_id, _actor(p.employer_id), rows(wage), final=final)
    at_minimum = p.workers if day >= committed else 0
    program.record_headcount(
        grant_id, _actor(p.employer_id),
        Headcount(quarter_start=day, employees=p.workers + 5, employees_with_disability=p.workers,
                  at_or_above_minimum=at_minimum),
    )  # fmt: skip


def _award_round(
    program: Program,
    rng: random.Random,
    by_grant: dict[str, Profile],
    grant_ids: Sequence[str],
    offered: dict[str, Decimal],
    clock: ManualClock,
) -> None:
    """Approve, notify and hear back from applicants in daily batches; the sweep forfeits
    what lapses; the next applicants that returned funds reach are approved in turn."""
    pending = list(grant_ids)
    # About 25 working days of approvals per cycle, however many employers there are.
    size = max(BATCH, len(pending) // 25)
    while pending:
        batch, pending = pending[:size], pending[size:]
        for gid in batch:
            cycle = program.cycle(program.grant(gid).cycle)
            amount = min(offered.get(gid, program.grant(gid).amount_requested), cycle.available)
            if amount < program.rules.min_award:
                continue
            program.review(gid, DEPARTMENT, notes="complete")
            employer_id = by_grant[gid].employer_id
            if rng.random() < 0.05:  # a new grants contact before the decision (15(i))
                program.change_contact(
                    employer_id, _actor(employer_id), email=f"grants@{employer_id.lower()}.example",
                    reason="new grants contact",
                )  # fmt: skip
            program.approve(gid, amount, DIRECTOR)
            channel = rng.choice(("email", "address_of_record"))
            program.send_notice(gid, DEPARTMENT, channel=channel)
            program.confirm_notice(gid, DEPARTMENT, channel=channel, confirmed_at=clock.now())
            behaviour = by_grant[gid].behaviour
            if behaviour == "quick":
                program.accept(gid, _actor(by_grant[gid].employer_id))
            elif behaviour == "decline":
                program.decline(
                    gid, _actor(by_grant[gid].employer_id), reason="board decided to wait"
                )
            # A day's confirmations span at most 8 hours, so the slow answers 40 hours on
            # are still inside every window of the batch (15(j)).
            clock.advance(seconds=rng.randrange(30, max(31, 8 * 3600 // size)))
        clock.advance(hours=40)
        for gid in batch:
            if by_grant[gid].behaviour == "slow" and program.grant(gid).state is State.APPROVED:
                program.accept(gid, _actor(by_grant[gid].employer_id))  # late, still in time
        clock.advance(hours=10)
        program.sweep()
        for grant in program.grants(State.APPLIED):
            if grant.referred_from and grant.id not in pending and grant.id in by_grant:
                referral = program.events(grant.id)[-1]
                offered[grant.id] = Decimal(str(referral.payload["offered"]))
                by_grant[grant.id] = attrs.evolve(
                    by_grant[grant.id], behaviour=rng.choice(("quick", "slow"))
                )
                pending.append(grant.id)


def _cycle(
    program: Program,
    rng: random.Random,
    number: int,
    profiles: list[Profile],
    clock: ManualClock,
    with_wages: bool,
) -> list[Profile]:
    now = clock.now()
    for p in profiles:
        employer = sample_employer(
            p.employer_id, at=now, county=p.county, individuals_served_14c=p.workers
        )
        with warnings.catch_warnings():
            # The simulation places some employers in the counties without a sourced
            # region on purpose: the reports show and explain that area (15(d)).
            warnings.simplefilter("ignore", RegionNotSourced)
            program.register_employer(employer, DEPARTMENT)
        amount = f"{rng.randrange(10_000, 50_001, 500)}.00"
        application = sample_application(
            p.employer_id, at=now, amount=amount, employees_14c=p.workers
        )
        program.apply(
            application, _actor(p.employer_id), grant_id=f"G-{p.employer_id}", cycle=number
        )
        revised = min(Decimal(amount) + 2500, program.rules.max_award)
        if rng.random() < 0.1 and revised != Decimal(amount):
            # The budget is revised before the Director decides (15(b)).
            program.amend(
                f"G-{p.employer_id}", attrs.evolve(application, amount_requested=revised),
                _actor(p.employer_id), reason="budget revised after the board meeting",
            )  # fmt: skip
    demand = sum(
        (program.grant(f"G-{p.employer_id}").amount_requested for p in profiles), Decimal("0.00")
    )
    # Appropriated: a little under what is asked, so that some applicants wait.
    program.open_cycle(
        number,
        DIRECTOR,
        appropriation=(demand * Decimal("0.8")).quantize(Decimal("1.00")),
        opens_at=now,
    )
    selection = program.select_awards(number, DIRECTOR)
    offered = {p.grant_id: p.amount for p in selection.proposals}
    by_grant = {f"G-{p.employer_id}": p for p in profiles}
    _award_round(program, rng, by_grant, [p.grant_id for p in selection.proposals], offered, clock)
    started = []
    for p in by_grant.values():
        grant = program.grant(f"G-{p.employer_id}")
        if grant.state is not State.ACCEPTED:
            continue
        day_before = clock.now().in_timezone(zone(program.rules.timezone)).date() - dt.timedelta(
            days=1
        )
        _record_quarter(program, p, day_before, False, with_wages, started=False)
        program.begin_transition(grant.id, _actor(p.employer_id), started_at=clock.now())
        program.record_technical_assistance(
            grant.id, DEPARTMENT, description="Customized employment training"
        )
        started.append(p)
    return started


def _quarters(
    program: Program,
    clock: ManualClock,
    running: list[Profile],
    quarters: int,
    rng: random.Random,
    with_wages: bool,
) -> None:
    """Each quarter: instalments paid as they fall due (15(f)), wages and headcounts
    reported, now and then technical assistance (Section 90)."""
    for q in range(quarters):
        clock.advance(days=92)
        day = clock.now().in_timezone(zone(program.rules.timezone)).date()
        for p in running:
            gid = f"G-{p.employer_id}"
            if program.grant(gid).state is not State.TRANSITIONING:
                continue
            if not program.may_disburse(gid, DEPARTMENT):
                program.disburse(gid, DEPARTMENT)
            typo = with_wages and q == 1 and rng.random() < 0.05
            _record_quarter(program, p, day, p.violates and q == 2, with_wages, typo=typo)
            if p.violates and q == 2 and with_wages and rng.random() < 0.2:
                _terminate_for_the_floor(program, gid)
                continue
            if rng.random() < 0.15:
                program.record_technical_assistance(
                    gid, DEPARTMENT, description="Benefits counseling for employees"
                )


def _terminate_for_the_floor(program: Program, grant_id: str) -> None:
    """15(l): the Director terminates a grant whose wages fell below the floor, citing
    the wage report; the grantee repays the last instalment, half at once."""

    evidence = [e.version for e in program.events(grant_id) if e.type == EventType.WAGES_RECORDED]
    grant = program.grant(grant_id)
    last = (grant.amount or Decimal("0.00")) / program.rules.disbursement_quarters
    owed = min(grant.disbursed, last.quantize(CENT))
    program.terminate(
        grant_id, DIRECTOR, cause="wage_floor", evidence=evidence[-1:], repay=owed,
        reason="wages below the 15(l) floor after technical assistance",
    )  # fmt: skip
    if owed > 0:
        program.record_repayment(grant_id, (owed / 2).quantize(CENT), DEPARTMENT)


def _close_out(program: Program, running: list[Profile], with_wages: bool) -> None:
    """20(a), 15(f): grants whose 3-year period is over file their final wage report,
    are evaluated and closed out; the others are evaluated and wait."""
    today = program.clock.now().in_timezone(zone(program.rules.timezone)).date()
    for p in running:
        gid = f"G-{p.employer_id}"
        if program.grant(gid).state is not State.TRANSITIONING:
            continue
        missing = {x.reason for x in program.may_close_out(gid, DEPARTMENT)}
        if with_wages and missing == {
            "the final wage report is missing",
            "the evaluation is missing",
        }:
            _record_quarter(program, p, today, False, with_wages, final=True)
    for grant in program.grants(State.TRANSITIONING):
        program.evaluate(grant.id, EVALUATOR)
    for grant in program.grants(State.EVALUATED):
        if not program.may_close_out(grant.id, DEPARTMENT):
            # Some grantees' final expenditure reports return a little unspent.
            unspent = (
                (grant.disbursed * Decimal("0.02")).quantize(CENT)
                if sum(map(ord, grant.id)) % 4 == 0
                else Decimal("0.00")
            )
            program.close_out(grant.id, DEPARTMENT, unspent=unspent)


def simulate(
    employers: int = ILLINOIS_PROGRAMS,
    seed: int = 2030,
    store: Store | None = None,
    *,
    workers: int | None = None,
    wages: bool = True,
) -> Program:
    """A seeded program through both cycles to evaluation. ``employers`` apply in cycle
    1 and a third as many more in cycle 2; ``workers`` (default: in proportion to the
    Illinois figures) are spread over them; ``wages=False`` leaves out the wage records
    (headcounts are still reported), for very large runs."""
    rng = random.Random(seed)  # noqa: S311 - a seeded simulation, not a secret
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 8, tz="America/Chicago"))
    program = Program(store, clock=clock)
    total = (
        workers if workers is not None else round(ILLINOIS_WORKERS * employers / ILLINOIS_PROGRAMS)
    )
    first = population(employers, total, rng)
    running = _cycle(program, rng, 1, first, clock, wages)
    _quarters(program, clock, running, 8, rng, wages)
    cycle_two = cycle_two_earliest(program.cycle(1).opens_at, program.rules)
    if clock.now() < cycle_two:
        clock.move_to(cycle_two)
    later = max(1, employers // 3)
    second = population(later, max(later, total // 3), rng, first=employers + 1)
    # By cycle 2 the 15(l) floor has risen: these employers already pay at least it.
    day = clock.now().in_timezone(zone(program.rules.timezone)).date()
    raised = floor_on(day, program.rules, committed_full_minimum_on=None).amount
    second = [attrs.evolve(p, baseline=max(p.baseline, raised + Decimal("0.10"))) for p in second]
    running += _cycle(program, rng, 2, second, clock, wages)
    _quarters(program, clock, running, 12, rng, wages)
    _close_out(program, running, wages)
    return program
