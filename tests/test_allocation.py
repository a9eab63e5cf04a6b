"""Cycles, the funds ledger, equitable selection and the return to the next applicant."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choice_workflow import (
    Actor,
    AwardCounts,
    InvalidInput,
    ManualClock,
    NotPermitted,
    Program,
    Role,
    Rules,
    State,
    TransitionRefused,
)
from choice_workflow.audit import verify
from choice_workflow.domain.cycle import disbursement_schedule, held
from choice_workflow.domain.selection import (
    Candidate,
    first_come_first_served,
    select_awards,
    size_band,
)
from choice_workflow.rules import FundsLeft, NextApplicant, Shortfall
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store import Store
from choice_workflow.store.sql import SqlStore

CHICAGO = "America/Chicago"
RULES = Rules.illinois()
OLDER = attrs.evolve(RULES, next_applicant=NextApplicant.WAITLIST, shortfall=Shortfall.PRO_RATA)
"""The readings of 15(j) and of a shortfall before the standing queue (a selection's
waitlist; awards reduced pro rata), which the waitlist tests below pin; the queue's own
tests are in test_queue.py."""
DEPARTMENT = Actor("dol", Role.DEPARTMENT)
DIRECTOR = Actor("director", Role.DIRECTOR)
COUNTIES = ("Cook", "Champaign", "Jackson", "Adams", "Winnebago", "Sangamon")
_prefixes = itertools.count()


def chicago(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=CHICAGO)  # type: ignore[arg-type, misc]  # y, m, d, ...


def employer_actor(n: int) -> Actor:
    return Actor(f"e{n}", Role.EMPLOYER, employer_id=f"E{n}")


def program_with(
    applicants: int,
    appropriation: str,
    *,
    clock: ManualClock | None = None,
    rules: Rules | None = None,
    store: Store | None = None,
    amount: str = "30000.00",
    counties: tuple[str, ...] = ("Cook",),
) -> Program:
    """A program with cycle 1 open and ``applicants`` complete applications."""
    clock = clock or ManualClock(chicago(2030, 7, 1, 9))
    program = Program(store, clock=clock, rules=rules)
    program.open_cycle(1, DIRECTOR, appropriation=appropriation)
    for n in range(1, applicants + 1):
        county = counties[(n - 1) % len(counties)]
        program.register_employer(
            sample_employer(f"E{n}", at=clock.now(), county=county), DEPARTMENT
        )
        program.apply(
            sample_application(f"E{n}", at=clock.now(), amount=amount),
            employer_actor(n),
            grant_id=f"G{n}",
        )
    return program


def conserved(program: Program, number: int = 1) -> None:
    """The ledger to the cent: what the grants hold and were paid is what the cycle says."""
    cycle = program.cycle(number)
    grants = [g for g in program.grants() if g.cycle == number]
    assert cycle.reserved == sum((held(g) for g in grants), Decimal("0.00"))
    assert cycle.disbursed == sum((g.disbursed for g in grants), Decimal("0.00"))
    assert cycle.appropriation == cycle.available + cycle.reserved + cycle.disbursed
    assert cycle.balanced()


# -- pure: size bands, schedules, selection -----------------------------------------


@pytest.mark.cite("15(e)")
@pytest.mark.parametrize(
    ("individuals", "band"),
    [
        (1, "1-10"),
        (10, "1-10"),
        (11, "11-25"),
        (25, "11-25"),
        (26, "26-50"),
        (100, "51-100"),
        (101, "101+"),
    ],
)
def test_employers_fall_in_size_bands_by_individuals_served(individuals: int, band: str) -> None:
    assert band == size_band(individuals, RULES)


@pytest.mark.cite("15(f)")
@given(st.decimals(min_value=Decimal("10000.00"), max_value=Decimal("50000.00"), places=2))
def test_the_quarterly_schedule_pays_the_whole_amount_to_the_cent(amount: Decimal) -> None:
    schedule = disbursement_schedule(amount, RULES)
    assert 12 == len(schedule)
    assert amount == sum(schedule)
    assert max(schedule) - min(schedule) <= Decimal("0.01")
    assert list(schedule) == sorted(schedule, reverse=True)


candidates = st.lists(
    st.builds(
        lambda i, amount, area, setting, band, t: Candidate(
            f"G{i:04d}", amount, area, setting, band, t
        ),
        st.integers(0, 9999),
        st.decimals(min_value=Decimal("10000"), max_value=Decimal("50000"), places=0).map(
            lambda d: d.quantize(Decimal("0.01"))
        ),
        st.sampled_from(["Northeast", "Central", "Southern", "unassigned"]),
        st.sampled_from(["rural", "urban"]),
        st.sampled_from(["1-10", "11-25", "26-50", "101+"]),
        st.integers(0, 10**9),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda c: c.grant_id,
)


PRO_RATA = attrs.evolve(RULES, shortfall=Shortfall.PRO_RATA)


@pytest.mark.cite("15(d)", "15(e)", "15(h)", "15(j)")
@settings(max_examples=200)
@given(candidates, st.floats(0.05, 0.99), st.sampled_from(Shortfall))
def test_when_demand_exceeds_funds_every_stratum_is_within_one_maximum_award_of_its_quota(
    applicants: list[Candidate], share: float, shortfall: Shortfall
) -> None:
    rules = attrs.evolve(RULES, shortfall=shortfall)
    demand = sum(c.amount_requested for c in applicants)
    funds = (demand * Decimal(str(round(share, 4)))).quantize(Decimal("0.01"))
    selection = select_awards(1, applicants, funds, rules)
    assert funds == sum(selection.quotas.values())
    for stratum, quota in selection.quotas.items():
        assert abs(selection.awarded(stratum) - quota) < RULES.max_award
    assert sum(p.amount for p in selection.proposals) <= funds
    for p in selection.proposals:
        assert RULES.min_award <= p.amount <= RULES.max_award
    requested = {c.grant_id: c.amount_requested for c in applicants}
    assert all(p.amount <= requested[p.grant_id] for p in selection.proposals)
    funded = {p.grant_id for p in selection.proposals}
    assert funded.isdisjoint(w.grant_id for w in selection.waitlist)
    assert set(requested) == funded | {w.grant_id for w in selection.waitlist}
    if shortfall is Shortfall.WHOLE_REQUESTS:
        # Whole requests: every award but the last of the funds left is the request.
        partial = [p for p in selection.proposals if p.amount < requested[p.grant_id]]
        assert len(partial) <= 1
        assert all(p.reason.startswith("from the funds left") for p in partial)
    else:
        # Pro rata, never less equitable than first come, first served.
        assert selection.spread() <= first_come_first_served(1, applicants, funds, rules).spread()


@pytest.mark.cite("15(d)", "15(e)")
@given(candidates, st.randoms(use_true_random=False))
def test_selection_is_deterministic_whatever_the_input_order(
    applicants: list[Candidate], rng: random.Random
) -> None:
    total = sum((c.amount_requested for c in applicants), Decimal("0.00"))
    funds = (total / 2).quantize(Decimal("0.01"))
    shuffled = [*applicants]
    rng.shuffle(shuffled)
    assert select_awards(1, applicants, funds, RULES) == select_awards(1, shuffled, funds, RULES)


@pytest.mark.cite("15(h)")
def test_when_funds_suffice_everyone_gets_the_request_within_the_bounds() -> None:
    applicants = [
        Candidate("G1", Decimal("12000.00"), "Central", "rural", "1-10", 1),
        Candidate("G2", Decimal("50000.00"), "Northeast", "urban", "101+", 2),
    ]
    selection = select_awards(1, applicants, Decimal("100000.00"), RULES)
    assert {"G1": Decimal("12000.00"), "G2": Decimal("50000.00")} == {
        p.grant_id: p.amount for p in selection.proposals
    }
    assert () == selection.waitlist


@pytest.mark.cite("15(d)")
def test_every_proposal_says_why_and_the_unassigned_area_is_counted() -> None:
    applicants = [
        Candidate("G1", Decimal("30000.00"), "unassigned", "rural", "1-10", 1),
        Candidate("G2", Decimal("30000.00"), "Northeast", "urban", "1-10", 2),
        Candidate("G3", Decimal("30000.00"), "Northeast", "urban", "1-10", 3),
    ]
    selection = select_awards(1, applicants, Decimal("25000.00"), PRO_RATA)
    assert 1 == selection.unassigned
    text = "\n".join(selection.explanation())
    assert "1 applicant(s) are in counties with no sourced geographic area" in text
    for p in selection.proposals:
        assert p.reason
        assert p.after - p.before == p.amount
    assert 1 == len(selection.waitlist)


# -- cycles (15(a), 15(f)) ----------------------------------------------------------


@pytest.mark.cite("15(a)")
def test_cycle_1_cannot_open_before_july_1_2030() -> None:
    program = Program(clock=ManualClock(chicago(2030, 6, 1)))
    with pytest.raises(TransitionRefused) as refused:
        program.open_cycle(
            1, DIRECTOR, appropriation="1000.00", opens_at=chicago(2030, 6, 30, 23, 59, 59)
        )
    assert ("15(a)",) == refused.value.cites
    assert chicago(2030, 7, 1) == program.open_cycle(1, DIRECTOR, appropriation="1000.00").opens_at


@pytest.mark.cite("15(a)")
def test_only_the_director_opens_cycles_and_sets_appropriations() -> None:
    program = Program(clock=ManualClock(chicago(2030, 7, 1)))
    with pytest.raises(NotPermitted):
        program.open_cycle(1, DEPARTMENT, appropriation="1000.00")
    program.open_cycle(1, DIRECTOR, appropriation="1000.00")
    with pytest.raises(NotPermitted):
        program.set_appropriation(1, "2000.00", DEPARTMENT)
    assert 2 == len(program.events("security"))
    with pytest.raises(InvalidInput, match="float"):
        program.set_appropriation(1, 2000.0, DIRECTOR)  # type: ignore[arg-type]  # the point


@pytest.mark.cite("15(a)")
def test_an_approval_beyond_the_funds_left_is_refused_and_changes_nothing() -> None:
    program = program_with(2, "40000.00")
    program.approve("G1", "30000.00", DIRECTOR)
    with pytest.raises(TransitionRefused) as refused:
        program.approve("G2", "10000.01", DIRECTOR)
    assert "15(a)" in refused.value.cites
    assert State.APPLIED == program.grant("G2").state
    assert State.APPROVED == program.approve("G2", "10000.00", DIRECTOR).state
    assert Decimal("0.00") == program.cycle(1).available
    conserved(program)


@pytest.mark.cite("15(a)")
def test_the_appropriation_cannot_fall_below_what_is_committed() -> None:
    program = program_with(1, "40000.00")
    program.approve("G1", "30000.00", DIRECTOR)
    with pytest.raises(TransitionRefused) as refused:
        program.set_appropriation(1, "29999.99", DIRECTOR)
    assert ("15(a)",) == refused.value.cites
    assert Decimal("30000.00") == program.set_appropriation(1, "30000.00", DIRECTOR).appropriation


@pytest.mark.cite("15(a)", "15(f)")
def test_an_approval_in_a_cycle_that_was_never_opened_is_refused() -> None:
    clock = ManualClock(chicago(2030, 7, 1, 9))
    program = Program(clock=clock)
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    program.apply(sample_application("E1", at=clock.now()), employer_actor(1), grant_id="G1")
    with pytest.raises(TransitionRefused, match="has not been opened"):
        program.approve("G1", "20000.00", DIRECTOR)


@pytest.mark.cite("15(f)")
def test_applications_close_with_the_cycles_window() -> None:
    clock = ManualClock(chicago(2030, 7, 1, 9))
    program = Program(clock=clock)
    program.open_cycle(
        1, DIRECTOR, appropriation="100000.00", applications_close=chicago(2030, 8, 1)
    )
    program.register_employer(sample_employer("E1", at=clock.now()), DEPARTMENT)
    program.register_employer(sample_employer("E2", at=clock.now()), DEPARTMENT)
    clock.move_to(chicago(2030, 8, 1))
    program.apply(sample_application("E1", at=clock.now()), employer_actor(1), grant_id="G1")
    clock.advance(microseconds=1)
    with pytest.raises(TransitionRefused) as refused:
        program.apply(sample_application("E2", at=clock.now()), employer_actor(2), grant_id="G2")
    assert ("15(f)",) == refused.value.cites


# -- disbursements -----------------------------------------------------------------


@pytest.mark.cite("15(f)", "15(a)")
def test_instalments_are_paid_quarter_by_quarter_and_move_funds_from_held_to_paid() -> None:
    clock = ManualClock(chicago(2030, 7, 1, 9))
    program = program_with(1, "100000.00", clock=clock)
    program.approve("G1", "30000.00", DIRECTOR)
    program.accept("G1", employer_actor(1))
    assert State.ACCEPTED == program.disburse("G1", DEPARTMENT).state
    with pytest.raises(TransitionRefused, match="instalment 2 is due from 2030-10-01 09:00:00"):
        program.disburse("G1", DEPARTMENT)
    clock.move_to(chicago(2030, 10, 1, 9))
    grant = program.disburse("G1", DEPARTMENT)
    assert Decimal("5000.00") == grant.disbursed
    assert 2 == grant.instalments
    conserved(program)
    with pytest.raises(NotPermitted):
        program.disburse("G1", employer_actor(1))


@pytest.mark.cite("15(a)", "15(j)")
def test_a_terminated_grant_releases_what_was_not_paid() -> None:
    program = program_with(1, "100000.00")
    program.approve("G1", "30000.00", DIRECTOR)
    program.accept("G1", employer_actor(1))
    program.disburse("G1", DEPARTMENT)
    program.terminate("G1", DIRECTOR, reason="false assurance under 15(b)(11)(C)")
    cycle = program.cycle(1)
    assert Decimal("2500.00") == cycle.disbursed
    assert Decimal("0.00") == cycle.reserved
    assert Decimal("97500.00") == cycle.available
    conserved(program)


# -- 15(g): one award per employer, also in the database --------------------------


@pytest.mark.cite("15(g)", "10(3)")
def test_the_sql_store_refuses_a_second_award_even_past_the_guard(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'g.sqlite'}")
    program = program_with(1, "100000.00", store=store)
    program.approve("G1", "30000.00", DIRECTOR)
    with pytest.raises(TransitionRefused) as refused, store.transaction() as tx:
        tx.record_award("E1", "G-other")
    assert ("15(g)", "10(3)") == refused.value.cites
    store.dispose()


@pytest.mark.cite("15(g)", "10(3)")
def test_under_the_accepted_reading_the_award_is_recorded_at_acceptance() -> None:
    rules = attrs.evolve(RULES, award_counts=AwardCounts.ACCEPTED)
    program = program_with(1, "100000.00", rules=rules)
    program.approve("G1", "30000.00", DIRECTOR)
    program.decline("G1", employer_actor(1))
    program.apply(
        sample_application("E1", at=program.clock.now()), employer_actor(1), grant_id="G1b"
    )
    program.approve("G1b", "30000.00", DIRECTOR)
    program.accept("G1b", employer_actor(1))
    with program.store.transaction() as tx, pytest.raises(TransitionRefused):
        tx.record_award("E1", "G1c")


# -- 15(j): the next applicant -------------------------------------------------------


# Under the older readings (OLDER): pro rata, $20,000 for three $30,000 requests funds
# two at the $10,000 minimum and waitlists the third: a waitlist exists only when the
# funds fall below one minimum award per applicant.


def selected(program: Program) -> list[str]:
    selection = program.select_awards(1, DIRECTOR)
    for p in selection.proposals:
        program.approve(p.grant_id, p.amount, DIRECTOR)
        program.confirm_notice(
            p.grant_id, DEPARTMENT, channel="email", confirmed_at=program.clock.now()
        )
    return [w.grant_id for w in selection.waitlist]


@pytest.mark.cite("15(j)")
def test_a_decline_puts_the_next_waitlisted_applicant_before_the_director() -> None:
    program = program_with(3, "20000.00", rules=OLDER)
    waitlist = selected(program)
    assert ["G3"] == waitlist
    program.decline("G1", employer_actor(1), reason="not now")
    nxt = program.grant("G3")
    assert State.APPLIED == nxt.state
    assert "G1" == nxt.referred_from
    referral = program.events("G3")[-1]
    assert "Referred" == referral.type
    assert "10000.00" == referral.payload["offered"]
    assert referral.command_id == program.events("G1")[-1].command_id
    assert State.APPROVED == program.approve("G3", "10000.00", DIRECTOR).state
    conserved(program)


@pytest.mark.cite("15(j)", "15(d)")
def test_the_next_applicant_is_taken_from_the_released_grants_stratum_first() -> None:
    program = program_with(4, "20000.00", counties=("Cook", "Jackson"), rules=OLDER)
    waitlist = selected(program)
    assert 2 == len(waitlist)
    released = next(p for p in ("G1", "G2") if program.grant(p).state is State.APPROVED)
    county = program.employer(program.grant(released).employer_id).county
    program.withdraw(released, employer_actor(int(released[1:])))
    referred = [g for g in program.grants() if g.referred_from == released]
    assert 1 == len(referred)
    assert county == program.employer(referred[0].employer_id).county


@pytest.mark.cite("15(j)")
def test_nothing_is_offered_when_the_funds_returned_are_below_the_minimum_award() -> None:
    program = program_with(3, "20000.00", rules=OLDER)
    assert ["G3"] == selected(program)
    program.accept("G1", employer_actor(1))
    program.disburse("G1", DEPARTMENT)  # $833.34 paid: $9,166.66 comes back
    program.terminate("G1", DIRECTOR, reason="documented cause")
    assert Decimal("9166.66") == program.cycle(1).available
    assert [] == [g.id for g in program.grants() if g.referred_from]
    conserved(program)


@pytest.mark.cite("15(j)")
def test_with_the_automatic_reading_the_next_applicant_is_approved_in_the_same_transaction() -> (
    None
):
    rules = attrs.evolve(OLDER, auto_approve_next=True)
    program = program_with(3, "20000.00", rules=rules)
    selected(program)
    program.clock.advance(hours=48, microseconds=1)  # type: ignore[attr-defined]  # a ManualClock
    forfeited = program.sweep()
    assert {"G1", "G2"} == {g.id for g in forfeited}
    nxt = program.grant("G3")
    assert State.APPROVED == nxt.state
    assert nxt.accept_by is None  # its own 48 hours run from its own confirmed notice
    approval = program.events("G3")[-1]
    assert ("Approved", "system") == (approval.type, approval.actor_role)
    conserved(program)


@pytest.mark.cite("15(j)")
def test_a_lapsed_next_applicant_passes_the_funds_on_again() -> None:
    program = program_with(5, "20000.00", rules=OLDER)
    assert ["G3", "G4", "G5"] == selected(program)
    clock = program.clock
    assert isinstance(clock, ManualClock)
    clock.advance(hours=48, microseconds=1)
    program.sweep()
    referred = sorted(g.id for g in program.grants(State.APPLIED) if g.referred_from)
    assert ["G3", "G4"] == referred
    for gid in referred:
        program.approve(gid, "10000.00", DIRECTOR)
        program.confirm_notice(gid, DEPARTMENT, channel="email", confirmed_at=clock.now())
    clock.advance(hours=48, microseconds=1)
    program.sweep()
    assert "G3" == program.grant("G5").referred_from  # the cascade reaches the last one
    assert Decimal("20000.00") == program.cycle(1).available  # G5 waits for the Director
    conserved(program)


# -- properties over random programs ---------------------------------------------


@pytest.mark.cite("15(a)", "15(g)", "15(j)")
@settings(max_examples=25)
@given(st.integers(0, 10**6), st.integers(3, 9), st.floats(0.2, 1.0))
def test_random_programs_conserve_funds_to_the_cent_and_pass_every_release_on(
    seed: int, applicants: int, share: float
) -> None:
    rng = random.Random(seed)
    clock = ManualClock(chicago(2030, 7, 1, 9))
    demand = Decimal(30000 * applicants)
    program = program_with(
        applicants, f"{(demand * Decimal(str(round(share, 3)))).quantize(Decimal('1'))}.00",
        clock=clock, counties=COUNTIES,
    )  # fmt: skip
    waitlist = selected(program)
    for step in range(3):
        for grant in program.grants(State.APPROVED):
            choice = rng.choice(("accept", "decline", "lapse", "withdraw"))
            actor = Actor(f"u{grant.employer_id}", Role.EMPLOYER, employer_id=grant.employer_id)
            if choice == "accept":
                program.accept(grant.id, actor)
            elif choice == "decline":
                program.decline(grant.id, actor)
            elif choice == "withdraw":
                program.withdraw(grant.id, actor)
        clock.advance(hours=48, microseconds=1)
        program.sweep()
        conserved(program)
        for grant in program.grants(State.APPLIED):
            if grant.referred_from:
                offered = Decimal(str(program.events(grant.id)[-1].payload["offered"]))
                program.approve(grant.id, offered, DIRECTOR)
                program.confirm_notice(
                    grant.id, DEPARTMENT, channel="email", confirmed_at=clock.now()
                )
        conserved(program)
        _ = step
    waiting = [g for g in waitlist if program.grant(g).state is State.APPLIED]
    if waiting:  # whoever still waits does so because less than a minimum award came back
        assert program.cycle(1).available < RULES.min_award
    awarded: dict[str, int] = {}
    for g in program.grants():
        if g.approved_us is not None:
            awarded[g.employer_id] = awarded.get(g.employer_id, 0) + 1
    assert all(1 == n for n in awarded.values())


# -- the DST weekend scenario on SQLite and PostgreSQL ----------------------------


@pytest.fixture(
    name="sql_store", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fixture_sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path / 'dst.sqlite'}")
    else:
        store = SqlStore(request.getfixturevalue("pg_url"), prefix=f"a{next(_prefixes)}_")
    yield store
    store.dispose()


@pytest.mark.cite("15(j)", "15(a)")
def test_three_lapses_in_a_row_across_the_dst_weekend_reach_three_next_applicants(
    sql_store: SqlStore,
) -> None:
    # Friday 2030-11-01 10:00 CDT; the clocks fall back on Sunday 2030-11-03.
    clock = ManualClock(chicago(2030, 11, 1, 10))
    program = program_with(5, "20000.00", clock=clock, store=sql_store, rules=OLDER)
    waitlist = selected(program)
    assert ["G3", "G4", "G5"] == waitlist
    program.accept("G2", employer_actor(2))
    first = program.grant("G1").accept_by
    assert first is not None
    # Confirmed Friday 10:00 CDT; 48 elapsed hours end Sunday 09:00 CST, one wall hour off.
    assert (11, 3, 9) == (
        first.in_timezone(CHICAGO).month,
        first.in_timezone(CHICAGO).day,
        first.in_timezone(CHICAGO).hour,
    )
    lapsing = "G1"
    for expected_next in ("G3", "G4", "G5"):
        deadline = program.grant(lapsing).accept_by
        assert deadline is not None
        clock.move_to(deadline.add(microseconds=1))
        assert [lapsing] == [g.id for g in program.sweep()]
        nxt = program.grant(expected_next)
        assert lapsing == nxt.referred_from
        program.approve(expected_next, "10000.00", DIRECTOR)
        confirmed = clock.now()
        grant = program.confirm_notice(
            expected_next, DEPARTMENT, channel="email", confirmed_at=confirmed
        )
        assert confirmed.add(hours=48) == grant.accept_by
        conserved(program)
        lapsing = expected_next
    assert Decimal("0.00") == program.cycle(1).available  # G2 and G5 hold the $20,000
    report = verify(sql_store)
    assert () == report.findings


@pytest.mark.cite("15(a)")
def test_verify_compares_the_cycles_ledger_with_the_log(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    program = program_with(2, "60000.00", store=store)
    program.approve("G1", "30000.00", DIRECTOR)
    assert () == verify(store).findings
    assert store.engine is not None
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE cycles SET reserved = '0.00' WHERE number = 1")
    findings = verify(store).findings
    assert [("projection_mismatch", ("15(a)",), "cycle:1")] == [
        (f.kind.value, f.cites, f.stream_id) for f in findings
    ]
    store.dispose()


COUNTEREXAMPLE = [
    Candidate(f"G{i:04d}", Decimal(amount), "Northeast", setting, band, 0)
    for i, (amount, setting, band) in enumerate([
        ("10000.00", "rural", "1-10"), ("20975.00", "urban", "11-25"),
        ("10000.00", "rural", "1-10"), ("10000.00", "urban", "11-25"),
        ("10000.00", "rural", "1-10"), ("10000.00", "rural", "1-10"),
        ("35692.00", "urban", "11-25"), ("10000.00", "rural", "11-25"),
    ])
]  # fmt: skip
"""Where the older rule for the funds left (to the stratum furthest below its quota)
was less equitable than first come, first served under pro rata."""


@pytest.mark.cite("15(d)", "15(e)")
def test_the_older_rule_for_the_funds_left_stays_for_the_logs_that_ran_by_it() -> None:
    funds = Decimal("43750.12")
    now = select_awards(1, COUNTEREXAMPLE, funds, PRO_RATA)
    older = select_awards(
        1, COUNTEREXAMPLE, funds, attrs.evolve(PRO_RATA, funds_left=FundsLeft.FURTHEST_BELOW)
    )
    baseline = first_come_first_served(1, COUNTEREXAMPLE, funds, PRO_RATA).spread()
    assert now.spread() <= baseline < older.spread() == Decimal("8384.37")
    assert (
        older.proposals[-1].reason == "from the funds left, to the stratum furthest below its quota"
    )
    assert Rules.from_canonical({}).funds_left is FundsLeft.FURTHEST_BELOW  # logs without it


@pytest.mark.cite("15(j)")
def test_a_cycle_row_of_the_older_form_agrees_with_its_log(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'old-row.sqlite'}")
    program = program_with(3, "60000.00", store=store)
    for gid in ("G1", "G2"):
        program.approve(gid, "30000.00", DIRECTOR)
    program.decline("G1", employer_actor(1))  # G3 is referred, with its offer
    assert () == verify(store).findings
    assert store.engine is not None
    with store.engine.begin() as conn:  # as the library wrote it before offers were kept
        conn.exec_driver_sql("""UPDATE cycles SET referred = '["G3"]' WHERE number = 1""")
    assert () == verify(store).findings
    store.dispose()
