"""15(j) to the end of a return: the free funds of a return below the minimum award,
offers held against direct approvals, and verify finding a cascade cut short or an
automatic approval removed from the log."""

from __future__ import annotations

import json
from decimal import Decimal

import attrs
import pendulum
import pytest

from choice_workflow import ManualClock, Program, Rules, State, TransitionRefused
from choice_workflow.audit import verify
from choice_workflow.audit.findings import Kind
from choice_workflow.events import EventType
from choice_workflow.store.base import Item
from choice_workflow.testing.scenarios import ACTORS, START, register_and_apply

DIRECTOR, DEPARTMENT = ACTORS.director, ACTORS.department


def _program(appropriation: str, *, auto: bool = False) -> Program:
    program = Program(
        clock=ManualClock(START), rules=attrs.evolve(Rules.illinois(), auto_approve_next=auto)
    )
    program.open_cycle(1, DIRECTOR, appropriation=appropriation)
    return program


def _approved(program: Program, *pairs: tuple[str, str]) -> None:
    for employer, amount in pairs:
        register_and_apply(program, employer, amount=amount)
        program.approve(f"G-{employer}", amount, DIRECTOR)


def _items(program: Program) -> list[Item]:
    return [Item(s.position, s.record, s.prev_hash, s.hash) for s in program.store.stored_events()]


def _without(items: list[Item], stream_id: str, event_type: str) -> list[Item]:
    """The log less the last event of ``stream_id`` (its type checked): no gap."""
    last = max(i.position for i in items if json.loads(i.record)["stream_id"] == stream_id)
    (removed,) = [i for i in items if i.position == last]
    assert event_type == json.loads(removed.record)["type"]
    return [i for i in items if i.position != last]


@pytest.mark.cite("15(j)", "15(h)")
def test_a_9000_dollar_return_refers_nobody_and_says_so() -> None:
    program = _program("62000.00")
    _approved(program, ("A", "50000.00"), ("B", "12000.00"))
    register_and_apply(program, "C", amount="25000.00")
    program.accept("G-B", ACTORS.employer("B"))
    clock = program.clock
    assert isinstance(clock, ManualClock)
    # Three of twelve quarterly instalments: $3,000 paid, $9,000 comes back.
    for quarter in ("2030-07-01", "2030-10-01", "2031-01-01"):
        due = pendulum.from_format(f"{quarter} 10:00", "YYYY-MM-DD HH:mm", tz="America/Chicago")
        clock.move_to(max(clock.now(), due))
        program.disburse("G-B", DEPARTMENT)
    assert Decimal("3000.00") == program.grant("G-B").disbursed
    program.terminate("G-B", DIRECTOR, reason="documented cause")
    (note,) = [e for e in program.events("cycle:1") if e.type == EventType.FUNDS_RETURNED]
    assert ("G-B", "9000.00") == (note.payload["from_grant"], note.payload["free"])
    assert "below the minimum award of $10,000.00 (15(h))" in note.payload["reason"]
    assert (State.APPLIED, None) == (program.grant("G-C").state, program.grant("G-C").referred_from)
    assert ["G-C"] == [e.grant_id for e in program.queue(1)]
    assert () == verify(program.store).findings


@pytest.mark.cite("15(j)", "15(a)")
def test_an_offer_is_held_for_its_application_against_direct_approvals() -> None:
    program = _program("100000.00")
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    register_and_apply(program, "C", amount="50000.00")
    program.decline("G-B", ACTORS.employer("B"))
    assert "G-B" == program.grant("G-C").referred_from  # offered the $50,000
    register_and_apply(program, "D", amount="30000.00")
    with pytest.raises(TransitionRefused) as refused:
        program.approve("G-D", "30000.00", DIRECTOR)
    (problem,) = refused.value.problems
    assert ("15(a)", "15(j)") == problem.cites
    assert "$30,000.00 exceeds the $0.00 the cycle has left (besides $50,000.00 offered" in (
        problem.reason
    )
    assert State.APPROVED is program.approve("G-C", "50000.00", DIRECTOR).state
    assert () == verify(program.store).findings


@pytest.mark.cite("15(j)")
def test_verify_finds_a_cascade_whose_later_referral_was_removed() -> None:
    program = _program("100000.00")
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    for employer in ("C", "D", "E"):
        register_and_apply(program, employer, amount="20000.00")
    program.decline("G-B", ACTORS.employer("B"))
    assert {"G-C", "G-D", "G-E"} == {g.id for g in program.grants() if g.referred_from}
    items = _items(program)
    assert () == verify(items).findings
    (finding,) = verify(_without(items, "G-E", EventType.REFERRED)).findings
    assert (Kind.GUARD_FAILED, ("15(j)",), "G-B") == (
        finding.kind, finding.cites, finding.stream_id
    )  # fmt: skip
    assert "still reach G-E, the head of the queue ($10,000.00 of $10,000.00 free)" in (
        finding.message
    )


@pytest.mark.cite("15(j)")
def test_verify_finds_an_automatic_approval_removed_from_the_log() -> None:
    program = _program("100000.00", auto=True)
    _approved(program, ("A", "50000.00"), ("B", "50000.00"))
    register_and_apply(program, "C", amount="25000.00")
    program.decline("G-B", ACTORS.employer("B"))
    assert State.APPROVED is program.grant("G-C").state
    items = _items(program)
    assert () == verify(items).findings
    (finding,) = verify(_without(items, "G-C", EventType.APPROVED)).findings
    assert (Kind.GUARD_FAILED, "G-C") == (finding.kind, finding.stream_id)
    assert "says the system approved it" in finding.message
    assert "no approval of it by the command of Declined of G-B" in finding.message
