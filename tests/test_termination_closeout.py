"""Termination, repayment and close-out: where the money goes (15(a), 15(j)), which
records a close-out needs (15(f), 20(a)), and that the certificate is never touched
(15(m)); replay and verify of such a log on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pendulum
import pytest

from choice_workflow import (
    Actor,
    ManualClock,
    NotPermitted,
    Program,
    Rules,
    State,
    TransitionRefused,
)
from choice_workflow.audit import Item, Kind, replay, verify
from choice_workflow.domain.performance import PerformanceRecord
from choice_workflow.domain.wages import WageRecord
from choice_workflow.events import EventType, canonical_json
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.lifecycle.corrections import Cause
from choice_workflow.rules import NextApplicant, Shortfall
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.base import Store
from choice_workflow.store.sql import SqlStore
from choice_workflow.testing.scenarios import START, Actors

CHICAGO = "America/Chicago"
ACTORS = Actors()
DIRECTOR, DEPARTMENT, EVALUATOR = ACTORS.director, ACTORS.department, ACTORS.evaluator
_prefixes = itertools.count()
OLDER = attrs.evolve(
    Rules.illinois(), next_applicant=NextApplicant.WAITLIST, shortfall=Shortfall.PRO_RATA
)
"""The waitlist and pro-rata readings these scenarios were written for (the queue's
termination case is in test_queue.py)."""


def _employer(n: int) -> Actor:
    return ACTORS.employer(f"E{n}")


def _today(program: Program) -> dt.date:
    return program.clock.now().in_timezone(CHICAGO).date()


def _clock(program: Program) -> ManualClock:
    clock = program.clock
    assert isinstance(clock, ManualClock)
    return clock


def _waitlisted(
    *,
    rules: Rules | None = None,
    store: Store | None = None,
    counties: tuple[str, ...] = ("Cook", "Cook", "Cook"),
    amend_first: bool = False,
) -> Program:
    """$25,000 for three $30,000 requests: G1 and G2 are approved at the $10,000 minimum
    and accept; $5,000 is left and G3 waits on the waitlist (15(j)), under the older
    readings unless ``rules`` says otherwise."""
    clock = ManualClock(START)
    program = Program(store, clock=clock, rules=rules or OLDER)
    program.open_cycle(1, DIRECTOR, appropriation="25000.00")
    for n, county in enumerate(counties, start=1):
        program.register_employer(
            sample_employer(f"E{n}", at=clock.now(), county=county), DEPARTMENT
        )
        program.apply(
            sample_application(f"E{n}", at=clock.now(), amount="30000.00"),
            _employer(n),
            grant_id=f"G{n}",
        )
    if amend_first:
        amended = attrs.evolve(program.application("G1"), coordination="With DHS-DRS only.")
        program.amend("G1", amended, _employer(1), reason="coordination changed")
    selection = program.select_awards(1, DIRECTOR)
    for proposal in selection.proposals:
        program.approve(proposal.grant_id, proposal.amount, DIRECTOR)
        program.confirm_notice(
            proposal.grant_id, DEPARTMENT, channel="email", confirmed_at=clock.now()
        )
        program.accept(proposal.grant_id, _employer(int(proposal.grant_id[1:])))
    return program


def _wages(program: Program, hourly: str = "16.00") -> list[WageRecord]:
    return [
        WageRecord(
            employee_id="w1", paid_on=_today(program), hourly=Decimal(hourly), has_disability=True
        )
    ]


def _disburse_all(program: Program, gid: str) -> None:
    """Pay every instalment on its due date (every 3 months from the acceptance)."""
    accepted = program.grant(gid).accepted_at
    assert accepted is not None
    for k in range(program.grant(gid).instalments, program.rules.disbursement_quarters):
        due = accepted.in_timezone(CHICAGO).add(months=3 * k)
        if program.clock.now() < due:
            _clock(program).move_to(due)
        program.disburse(gid, DEPARTMENT)


def _period_end(program: Program, gid: str) -> pendulum.DateTime:
    accepted = program.grant(gid).accepted_at
    assert accepted is not None
    return accepted.in_timezone(CHICAGO).add(years=program.rules.grant_period_years)


def _to_close_out(program: Program, gid: str, employer: Actor) -> None:
    """Transition, every instalment, the final wage report, the evaluation, the period's end."""
    if program.grant(gid).state is State.ACCEPTED:
        program.begin_transition(gid, employer, started_at=program.clock.now())
    _disburse_all(program, gid)
    program.record_wages(gid, employer, _wages(program), final=True)
    program.evaluate(gid, EVALUATOR)
    _clock(program).move_to(_period_end(program, gid))


def _reasons(problems: tuple[object, ...]) -> list[str]:
    return [str(getattr(p, "reason", p)) for p in problems]


# -- termination: the undisbursed amount goes to the next applicant (15(j)) ------------


@pytest.mark.cite("15(j)", "15(a)")
def test_a_terminated_grants_undisbursed_funds_go_to_the_next_waitlisted_applicant() -> None:
    program = _waitlisted()
    assert Decimal("5000.00") == program.cycle(1).available
    program.disburse("G1", DEPARTMENT)  # $833.34 paid, $9,166.66 not
    terminated = program.terminate("G1", DIRECTOR, reason="documented cause")
    cycle = program.cycle(1)
    assert (Decimal("10000.00"), Decimal("833.34"), Decimal("14166.66")) == (
        cycle.reserved,
        cycle.disbursed,
        cycle.available,
    )
    assert ("G3",) == cycle.referred
    referral = program.events("G3")[-1]
    assert EventType.REFERRED == referral.type
    assert {
        "from_grant": "G1",
        "reason": "terminated",
        "offered": "10000.00",
        "available": "14166.66",
    } == dict(referral.payload)
    assert program.events("G1")[-1].command_id == referral.command_id  # one unit of work
    g3 = program.grant("G3")
    assert (State.APPLIED, "G1") == (g3.state, g3.referred_from)
    assert (State.TERMINATED, Decimal("833.34")) == (terminated.state, terminated.disbursed)
    assert State.APPROVED == program.approve("G3", "10000.00", DIRECTOR).state
    assert Decimal("4166.66") == program.cycle(1).available


@pytest.mark.cite("15(j)", "15(a)")
def test_with_the_automatic_reading_the_next_applicant_is_approved_at_the_termination() -> None:
    program = _waitlisted(rules=attrs.evolve(OLDER, auto_approve_next=True))
    program.disburse("G1", DEPARTMENT)
    program.terminate("G1", DIRECTOR, reason="documented cause")
    g3 = program.grant("G3")
    assert (State.APPROVED, Decimal("10000.00"), "G1") == (g3.state, g3.amount, g3.referred_from)
    approval = program.events("G3")[-1]
    assert (EventType.APPROVED, "system") == (approval.type, approval.actor_role)
    cycle = program.cycle(1)
    assert (Decimal("20000.00"), Decimal("833.34"), Decimal("4166.66")) == (
        cycle.reserved,
        cycle.disbursed,
        cycle.available,
    )


@pytest.mark.cite("15(j)", "15(d)")
def test_the_next_applicant_comes_from_the_terminated_grants_stratum_first() -> None:
    program = _waitlisted(counties=("Cook", "Jackson", "Cook", "Jackson"))
    funded = sorted(g.id for g in program.grants(State.ACCEPTED))
    waiting = sorted(g.id for g in program.grants(State.APPLIED))
    assert (2, 2) == (len(funded), len(waiting))
    for gid in funded:
        terminated = gid
        county = program.employer(program.grant(gid).employer_id).county
        program.disburse(gid, DEPARTMENT)
        program.terminate(gid, DIRECTOR, reason="documented cause")
        [referred] = [g for g in program.grants() if g.referred_from == terminated]
        assert county == program.employer(referred.employer_id).county
        program.deny(referred.id, DIRECTOR, reason="no longer eligible")


@pytest.mark.cite("15(a)", "15(b)(11)(C)")
def test_a_receivable_is_at_most_what_was_disbursed() -> None:
    program = _waitlisted()
    program.disburse("G1", DEPARTMENT)
    for too_much in ("833.35", "-0.01"):
        with pytest.raises(TransitionRefused, match="receivable"):
            program.terminate(
                "G1", DIRECTOR, reason="false", cause=Cause.FALSE_ASSURANCE, repay=too_much
            )
    assert State.ACCEPTED == program.grant("G1").state
    grant = program.terminate(
        "G1", DIRECTOR, reason="false assurance", cause=Cause.FALSE_ASSURANCE, repay="833.34"
    )
    assert (Decimal("833.34"), Decimal("0.00"), Decimal("833.34")) == (
        grant.receivable,
        grant.repaid,
        grant.outstanding,
    )
    payload = dict(program.events("G1")[-1].payload)
    retain_until = payload.pop("retain_until")
    assert {
        "reason": "false assurance",
        "cause": "false_assurance",
        "evidence": [],
        "repay": "833.34",
    } == payload
    # 2 CFR 200.334: a terminated grant's records are kept from its termination.
    ended = grant.ended_at
    assert ended is not None
    expected = ended.in_timezone("America/Chicago").add(years=program.rules.retention_years)
    assert expected == grant.retain_until == pendulum.parse(retain_until)


@pytest.mark.cite("15(a)")
def test_repayments_return_to_the_cycle_up_to_what_is_outstanding() -> None:
    program = _waitlisted()
    program.disburse("G1", DEPARTMENT)
    program.terminate("G1", DIRECTOR, reason="false assurance", repay="833.34")
    available = program.cycle(1).available
    program.record_repayment("G1", "500.00", DEPARTMENT)
    assert available + Decimal("500.00") == program.cycle(1).available
    assert Decimal("333.34") == program.cycle(1).disbursed
    assert Decimal("333.34") == program.grant("G1").outstanding
    event = program.events("G1")[-1]
    assert (EventType.REPAYMENT_RECEIVED, "500.00") == (event.type, event.payload["amount"])
    for wrong in ("333.35", "0.00", "-5.00"):
        with pytest.raises(TransitionRefused, match="outstanding"):
            program.record_repayment("G1", wrong, DEPARTMENT)
    program.record_repayment("G1", "333.34", DEPARTMENT)
    assert (Decimal("0.00"), available + Decimal("833.34")) == (
        program.grant("G1").outstanding,
        program.cycle(1).available,
    )
    with pytest.raises(TransitionRefused, match="outstanding"):
        program.record_repayment("G1", "0.01", DEPARTMENT)
    assert State.TERMINATED == program.grant("G1").state


@pytest.mark.cite("15(a)")
def test_a_repayment_needs_a_terminated_grant_with_a_receivable_and_the_department() -> None:
    program = _waitlisted()
    program.disburse("G1", DEPARTMENT)
    with pytest.raises(TransitionRefused, match="accepted"):
        program.record_repayment("G1", "100.00", DEPARTMENT)
    program.terminate("G1", DIRECTOR, reason="documented cause")
    with pytest.raises(TransitionRefused, match="outstanding"):
        program.record_repayment("G1", "100.00", DEPARTMENT)
    with pytest.raises(NotPermitted):
        program.record_repayment("G1", "100.00", DIRECTOR)
    assert Decimal("0.00") == program.grant("G1").repaid


# -- causes and their evidence -----------------------------------------------------


def _with_records(program: Program) -> tuple[int, int]:
    """G1 transitioning, with a wage report and a performance record: their versions."""
    program.begin_transition("G1", _employer(1), started_at=program.clock.now())
    _clock(program).advance(days=7)
    wages = program.record_wages("G1", _employer(1), _wages(program, "6.00")).version
    day = _today(program)
    record = PerformanceRecord(
        period_start=day - dt.timedelta(days=6), period_end=day, employee_id="w1",
        task_durations=(dt.timedelta(minutes=90),), mental_health_breaks=(),
        physical_health_breaks=(),
    )  # fmt: skip
    performance = program.record_performance("G1", EVALUATOR, [record]).version
    return wages, performance


@pytest.mark.cite("15(c)", "15(l)")
def test_a_performance_or_wage_floor_termination_cites_its_evidence() -> None:
    program = _waitlisted()
    wages, performance = _with_records(program)
    missing = program.may_terminate("G1", DIRECTOR, reason="r", cause=Cause.PERFORMANCE)
    assert [("15(c)",)] == [p.cites for p in missing]
    assert "cites the recorded PerformanceRecorded" in missing[0].reason
    missing = program.may_terminate("G1", DIRECTOR, reason="r", cause=Cause.WAGE_FLOOR)
    assert [("15(l)",)] == [p.cites for p in missing]
    wrong = program.may_terminate(
        "G1", DIRECTOR, reason="r", cause=Cause.PERFORMANCE, evidence=(wages,)
    )
    assert [f"evidence version {wages} is not a recorded PerformanceRecorded of the grant"] == (
        _reasons(wrong)
    )
    wrong = program.may_terminate(
        "G1", DIRECTOR, reason="r", cause=Cause.WAGE_FLOOR, evidence=(performance, 999)
    )
    assert 2 == len(wrong)
    assert () == program.may_terminate(
        "G1", DIRECTOR, reason="r", cause=Cause.PERFORMANCE, evidence=(performance,)
    )
    with pytest.raises(TransitionRefused, match="cites the recorded WagesRecorded"):
        program.terminate("G1", DIRECTOR, reason="paid $6.00", cause=Cause.WAGE_FLOOR)
    grant = program.terminate(
        "G1", DIRECTOR, reason="paid $6.00", cause="wage_floor", evidence=(wages,)
    )
    assert (State.TERMINATED, "wage_floor") == (grant.state, grant.cause)
    assert [wages] == program.events("G1")[-1].payload["evidence"]


@pytest.mark.cite("15(b)(11)(C)", "15(b)(11)")
def test_an_unknown_cause_or_evidence_that_does_not_exist_is_refused() -> None:
    program = _waitlisted()
    with pytest.raises(TransitionRefused, match="unknown termination cause 'whim'"):
        program.terminate("G1", DIRECTOR, reason="r", cause="whim")
    with pytest.raises(TransitionRefused, match="evidence version 99"):
        program.terminate("G1", DIRECTOR, reason="r", cause=Cause.OTHER, evidence=(99,))
    with pytest.raises(TransitionRefused, match="reason"):
        program.terminate("G1", DIRECTOR, reason="  ", cause=Cause.FALSE_ASSURANCE)
    with pytest.raises(NotPermitted):
        program.terminate("G1", DEPARTMENT, reason="r")
    assert State.ACCEPTED == program.grant("G1").state
    assert [] == [g.id for g in program.grants() if g.referred_from]


@pytest.mark.cite("15(m)", "25")
def test_termination_and_close_out_leave_the_certificate_as_it_was() -> None:
    program = _waitlisted()
    before = [program.employer(e) for e in ("E1", "E2")]
    streams = [len(program.events(f"employer:{e}")) for e in ("E1", "E2")]
    program.disburse("G1", DEPARTMENT)
    program.terminate("G1", DIRECTOR, reason="false assurance", cause=Cause.FALSE_ASSURANCE)
    _to_close_out(program, "G2", _employer(2))
    program.close_out("G2", DEPARTMENT)
    assert before == [program.employer(e) for e in ("E1", "E2")]
    assert streams == [len(program.events(f"employer:{e}")) for e in ("E1", "E2")]
    assert (State.TERMINATED, State.CLOSED) == (
        program.grant("G1").state,
        program.grant("G2").state,
    )


# -- close-out (15(f), 20(a)) --------------------------------------------------------


MISSING_PERIOD = "the 3-year grant period runs until"
MISSING_WAGES = "the final wage report is missing"
MISSING_EVALUATION = "the evaluation is missing"


def _missing_payment(paid: int) -> str:
    return f"the final disbursement is missing: {paid} of 12 instalments paid"


@pytest.mark.cite("15(f)", "20(a)(1)", "20(a)(2)")
def test_a_close_out_names_each_missing_record_until_none_is_left() -> None:
    program = _waitlisted()
    program.begin_transition("G1", _employer(1), started_at=program.clock.now())
    end = _period_end(program, "G1")
    with pytest.raises(TransitionRefused) as refused:
        program.close_out("G1", DEPARTMENT)
    expected = [
        f"{MISSING_PERIOD} {end.format('YYYY-MM-DD HH:mm:ss zz')}",
        _missing_payment(0),
        MISSING_WAGES,
        MISSING_EVALUATION,
    ]
    assert expected == _reasons(refused.value.problems)
    assert [("15(f)",), ("15(f)", "15(a)"), ("20(a)(1)",), ("20(a)(1)", "20(a)(2)")] == [
        p.cites for p in refused.value.problems
    ]
    assert expected == _reasons(program.may_close_out("G1", DEPARTMENT))

    program.disburse("G1", DEPARTMENT)
    expected[1] = _missing_payment(1)
    assert expected == _reasons(program.may_close_out("G1", DEPARTMENT))
    _disburse_all(program, "G1")
    del expected[1]
    assert expected == _reasons(program.may_close_out("G1", DEPARTMENT))
    program.record_wages("G1", _employer(1), _wages(program))  # not the final one
    assert expected == _reasons(program.may_close_out("G1", DEPARTMENT))
    program.record_wages("G1", _employer(1), _wages(program), final=True)
    expected.remove(MISSING_WAGES)
    assert expected == _reasons(program.may_close_out("G1", DEPARTMENT))
    program.evaluate("G1", EVALUATOR)
    expected.remove(MISSING_EVALUATION)
    assert expected == _reasons(program.may_close_out("G1", DEPARTMENT))
    _clock(program).move_to(end.subtract(microseconds=1))
    assert expected == _reasons(program.may_close_out("G1", DEPARTMENT))
    _clock(program).move_to(end)
    assert () == program.may_close_out("G1", DEPARTMENT)
    assert State.CLOSED == program.close_out("G1", DEPARTMENT).state


@pytest.mark.cite("15(f)", "20(a)(1)")
def test_a_final_wage_report_is_not_unmarked_before_close_out() -> None:
    program = _waitlisted()
    _to_close_out(program, "G1", _employer(1))
    final = program.grant("G1").final_wages_version
    assert final is not None
    with pytest.raises(TransitionRefused, match="not unmarked"):
        program.correct("G1", _employer(1), corrects=final, reason="one more due", final=False)
    assert () == program.may_close_out("G1", DEPARTMENT)


@pytest.mark.cite("15(f)", "15(a)")
def test_unspent_funds_returned_at_close_out_go_back_to_the_cycle() -> None:
    program = _waitlisted()
    _to_close_out(program, "G1", _employer(1))
    paid = program.grant("G1").disbursed
    too_much = paid + Decimal("0.01")
    refused = program.may_close_out("G1", DEPARTMENT, unspent=too_much)
    assert ["unspent"] == [p.field for p in refused]
    before = program.cycle(1)
    closed = program.close_out("G1", DEPARTMENT, unspent="1250.00")
    assert Decimal("1250.00") == closed.unspent
    after = program.cycle(1)
    assert before.disbursed - Decimal("1250.00") == after.disbursed
    assert before.available + Decimal("1250.00") == after.available
    assert () == after.referred
    assert verify(program.store).ok


@pytest.mark.cite("15(f)", "15(a)", "15(j)")
def test_a_close_out_returns_what_is_unspent_and_refers_nobody() -> None:
    program = _waitlisted()
    _to_close_out(program, "G1", _employer(1))
    # More funds than a minimum award are free and G3 waits: a release by termination
    # would refer G3, a close-out does not.
    program.set_appropriation(1, "40000.00", DIRECTOR)
    before = program.cycle(1)
    assert before.available >= program.rules.min_award
    closed = program.close_out("G1", DIRECTOR)
    event = program.events("G1")[-1]
    assert (EventType.CLOSED_OUT, "0.00") == (event.type, event.payload["unspent"])
    assert closed.amount == closed.disbursed
    after = program.cycle(1)
    assert (before.reserved, before.disbursed, before.available) == (
        after.reserved,
        after.disbursed,
        after.available,
    )
    assert () == after.referred
    assert [EventType.APPLIED] == [e.type for e in program.events("G3")]


@pytest.mark.cite("15(f)")
def test_only_the_department_or_the_director_closes_out_and_closed_is_final() -> None:
    program = _waitlisted()
    _to_close_out(program, "G1", _employer(1))
    for actor in (_employer(1), EVALUATOR, ACTORS.auditor):
        with pytest.raises(NotPermitted):
            program.close_out("G1", actor)
    program.close_out("G1", DEPARTMENT)
    assert program.grant("G1").is_final
    with pytest.raises(TransitionRefused, match="a final state"):
        program.terminate("G1", DIRECTOR, reason="too late")
    with pytest.raises(TransitionRefused, match="a final state"):
        program.close_out("G1", DEPARTMENT)
    with pytest.raises(TransitionRefused, match="a final state"):
        program.record_wages("G1", _employer(1), _wages(program))
    # a closed grant's records may still be corrected (nothing moves it from closed)
    final = program.grant("G1").final_wages_version
    assert final is not None
    program.correct("G1", _employer(1), corrects=final, reason="typo", wages=_wages(program))
    assert State.CLOSED == program.grant("G1").state


@pytest.mark.cite("15(f)")
def test_a_terminated_or_merely_accepted_grant_is_not_closed_out() -> None:
    program = _waitlisted()
    program.terminate("G1", DIRECTOR, reason="documented cause")
    with pytest.raises(TransitionRefused, match="terminated"):
        program.close_out("G1", DEPARTMENT)
    with pytest.raises(TransitionRefused, match="accepted"):
        program.close_out("G2", DEPARTMENT)


# -- replay and verify of such a log (SQLite, PostgreSQL) -------------------------------


def _full_log(store: Store) -> tuple[Program, int]:
    """An amended application (G1) closed out and held; a termination with a receivable
    and two repayments (G2); its referral approved, accepted, terminated (G3); a
    corrected wage report and a re-evaluation. Returns the program and the version of
    the corrected wage report."""
    program = _waitlisted(store=store, amend_first=True)
    program.disburse("G2", DEPARTMENT)
    program.terminate("G2", DIRECTOR, reason="false assurance", cause="false_assurance",
                      repay="833.34")  # fmt: skip
    program.record_repayment("G2", "500.00", DEPARTMENT)
    program.record_repayment("G2", "333.34", DEPARTMENT)
    program.approve("G3", "10000.00", DIRECTOR)
    program.confirm_notice("G3", DEPARTMENT, channel="email", confirmed_at=program.clock.now())
    program.accept("G3", _employer(3))
    wages, _ = _with_records(program)
    program.correct("G1", _employer(1), corrects=wages, reason="keyed wrong",
                    wages=_wages(program, "16.00"))  # fmt: skip
    _to_close_out(program, "G1", _employer(1))
    program.reevaluate("G1", EVALUATOR, reason="wages corrected")
    program.close_out("G1", DEPARTMENT)
    program.place_hold("G1", DIRECTOR, reason="State audit")
    program.terminate("G3", DIRECTOR, reason="documented cause")
    return program, wages


def _check_full_log(store: Store) -> None:
    program, wages = _full_log(store)
    report = verify(store)
    assert () == report.findings
    assert {"G1": State.CLOSED, "G2": State.TERMINATED, "G3": State.TERMINATED} == {
        gid: g.state for gid, g in report.grants.items()
    }
    evaluated = next(e.version for e in program.events("G1") if e.type == EventType.EVALUATED)
    assert [
        ("G1", EventType.AMENDED, None, ("coordination",), "coordination changed"),
        ("G1", EventType.CORRECTED, wages, ("records",), "keyed wrong"),
        ("G1", EventType.CORRECTED, evaluated, ("evaluation",), "wages corrected"),
    ] == [(c.stream_id, c.kind, c.corrects, c.fields, c.reason) for c in report.corrections]
    assert program.cycle(1) == report.cycles[1]
    assert report.grants["G1"].on_hold
    g2 = report.grants["G2"]
    assert (Decimal("833.34"), Decimal("833.34")) == (g2.receivable, g2.repaid)
    assert "G2" == report.grants["G3"].referred_from
    again = replay(store)
    assert () == again.findings
    assert report.grants == again.grants


@pytest.fixture(
    name="sql_store", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fixture_sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path / 'closeout.sqlite'}")
    else:
        store = SqlStore(request.getfixturevalue("pg_url"), prefix=f"tc{next(_prefixes)}_")
    yield store
    store.dispose()


@pytest.mark.cite("15(a)", "15(f)", "15(j)", "20(a)(1)", "15(b)", "2 CFR 200.334")
def test_a_log_with_amendments_corrections_terminations_and_close_outs_verifies(
    sql_store: SqlStore,
) -> None:
    _check_full_log(sql_store)


@pytest.mark.cite("15(a)")
def test_verify_finds_a_repayment_beyond_the_receivable(sql_store: SqlStore) -> None:
    # The first repayment is forged to $900.00 of an $833.34 receivable, and G2's chain
    # recomputed: only the repeated guard can catch it.
    _full_log(sql_store)
    items: list[Item] = []
    prev, forged = GENESIS, False
    for s in sql_store.stored_events():
        item = Item(s.position, s.record, s.prev_hash, s.hash)
        if s.event.stream_id == "G2":
            record = json.loads(s.record)
            if record["type"] == EventType.REPAYMENT_RECEIVED and not forged:
                record["payload"]["amount"] = "900.00"
                item = attrs.evolve(item, record=canonical_json(record))
                forged = True
            digest = link(prev, item.record)
            item = attrs.evolve(item, prev_hash=prev, hash=digest)
            prev = digest
        items.append(item)
    findings = [(f.kind, f.stream_id) for f in verify(items).findings]
    assert (Kind.GUARD_FAILED, "G2") in findings
