"""15(j) "to the next applicant" under the queue reading: every return refers the head
of the cycle's standing queue, whether or not a selection ran; amounts follow the
rules; a return that refers nobody says so; verify judges every referral again."""

from __future__ import annotations

import json
import warnings
from decimal import Decimal
from typing import Any

import attrs
import pytest

from choice_workflow import InvalidInput, ManualClock, Program, Rules, State
from choice_workflow.audit import verify
from choice_workflow.audit.findings import Kind
from choice_workflow.domain.counties import RegionNotSourced
from choice_workflow.domain.queue import QueueEntry, offer_of
from choice_workflow.events import EventType, canonical_json
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.rules import NextApplicant
from choice_workflow.samples import sample_employer
from choice_workflow.store.base import Item
from choice_workflow.testing.scenarios import ACTORS, START, register_and_apply

QUEUE = attrs.evolve(Rules.illinois(), next_applicant=NextApplicant.QUEUE)
DIRECTOR = ACTORS.director


def _program(appropriation: str, *, auto: bool = False) -> Program:
    program = Program(clock=ManualClock(START), rules=attrs.evolve(QUEUE, auto_approve_next=auto))
    program.open_cycle(1, DIRECTOR, appropriation=appropriation)
    return program


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
def test_a_return_with_nobody_waiting_is_an_event_of_the_cycle() -> None:
    program = _program("100000.00")
    _approved(program, ("A", "50000.00"))
    program.decline("G-A", ACTORS.employer("A"))
    (note,) = [e for e in program.events("cycle:1") if e.type == EventType.FUNDS_RETURNED]
    assert ("G-A", "100000.00") == (note.payload["from_grant"], note.payload["free"])
    assert "nobody waits" in note.payload["reason"]
    _conserved(program)


@pytest.mark.cite("15(j)")
def test_one_return_cascades_to_as_many_applicants_as_the_funds_allow() -> None:
    program = _program("100000.00", auto=True)
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
def test_three_returns_in_a_row_reach_three_applicants() -> None:
    program = _program("100000.00")
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
