"""15(j) "to the next applicant" under the queue reading: every return refers the head
of the cycle's standing queue, whether or not a selection ran; amounts follow the
rules; a return that refers nobody says so; verify judges every referral again."""

from __future__ import annotations

import itertools
import json
import random
import warnings
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choice_workflow import InvalidInput, ManualClock, Program, Rules, State
from choice_workflow.audit import verify
from choice_workflow.audit.findings import Kind
from choice_workflow.domain.counties import RegionNotSourced
from choice_workflow.domain.queue import QueueEntry, offer_of
from choice_workflow.events import EventType, canonical_json
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.reports import final_report, render
from choice_workflow.rules import NextApplicant, Shortfall
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.base import Item, Store
from choice_workflow.testing.scenarios import ACTORS, START, register_and_apply

QUEUE = Rules.illinois()
"""The default readings: the standing queue, whole requests."""
DIRECTOR, DEPARTMENT = ACTORS.director, ACTORS.department
CHICAGO = "America/Chicago"
_prefixes = itertools.count()


def _program(
    appropriation: str, *, auto: bool = False, store: Store | None = None,
    clock: ManualClock | None = None,
) -> Program:  # fmt: skip
    rules = attrs.evolve(QUEUE, auto_approve_next=auto)
    program = Program(store, clock=clock or ManualClock(START), rules=rules)
    program.open_cycle(1, DIRECTOR, appropriation=appropriation)
    return program


@pytest.fixture(name="store")
def fixture_store(every_store: Store) -> Store:
    return every_store


def test_the_queue_and_whole_requests_are_the_default_readings() -> None:
    rules = Rules.illinois()
    assert (NextApplicant.QUEUE, Shortfall.WHOLE_REQUESTS) == (
        rules.next_applicant,
        rules.shortfall,
    )


def _approved(program: Program, *pairs: tuple[str, str]) -> None:
    for employer, amount in pairs:
        register_and_apply(program, employer, amount=amount)
        program.approve(f"G-{employer}", amount, DIRECTOR)


def _events(program: Program, grant_id: str, event_type: str) -> list[dict[str, Any]]:
    return [dict(e.payload) for e in program.events(grant_id) if e.type == event_type]


def _conserved(program: Program) -> None:
    cycle = program.cycle(1)
    held = sum(
        (g.amount - g.disbursed for g in program.grants()
         if g.amount is not None and g.state in (State.APPROVED, State.ACCEPTED)),
        Decimal("0.00"),
    )  # fmt: skip
    assert cycle.balanced()
    assert held == cycle.reserved
    assert () == verify(program.store).findings


@pytest.mark.cite("15(j)")
@pytest.mark.parametrize("release", ["decline", "withdraw"])
def test_a_return_refers_the_next_applicant_without_any_selection(release: str) -> None:
    program = _program("100000.00")
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    register_and_apply(program, "C", amount="25000.00")
    assert ["G-C"] == [e.grant_id for e in program.queue(1)]
    getattr(program, release)("G-B", ACTORS.employer("B"), reason="changed plans")
    (referred,) = _events(program, "G-C", EventType.REFERRED)
    assert ("G-B", "25000.00", "50000.00") == (
        referred["from_grant"], referred["offered"], referred["available"]
    )  # fmt: skip
    assert "before the Director" == referred["approval"]
    assert 1 == referred["queue"]["position"]
    assert () == program.queue(1)
    _conserved(program)


@pytest.mark.cite("15(j)")
def test_with_the_automatic_reading_the_referred_application_is_approved_at_once() -> None:
    program = _program("100000.00", auto=True)
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    register_and_apply(program, "C", amount="25000.00")
    program.decline("G-B", ACTORS.employer("B"), reason="no")
    grant = program.grant("G-C")
    assert (State.APPROVED, Decimal("25000.00"), "G-B") == (
        grant.state, grant.amount, grant.referred_from
    )  # fmt: skip
    _conserved(program)


@pytest.mark.cite("15(j)", "15(h)")
@pytest.mark.parametrize(
    ("appropriation", "expected"),
    [
        ("100000.00", ("25000.00", "50000.00")),  # a $50,000 return, a $25,000 request
        ("62000.00", ("12000.00", "12000.00")),  # $12,000 free
    ],
)
def test_the_offer_is_the_request_or_the_free_funds(
    appropriation: str, expected: tuple[str, str]
) -> None:
    program = _program(appropriation)
    _approved(program, ("A", "50000.00"), ("B", expected[1]))
    register_and_apply(program, "C", amount="25000.00")
    program.decline("G-B", ACTORS.employer("B"))
    (referred,) = _events(program, "G-C", EventType.REFERRED)
    assert expected == (referred["offered"], referred["available"])
    _conserved(program)


@pytest.mark.cite("15(j)", "15(h)")
def test_a_return_of_9000_dollars_refers_nobody_and_says_so() -> None:
    entry = QueueEntry(1, "G-C", ("Northeast", "urban", "26-50"), Decimal("25000.00"),
                       Decimal("0.00"), Decimal("0.00"), 0, "first")  # fmt: skip
    offer = offer_of([entry], Decimal("9000.00"), QUEUE)
    assert (None, Decimal("0.00")) == (offer.entry, offer.offered)
    assert "below the minimum award of $10,000.00 (15(h))" in offer.reason
    assert (entry, Decimal("12000.00")) == (
        offer_of([entry], Decimal("12000.00"), QUEUE).entry,
        offer_of([entry], Decimal("12000.00"), QUEUE).offered,
    )


@pytest.mark.cite("15(j)")
def test_a_return_with_nobody_waiting_is_an_event_of_the_cycle(store: Store) -> None:
    program = _program("100000.00", store=store)
    _approved(program, ("A", "50000.00"))
    program.decline("G-A", ACTORS.employer("A"))
    (note,) = [e for e in program.events("cycle:1") if e.type == EventType.FUNDS_RETURNED]
    assert ("G-A", "100000.00") == (note.payload["from_grant"], note.payload["free"])
    assert "nobody waits" in note.payload["reason"]
    _conserved(program)


@pytest.mark.cite("15(j)")
def test_one_return_cascades_to_as_many_applicants_as_the_funds_allow(store: Store) -> None:
    program = _program("100000.00", auto=True, store=store)
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    for employer in ("C", "D", "E"):
        register_and_apply(program, employer, amount="20000.00")
    program.decline("G-B", ACTORS.employer("B"))
    offered = {
        g: _events(program, g, EventType.REFERRED)[0]["offered"] for g in ("G-C", "G-D", "G-E")
    }
    assert {"G-C": "20000.00", "G-D": "20000.00", "G-E": "10000.00"} == offered
    assert all(program.grant(g).state is State.APPROVED for g in offered)
    _conserved(program)


@pytest.mark.cite("15(j)")
def test_three_returns_in_a_row_reach_three_applicants(store: Store) -> None:
    program = _program("100000.00", store=store)
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    for employer in ("C", "D", "E"):
        register_and_apply(program, employer, amount="50000.00")
    reached = []
    for grant_id in ("G-B", "G-C", "G-D"):
        if grant_id != "G-B":
            program.approve(grant_id, "50000.00", DIRECTOR)
        program.decline(grant_id, ACTORS.employer(grant_id.removeprefix("G-")))
        reached += [g.id for g in program.grants() if g.referred_from == grant_id]
    assert ["G-C", "G-D", "G-E"] == reached
    _conserved(program)


def _items(program: Program) -> list[Item]:
    return [Item(s.position, s.record, s.prev_hash, s.hash) for s in program.store.stored_events()]


def _forged(items: list[Item], stream_id: str, change: dict[str, Any]) -> list[Item]:
    out, prev = [], GENESIS
    for item in items:
        record = json.loads(item.record)
        if record["stream_id"] == stream_id:
            if record["type"] == EventType.REFERRED:
                record["payload"] |= change
                item = attrs.evolve(item, record=canonical_json(record))
            digest = link(prev, item.record)
            item, prev = attrs.evolve(item, prev_hash=prev, hash=digest), digest
        out.append(item)
    return out


@pytest.mark.cite("15(j)")
def test_verify_finds_a_referral_of_the_wrong_amount() -> None:
    program = _program("100000.00")
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    register_and_apply(program, "C", amount="25000.00")
    program.decline("G-B", ACTORS.employer("B"))
    assert () == verify(_items(program)).findings
    forged = _forged(_items(program), "G-C", {"offered": "50000.00"})
    (finding,) = verify(forged).findings
    assert (Kind.GUARD_FAILED, "G-C") == (finding.kind, finding.stream_id)
    assert "15(j)" in finding.cites


@pytest.mark.cite("15(d)")
@pytest.mark.parametrize("county", ["Atlantis", "Cok"])
def test_an_unknown_county_is_refused_with_the_closest_names(county: str) -> None:
    program = Program(clock=ManualClock(START))
    with pytest.raises(InvalidInput) as caught:
        program.register_employer(sample_employer("E1", at=START, county=county), ACTORS.department)
    (problem,) = caught.value.problems
    assert ("15(d)",) == problem.cites
    if county == "Cok":
        assert "'Cook'" in problem.hint
    assert [] == program.events("employer:E1")


@pytest.mark.cite("15(d)")
def test_a_county_without_a_sourced_region_is_registered_with_a_warning() -> None:
    program = Program(clock=ManualClock(START))
    with pytest.warns(RegionNotSourced, match="Coles County has no sourced region"):
        program.register_employer(
            sample_employer("E1", at=START, county="Coles"), ACTORS.department
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        program.register_employer(
            sample_employer("E2", at=START, county="Madison"), ACTORS.department
        )


@pytest.mark.cite("15(h)", "15(d)")
def test_an_approval_above_the_request_is_recorded_with_a_warning() -> None:
    program = _program("100000.00")
    register_and_apply(program, "A", amount="20000.00")
    program.approve("G-A", "30000.00", DIRECTOR)
    (approved,) = _events(program, "G-A", EventType.APPROVED)
    assert ["approved $30,000.00, $10,000.00 above the $20,000.00 requested: "
            "dollars other applicants did not get"] == approved["warnings"]  # fmt: skip
    assert () == verify(program.store).findings


# -- every kind of return, on every store ---------------------------------------------


def _release(program: Program, clock: ManualClock, release: str) -> None:
    """B ($50,000, approved directly and noticed on Friday 2030-11-01 10:00 CDT) returns
    its funds by ``release``."""
    employer = ACTORS.employer("B")
    if release == "decline":
        program.decline("G-B", employer, reason="the board voted against")
    elif release == "withdraw":
        program.withdraw("G-B", employer, reason="changed plans")
    elif release == "lapse":
        deadline = program.grant("G-B").accept_by
        assert deadline is not None
        # 48 elapsed hours across the fall-back weekend end Sunday 09:00 CST, one wall
        # hour before the Friday's 10:00 (15(j)).
        local = deadline.in_timezone(CHICAGO)
        assert (11, 3, 9, "CST") == (local.month, local.day, local.hour, local.tzname())
        clock.move_to(deadline.add(microseconds=1))
        assert ["G-B"] == [g.id for g in program.sweep()]
    else:
        program.accept("G-B", employer)
        program.disburse("G-B", DEPARTMENT)  # $4,166.67 paid; $45,833.33 comes back
        program.terminate("G-B", DIRECTOR, reason="documented cause")


@pytest.mark.cite("15(j)", "15(h)", "15(a)")
@pytest.mark.parametrize("auto", [False, True], ids=["before_the_director", "approved"])
@pytest.mark.parametrize("release", ["decline", "withdraw", "lapse", "terminate"])
def test_every_kind_of_return_refers_the_head_of_the_queue(
    store: Store, release: str, auto: bool
) -> None:
    clock = ManualClock(pendulum.datetime(2030, 11, 1, 10, tz=CHICAGO))
    program = _program("100000.00", auto=auto, store=store, clock=clock)
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    program.confirm_notice("G-B", DEPARTMENT, channel="email", confirmed_at=clock.now())
    register_and_apply(program, "C", amount="25000.00")
    register_and_apply(program, "D", amount="30000.00")
    assert ["G-C", "G-D"] == [e.grant_id for e in program.queue(1)]  # no selection ran
    _release(program, clock, release)
    (referred,) = _events(program, "G-C", EventType.REFERRED)
    assert ("G-B", "25000.00") == (referred["from_grant"], referred["offered"])
    grant = program.grant("G-C")
    assert ("approved by the system" if auto else "before the Director") in referred["approval"]
    assert (State.APPROVED if auto else State.APPLIED) == grant.state
    # What is left after C ($20,833.33 after a termination, else $25,000) goes on to D
    # in the same transaction, offered the free funds (below its $30,000 request).
    (next_,) = _events(program, "G-D", EventType.REFERRED)
    assert ("20833.33" if release == "terminate" else "25000.00") == next_["offered"]
    assert (State.APPROVED if auto else State.APPLIED) == program.grant("G-D").state
    assert () == program.queue(1)
    _conserved(program)


# -- funds conserved in random programs of direct approvals -------------------------------


def _queue_empty_or_funds_short(program: Program) -> None:
    """After every return (15(j)): nobody waits, or less than a minimum award is free."""
    cycle = program.cycle(1)
    offers = sum(
        (cycle.offer_to(g.id) for g in program.grants(State.APPLIED) if g.referred_from),
        Decimal("0.00"),
    )
    assert program.queue(1) == () or cycle.available - offers < QUEUE.min_award


@pytest.mark.cite("15(a)", "15(g)", "15(j)")
@settings(max_examples=15)
@given(st.integers(0, 10**6), st.integers(3, 8), st.booleans())
def test_random_programs_of_direct_approvals_conserve_funds_and_refer_every_return(
    seed: int, applicants: int, auto: bool
) -> None:
    rng = random.Random(seed)
    clock = ManualClock(START)
    program = _program(f"{rng.randrange(40, 200) * 1000}.00", auto=auto, clock=clock)
    for n in range(applicants):
        register_and_apply(program, f"E{n}", amount=f"{rng.randrange(10, 51) * 1000}.00")
    for grant in program.grants(State.APPLIED):  # the Director approves as they come in
        free = program.cycle(1).available
        if rng.random() < 0.6 and free >= QUEUE.min_award:
            amount = min(grant.amount_requested, free)
            program.approve(grant.id, amount, DIRECTOR)
            program.confirm_notice(grant.id, DEPARTMENT, channel="email", confirmed_at=clock.now())
    for _ in range(3):
        for grant in program.grants(State.APPROVED):
            actor = ACTORS.employer(grant.employer_id)
            choice = rng.choice(("accept", "decline", "lapse", "withdraw", "terminate"))
            if choice in ("accept", "terminate"):
                program.accept(grant.id, actor)
            if choice == "terminate":
                program.disburse(grant.id, DEPARTMENT)
                program.terminate(grant.id, DIRECTOR, reason="documented cause")
                _queue_empty_or_funds_short(program)
            elif choice == "decline":
                program.decline(grant.id, actor)
                _queue_empty_or_funds_short(program)
            elif choice == "withdraw":
                program.withdraw(grant.id, actor, reason="changed plans")
                _queue_empty_or_funds_short(program)
        clock.advance(hours=48, microseconds=1)
        if program.sweep():
            _queue_empty_or_funds_short(program)
        _conserved(program)
        for grant in program.grants(State.APPLIED):
            if grant.referred_from:  # the Director approves each referral at its offer
                offered = Decimal(_events(program, grant.id, EventType.REFERRED)[-1]["offered"])
                program.approve(grant.id, offered, DIRECTOR)
                program.confirm_notice(
                    grant.id, DEPARTMENT, channel="email", confirmed_at=clock.now()
                )
        _conserved(program)
    approvals: dict[str, int] = {}
    for g in program.grants():
        if g.approved_us is not None:
            approvals[g.employer_id] = approvals.get(g.employer_id, 0) + 1
    assert all(1 == n for n in approvals.values())  # 15(g): one grant per employer


# -- verify: a return that leads nowhere ------------------------------------------------------


@pytest.mark.cite("15(j)")
@pytest.mark.parametrize("follow_up", [EventType.REFERRED, EventType.FUNDS_RETURNED])
def test_verify_finds_a_return_whose_referral_or_note_was_removed(follow_up: str) -> None:
    program = _program("100000.00")
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    if follow_up == EventType.REFERRED:
        register_and_apply(program, "C", amount="25000.00")
    program.decline("G-B", ACTORS.employer("B"))
    items = _items(program)
    assert () == verify(items).findings
    # The follow-up is the last event of its stream: removing it leaves no gap.
    kept = [i for i in items if json.loads(i.record)["type"] != follow_up]
    assert len(kept) == len(items) - 1
    (finding,) = verify(kept).findings
    assert (Kind.GUARD_FAILED, ("15(j)",), "G-B") == (
        finding.kind, finding.cites, finding.stream_id
    )  # fmt: skip
    assert "records neither the next applicant's referral nor a FundsReturned" in finding.message


@pytest.mark.cite("15(j)")
def test_a_referred_application_that_withdraws_passes_its_offer_on() -> None:
    program = _program("100000.00")
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    register_and_apply(program, "C", amount="50000.00")
    register_and_apply(program, "D", amount="40000.00")
    program.decline("G-B", ACTORS.employer("B"))
    program.withdraw("G-C", ACTORS.employer("C"), reason="changed plans")
    (referred,) = _events(program, "G-D", EventType.REFERRED)
    assert ("G-C", "40000.00", "50000.00") == (
        referred["from_grant"], referred["offered"], referred["available"]
    )  # fmt: skip
    program.deny("G-D", DEPARTMENT, reason="no current 14(c) certificate")
    (note,) = [e for e in program.events("cycle:1") if e.type == EventType.FUNDS_RETURNED]
    assert ("G-D", "50000.00") == (note.payload["from_grant"], note.payload["free"])
    _conserved(program)


# -- what the reports show ---------------------------------------------------------------------


def _apply_in_coles(program: Program) -> None:
    """C, of Coles County (no sourced region), applies for $25,000 (G-C)."""
    with pytest.warns(RegionNotSourced):
        program.register_employer(
            sample_employer("C", at=program.clock.now(), county="Coles"), DEPARTMENT
        )
    program.apply(
        sample_application("C", at=program.clock.now(), amount="25000.00"), ACTORS.employer("C"),
        grant_id="G-C",
    )  # fmt: skip


@pytest.mark.cite("15(j)", "15(h)", "15(d)", "20(b)")
def test_the_report_shows_returns_approvals_above_the_request_and_the_unsourced_area() -> None:
    program = _program("100000.00")
    _approved(program, ("A", "50000.00"))
    register_and_apply(program, "B", amount="20000.00")
    program.approve("G-B", "30000.00", DIRECTOR)  # $10,000 above the request
    _apply_in_coles(program)
    program.decline("G-A", ACTORS.employer("A"))  # C is referred $25,000
    program.decline("G-B", ACTORS.employer("B"))  # nobody waits
    report = final_report(program, as_of=program.clock.now())
    data = report.data
    assert [("G-A", "declined", "referred G-C ($25,000.00 offered)"),
            ("G-B", "declined", None)] == [
        (r.from_grant, r.how, None if r.nobody else r.outcome) for r in data.returned_funds
    ]  # fmt: skip
    assert data.returned_funds[1].outcome.startswith("nobody referred: nobody waits")
    (warning,) = data.approval_warnings
    assert ("G-B", Decimal("30000.00"), Decimal("20000.00")) == (
        warning.grant_id, warning.approved, warning.requested
    )  # fmt: skip
    assert data.unsourced is not None
    assert ("region not sourced", 14, 1) == (
        data.unsourced.name, len(data.unsourced.counties), data.unsourced.applications
    )  # fmt: skip
    markdown = render(report, "md")
    for shown in ("Funds returned and what they led to", "referred G-C ($25,000.00 offered)",
                  "Approvals above the amount requested", "'region not sourced' holds the 14 "
                  "counties", "Coles"):  # fmt: skip
        assert shown in markdown
    document = json.loads(render(report, "json"))
    assert "G-B" == document["program"]["approval_warnings"][0]["grant_id"]


@pytest.mark.cite("15(d)")
def test_the_selection_explanation_names_the_unsourced_area() -> None:
    program = _program("30000.00")
    _apply_in_coles(program)
    register_and_apply(program, "D", amount="25000.00")
    lines = program.select_awards(1, DIRECTOR).explanation()
    assert any(
        "1 applicant(s)" in line and "'region not sourced' (15(d))" in line
        and "CountyTable.from_csv" in line
        for line in lines
    )  # fmt: skip
