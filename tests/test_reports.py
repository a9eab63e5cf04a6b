"""Reports: the 20(b) final report, the 35(c) Task Force report, and their formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from choice_workflow import Actor, InvalidInput, ManualClock, Program, Role, Rules, State
from choice_workflow.audit import export_log
from choice_workflow.cli import main
from choice_workflow.domain import Headcount, WageRecord
from choice_workflow.domain.privacy import SMALL_HIGH, SMALL_LOW
from choice_workflow.reports import (
    FORMATS,
    Appointment,
    Authority,
    Meeting,
    Purpose,
    Recommendation,
    Seat,
    TaskForceRecord,
    check_roster,
    final_report,
    program_data,
    render,
    report_number,
    report_period,
    task_force_report,
    write_report,
)
from choice_workflow.reports.evaluations import evaluation_from_data
from choice_workflow.reports.render_csv import HEADER
from choice_workflow.rules import NextApplicant, Shortfall
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.base import Store
from choice_workflow.store.memory import MemoryStore
from choice_workflow.store.sql import SqlStore
from choice_workflow.testing.scenarios import START, approve_and_accept, register_and_apply
from choice_workflow.time.calendar import task_force_report_due
from tests.snapshot import check_snapshot

CHICAGO = "America/Chicago"
DEPARTMENT = Actor("dol", Role.DEPARTMENT)
DIRECTOR = Actor("director", Role.DIRECTOR)
EVALUATOR = Actor("evaluator", Role.EVALUATOR)
COUNTIES = ("Cook", "Champaign", "Jackson", "Peoria", "Winnebago", "Sangamon", "Adams", "McLean")
GROUPS = (4, 13, 16, 18, 12, 21)
"""Employees with a disability of each grant holder, in grant order: the first is a
small group (suppressed, its wage statistics withheld)."""
CENT = Decimal("0.01")
SNAPSHOT_AS_OF = pendulum.datetime(2031, 9, 20, 12, tz=CHICAGO)


def _employer(employer_id: str) -> Actor:
    return Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id)


def _local_day(program: Program) -> dt.date:
    now = program.clock.now().in_timezone(CHICAGO)
    return dt.date(now.year, now.month, now.day)


def sample_program(store: Store | None = None, seed: int = 2030) -> Program:
    """A seeded program on a ManualClock: 8 employers apply in cycle 1 (80% of their
    requests appropriated); one declines, one lets its approval lapse; the 6 grant
    holders report wages every quarter from June 2030 to September 2031 and head counts
    before and after; 5 are evaluated, the last is not yet. Under the older readings of
    15(j) and of a shortfall (a selection's waitlist, awards reduced pro rata), which
    these reports were written for."""
    rng = random.Random(seed)
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz=CHICAGO))
    older = attrs.evolve(
        Rules.illinois(), next_applicant=NextApplicant.WAITLIST, shortfall=Shortfall.PRO_RATA
    )
    program = Program(store if store is not None else MemoryStore(), clock=clock, rules=older)
    ids = [f"E{n:02d}" for n in range(1, len(COUNTIES) + 1)]
    for n, eid in enumerate(ids):
        served = rng.choice((8, 15, 30, 60, 120))
        employer = sample_employer(
            eid, at=clock.now(), county=COUNTIES[n], individuals_served_14c=served
        )
        program.register_employer(employer, DEPARTMENT)
        amount = f"{rng.randrange(15_000, 45_001, 500)}.00"
        application = sample_application(eid, at=clock.now(), amount=amount)
        program.apply(application, _employer(eid), grant_id=f"G-{eid}")
    demand = sum((program.grant(f"G-{e}").amount_requested for e in ids), Decimal(0))
    program.open_cycle(1, DIRECTOR, appropriation=(demand * Decimal("0.8")).quantize(CENT))
    proposals = program.select_awards(1, DIRECTOR).proposals
    for k, proposal in enumerate(proposals):
        program.approve(proposal.grant_id, proposal.amount, DIRECTOR)
        program.confirm_notice(
            proposal.grant_id, DEPARTMENT, channel="email", confirmed_at=clock.now()
        )
        actor = _employer(program.grant(proposal.grant_id).employer_id)
        if k == 2:
            program.decline(proposal.grant_id, actor, reason="board decided to wait")
        elif k < len(proposals) - 1:
            program.accept(proposal.grant_id, actor)
    clock.advance(hours=49)
    program.sweep()  # the last approval lapses (15(j))
    holders = [g.id for g in program.grants(State.ACCEPTED)]
    size = dict(zip(holders, GROUPS, strict=False))
    baseline: dict[str, list[Decimal]] = {}
    for gid in holders:
        actor = _employer(program.grant(gid).employer_id)
        baseline[gid] = [Decimal(rng.randrange(500, 900)) / 100 for _ in range(size[gid])]
        program.record_wages(
            gid,
            actor,
            [
                WageRecord(
                    employee_id=f"P{i:02d}", paid_on=dt.date(2030, 6, 28), hourly=w,
                    has_disability=True, baseline_14c=w,
                )
                for i, w in enumerate(baseline[gid])
            ],
        )  # fmt: skip
        program.record_headcount(
            gid,
            actor,
            Headcount(
                quarter_start=dt.date(2030, 4, 1),
                employees=size[gid] + 20,
                employees_with_disability=size[gid],
                at_or_above_minimum=0,
            ),
        )
        program.begin_transition(gid, actor, started_at=clock.now())
    for step, month in enumerate((9, 12, 15, 18, 21), start=1):
        year, month = 2030 + (month - 1) // 12, (month - 1) % 12 + 1
        clock.move_to(pendulum.datetime(year, month, 15, 9, tz=CHICAGO))
        for gid in holders:
            actor = _employer(program.grant(gid).employer_id)
            rows = []
            for i, base in enumerate(baseline[gid]):
                raise_ = Decimal(step) * Decimal("1.70") + Decimal(rng.randrange(0, 60)) / 100
                hourly = min(base + raise_, Decimal("16.50"))
                if gid == holders[1] and step == 3 and i < 2:
                    hourly = Decimal("9.00")  # below the 70% floor of 2031 (15(l)(2))
                rows.append(
                    WageRecord(
                        employee_id=f"P{i:02d}", paid_on=_local_day(program), hourly=hourly,
                        has_disability=True, baseline_14c=base,
                    )
                )  # fmt: skip
            program.record_wages(gid, actor, rows)
            if not program.may_disburse(gid, DEPARTMENT):
                program.disburse(gid, DEPARTMENT)
    for n, gid in enumerate(holders):
        program.record_headcount(
            gid,
            _employer(program.grant(gid).employer_id),
            Headcount(
                quarter_start=dt.date(2031, 7, 1),
                employees=size[gid] + 22,
                employees_with_disability=size[gid],
                at_or_above_minimum=size[gid] - (1 if n == 2 else 0),
            ),
        )
    for gid in holders[:-1]:
        program.evaluate(gid, EVALUATOR)
    return program


def full_roster(start: dt.date = dt.date(2030, 3, 1)) -> list[Appointment]:
    """One appointment per seat, each by its own appointing authority."""
    return [
        Appointment(
            member=f"member-{n}",
            seat=seat,
            appointed_by=seat.authority,
            start=start,
            designee=seat is Seat.HEALTHCARE_AND_FAMILY_SERVICES,
        )
        for n, seat in enumerate(Seat, start=1)
    ]


def sample_record() -> TaskForceRecord:
    """The Task Force's record: a full roster, meetings in 2030 and 2031, and one
    recommendation per purpose of 35(a)."""
    members = [f"member-{n}" for n in range(1, 12)]
    return TaskForceRecord(
        appointments=full_roster(),
        meetings=[
            Meeting(
                date=dt.date(2030, 4, 15),
                attendees=members[:9],
                purposes={Purpose.GUIDANCE, Purpose.CONTINUED_USE},
                summary="First meeting: scope of the Task Force's work",
            ),
            Meeting(
                date=dt.date(2031, 3, 10),
                attendees=members[:8],
                purposes={Purpose.PROGRESS, Purpose.BARRIERS},
                summary="Review of the first cycle; transportation barriers",
            ),
            Meeting(
                date=dt.date(2031, 9, 8),
                attendees=members,
                purposes={Purpose.PROGRESS},
            ),
        ],
        recommendations=[
            Recommendation(
                date=dt.date(2030, 4, 15),
                purpose=Purpose.GUIDANCE,
                text="Publish the application guidance before cycle 1 opens.",
            ),
            Recommendation(
                date=dt.date(2031, 3, 10),
                purpose=Purpose.BARRIERS,
                text="Fund transportation for employees in rural counties.",
            ),
            Recommendation(
                date=dt.date(2031, 3, 10),
                purpose=Purpose.CONTINUED_USE,
                text="Keep 14(c) certificates in force until the Task Force agrees on funding.",
            ),
        ],
    )


def one_grant_holder() -> Program:
    """A program of one grant, G-E1, accepted on July 1, 2030."""
    program = Program(clock=ManualClock(START))
    register_and_apply(program, "E1")
    approve_and_accept(program, "G-E1")
    return program


@pytest.fixture(name="program", scope="module")
def fixture_program() -> Program:
    return sample_program()


def _json(value: str) -> Any:
    return json.loads(value)


# -- 20(b): the final report --------------------------------------------------------


@pytest.mark.cite("20(b)")
def test_the_final_report_is_due_18_months_after_the_effective_date(program: Program) -> None:
    report = final_report(program, as_of=SNAPSHOT_AS_OF)
    assert dt.date(2031, 7, 1) == report.due


@pytest.mark.cite("20(b)")
@pytest.mark.parametrize(
    ("as_of", "late"),
    [
        (pendulum.datetime(2031, 6, 30, 12, tz=CHICAGO), False),
        (pendulum.datetime(2031, 7, 1, 0, tz=CHICAGO), False),
        (pendulum.datetime(2031, 7, 1, 23, 59, 59, 999999, tz=CHICAGO), False),
        (pendulum.datetime(2031, 7, 2, 0, tz=CHICAGO), True),
        (pendulum.datetime(2031, 9, 20, 12, tz=CHICAGO), True),
    ],
    ids=["june-30", "july-1-midnight", "july-1-last-instant", "july-2", "september"],
)
def test_the_final_report_is_late_only_after_july_1_2031_in_chicago(
    program: Program, as_of: pendulum.DateTime, late: bool
) -> None:
    report = final_report(program, as_of=as_of)
    assert late == report.late
    assert late == _json(render(report, "json"))["late"]
    assert ("late" if late else "not late") == dict(report.document().facts)["status"]


@pytest.mark.cite("20(b)")
def test_the_day_of_an_instant_is_read_in_chicago_not_in_utc(program: Program) -> None:
    # 2031-07-02T03:00Z is still July 1 in Chicago: not late.
    assert not final_report(program, as_of=pendulum.datetime(2031, 7, 2, 3, tz="UTC")).late


@pytest.mark.cite("20(b)", "15(f)")
def test_the_final_report_says_it_falls_due_before_any_grant_period_ends(
    program: Program,
) -> None:
    report = final_report(program, as_of=SNAPSHOT_AS_OF)
    assert dt.date(2033, 7, 1) == report.earliest_period_end
    assert report.due_before_any_period_ends
    assert "before any 3-year grant period (15(f)) can end" in report.timing()
    assert all(g.period_end is not None and g.period_end > report.due for g in report.data.grantees)


@pytest.mark.cite("20(b)")
def test_a_report_as_of_an_earlier_instant_leaves_out_what_was_recorded_later(
    program: Program,
) -> None:
    early = final_report(program, as_of=pendulum.datetime(2030, 7, 2, 12, tz=CHICAGO))
    assert (8, 6, 0) == (  # accepted on July 1; wages come from July 3
        early.data.totals.applications,
        early.data.totals.grant_holders,
        early.data.totals.evaluated,
    )
    assert Decimal("0.00") == early.data.totals.disbursed
    assert () == early.data.wages.trajectories


@pytest.mark.cite("20(b)")
def test_a_report_reads_the_programs_clock_never_the_wall_clock(program: Program) -> None:
    expected = render(final_report(program, as_of=program.clock.now()), "json")
    with freeze_time("2099-01-01"):
        actual = render(final_report(program), "json")
    assert expected == actual


@pytest.mark.cite("20(b)")
def test_a_report_of_a_store_needs_the_instant_it_is_as_of(program: Program) -> None:
    with pytest.raises(InvalidInput, match="needs the instant"):
        final_report(program.store)


@pytest.mark.cite("20(b)", "99")
def test_a_report_as_of_an_instant_before_the_program_started_says_when_it_started(
    program: Program,
) -> None:
    with pytest.raises(InvalidInput, match="first event was recorded at 2030-07-01T14:00"):
        final_report(program, as_of=pendulum.datetime(2030, 1, 1, tz=CHICAGO))


@pytest.mark.cite("20(b)")
def test_the_report_of_an_exported_log_equals_the_report_of_its_store(
    program: Program, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    with log.open("wb") as handle:
        export_log(program.store.stored_events(), handle)
    expected = render(final_report(program, as_of=SNAPSHOT_AS_OF), "json")
    assert expected == render(final_report(log, as_of=SNAPSHOT_AS_OF), "json")


# -- 15(d), 15(e), 15(a): awards and funds -----------------------------------------


@pytest.mark.cite("15(d)", "15(e)", "15(a)")
def test_funds_by_area_setting_and_band_add_up_to_the_cycles_ledger(program: Program) -> None:
    data = program_data(program, as_of=SNAPSHOT_AS_OF)
    (cycle,) = data.cycles
    ledger = program.cycle(1)
    assert (ledger.appropriation, ledger.reserved, ledger.disbursed) == (
        cycle.appropriation,
        cycle.totals.reserved,
        cycle.totals.disbursed,
    )
    assert ledger.available == cycle.available
    for groups in (cycle.by_area, cycle.by_setting, cycle.by_band):
        assert cycle.totals.awarded == sum((g.awarded for g in groups), Decimal(0))
        assert cycle.totals.applications == sum(g.applications for g in groups)
        assert cycle.totals.awards == sum(g.awards for g in groups)


@pytest.mark.cite("15(e)")
def test_every_size_band_is_listed_even_when_empty(program: Program) -> None:
    (cycle,) = program_data(program, as_of=SNAPSHOT_AS_OF).cycles
    assert ["1-10", "11-25", "26-50", "51-100", "101+"] == [g.name for g in cycle.by_band]


@pytest.mark.cite("15(d)")
def test_every_area_of_the_county_table_and_both_settings_are_listed(program: Program) -> None:
    from choice_workflow.domain.counties import CountyTable

    (cycle,) = program_data(program, as_of=SNAPSHOT_AS_OF).cycles
    assert set(CountyTable.illinois().areas()) <= {g.name for g in cycle.by_area}
    assert ["rural", "urban"] == [g.name for g in cycle.by_setting]


@pytest.mark.cite("15(g)", "15(j)")
def test_grants_by_state_count_every_grant_of_the_log(program: Program) -> None:
    data = program_data(program, as_of=SNAPSHOT_AS_OF)
    expected = Counter(g.state.value for g in program.grants())
    actual = {s: c["cycle 1"] for s, c in data.grants_by_state.items() if c["cycle 1"]}
    assert dict(expected) == actual
    assert {"declined": 1, "forfeited": 1} == {
        s: n for s, n in actual.items() if s in ("declined", "forfeited")
    }


# -- 20(a): evaluations as recorded ------------------------------------------------


@pytest.mark.cite("20(a)(1)", "20(a)(2)")
def test_grant_holders_show_their_recorded_evaluation_or_not_yet_evaluated(
    program: Program,
) -> None:
    data = program_data(program, as_of=SNAPSHOT_AS_OF)
    statuses = {g.grant_id: g.evaluation.status for g in data.grantees}
    assert ["evaluated"] * 5 + ["not yet evaluated"] == list(statuses.values())
    last = data.grantees[-1].evaluation
    assert (None, ()) == (last.wages_after, last.actions)
    recorded = program.events(data.grantees[1].grant_id)[-1].payload["evaluation"]
    shown = data.grantees[1].evaluation
    assert recorded["wages"]["after"]["median"] == f"{shown.wages_after.median}"  # type: ignore[union-attr]  # evaluated
    assert [a["kind"] for a in recorded["actions"]] == [a.kind for a in shown.actions]


@pytest.mark.cite("20(a)(2)")
def test_an_evaluation_recorded_in_another_form_is_said_to_be_unreadable() -> None:
    program = one_grant_holder()
    program.begin_transition("G-E1", _employer("E1"), started_at=program.clock.now())
    program.evaluate("G-E1", EVALUATOR, evaluation={"wages": "recorded", "compliance": "met"})
    (grantee,) = program_data(program).grantees
    assert "evaluation not readable" == grantee.evaluation.status


@pytest.mark.cite("20(a)(1)")
def test_an_evaluation_whose_counts_do_not_fit_together_is_said_to_be_unreadable() -> None:
    group = {"count": 3, "median": "15.00", "mean": "15.00", "at_or_above_minimum": 5}
    recorded = {
        "wages": {
            "on": "2031-07-01", "minimum": "15.00", "before": group, "after": group,
            "moved_to_minimum": 0, "employment": None,
        },
        "actions": [],
    }  # fmt: skip
    assert evaluation_from_data(recorded) is None
    group["at_or_above_minimum"] = 3
    assert evaluation_from_data(recorded) is not None


# -- 15(l): wages against the floor --------------------------------------------------


@pytest.mark.cite("15(l)")
def test_the_trajectory_sets_each_quarters_median_against_the_floor_in_force(
    program: Program,
) -> None:
    program_wide = program_data(program, as_of=SNAPSHOT_AS_OF).wages.trajectories[0]
    floors = {p.quarter: (p.floor, p.floor_item) for p in program_wide.points}
    assert (Decimal("4.35"), "15(l)(1)") == floors["2030-Q4"]  # 60% of $7.25
    assert (Decimal("10.50"), "15(l)(2)") == floors["2031-Q1"]  # 70% of $15.00
    wages = [
        w.hourly
        for g in program.grants(State.EVALUATED) + program.grants(State.TRANSITIONING)
        for w in program.wage_records(g.id)
        if w.paid_on == dt.date(2031, 9, 15)
    ]
    last = program_wide.points[-1]
    median = statistics.median(wages).quantize(CENT, rounding=ROUND_HALF_UP)
    assert ("2031-Q3", median) == (last.quarter, last.median)
    assert (min(wages), max(wages)) == (last.minimum, last.maximum)


@pytest.mark.cite("15(l)", "15(a)(1)")
def test_wage_findings_are_counted_by_their_cites(program: Program) -> None:
    table = program_data(program, as_of=SNAPSHOT_AS_OF).wages.findings
    expected = Counter(
        (g.id, ", ".join(f.cites))
        for g in program.grants()
        if g.transition_start_us is not None
        for f in program.wage_findings(g.id)
    )
    assert sorted({cite for _, cite in expected}) == list(table.columns)
    assert 2 == expected[("G-E02", "15(l)")]  # the two wages of $9.00 in 2031
    for gid in table.rows:
        for cite in table.columns:
            shown = table.value(gid, cite)
            assert shown is None or expected[(gid, cite)] == shown
    total = sum(expected.values())
    assert (None if SMALL_LOW <= total <= SMALL_HIGH else total) == table.grand_total


# -- privacy: small cells -------------------------------------------------------------


def _people_counts(data: dict[str, Any]) -> Iterator[int | None]:
    """Every published count of people in a report's JSON."""
    program = data["program"]
    for row in program["evaluation_tables"]["cells"].values():
        yield from row.values()
    yield from program["evaluation_tables"]["column_totals"].values()
    for grantee in program["grantees"]:
        evaluation = grantee["evaluation"]
        yield evaluation["moved_to_minimum"]
        for side in ("wages_before", "wages_after", "employment_before", "employment_after"):
            part = evaluation[side] or {}
            yield from (v for k, v in part.items() if isinstance(v, int | None) and k != "median")
    for table in (program["wages"]["findings_by_cite"], program["disability_at_application"]):
        for row in table["cells"].values():
            yield from row.values()
        yield from table["row_totals"].values()
        yield from table["column_totals"].values()
        yield table["grand_total"]


@pytest.mark.cite("20(a)(1)", "20(b)")
def test_no_count_of_1_to_10_people_is_published_in_the_json(program: Program) -> None:
    data = _json(render(final_report(program, as_of=SNAPSHOT_AS_OF), "json"))
    counts = [c for c in _people_counts(data) if c is not None]
    assert counts, "the sample program publishes counts"
    assert [] == [c for c in counts if SMALL_LOW <= c <= SMALL_HIGH]
    assert None in list(_people_counts(data)), "the small group is suppressed"


@pytest.mark.cite("20(a)(1)", "15(l)")
def test_no_wage_statistic_of_a_group_of_10_or_fewer_is_published_in_the_json(
    program: Program,
) -> None:
    data = _json(render(final_report(program, as_of=SNAPSHOT_AS_OF), "json"))["program"]
    small = data["grantees"][0]  # 4 employees with a disability
    assert small["evaluation"]["wages_before"] == {
        "employees": None, "at_or_above_minimum": 0, "below_minimum": None,
        "median": None, "mean": None,
    }  # fmt: skip
    (trajectory,) = [t for t in data["wages"]["trajectories"] if t["name"] == small["grant_id"]]
    for point in trajectory["points"]:
        assert (None, None, None, None) == (
            point["median"], point["mean"], point["minimum"], point["maximum"]
        )  # fmt: skip
    everyone = data["wages"]["trajectories"][0]["points"]
    assert all(p["minimum"] is not None for p in everyone if p["recorded"])


class _Cells(HTMLParser):
    """The text of every cell of every table, by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None


def _html_tables(html_text: str) -> dict[str, list[list[str]]]:
    parser = _Cells()
    parser.feed(html_text)
    return parser.tables


@pytest.mark.cite("20(a)(1)", "15(l)")
def test_the_html_shows_the_small_group_suppressed_and_its_wages_withheld(
    program: Program,
) -> None:
    page = render(final_report(program, as_of=SNAPSHOT_AS_OF), "html")
    tables = _html_tables(page)
    header, *rows = tables["table-wage-changes"]
    small = dict(zip(header, next(r for r in rows if r[0] == "G-E01"), strict=True))
    assert ("(s)", "(w)", "(w)") == (
        small["before: employees"], small["before: median"], small["after: median"]
    )  # fmt: skip
    header, *rows = tables["table-wages-median-by-grant"]
    medians = next(r for r in rows if r[0] == "G-E01")[1:]
    assert {"(w)"} == set(medians)
    assert "median, G-E01" not in page  # no chart line for a small group
    for table_id in ("table-wage-changes", "table-employment-changes", "table-wage-findings"):
        for row in tables[table_id][1:]:
            for cell in row[1:]:
                if re.fullmatch(r"\d+", cell):
                    assert not SMALL_LOW <= int(cell) <= SMALL_HIGH, (table_id, row)


@pytest.mark.cite("20(a)(1)", "15(l)")
def test_a_program_of_one_small_grantee_publishes_no_minimum_or_maximum_wage() -> None:
    program = one_grant_holder()
    program.record_wages(
        "G-E1",
        _employer("E1"),
        [
            WageRecord(
                employee_id=f"P{i}", paid_on=dt.date(2030, 6, 30), hourly=Decimal(f"6.{i}7"),
                has_disability=True,
            )
            for i in range(5)
        ],
    )  # fmt: skip
    report = final_report(program)
    points = _json(render(report, "json"))["program"]["wages"]["trajectories"][0]["points"]
    assert [(None, None)] == [(p["minimum"], p["maximum"]) for p in points]
    page = render(report, "html")
    assert ["2030-Q2", "(w)", "(w)", "(w)", "(w)"] == _html_tables(page)[
        "table-wages-all-grantees"
    ][1][:5]
    bundle = re.compile(r"<script[^>]*>\s*/\*\*\s*\* plotly\.js.*?</script>", re.DOTALL)
    assert 1 == len(bundle.findall(page))
    outside = bundle.sub("", page)  # the page less the plotly.js bundle: its text and data
    for i in range(5):
        assert f"6.{i}7" not in outside


# -- 35(b): the roster -------------------------------------------------------------


@pytest.mark.cite("35(b)")
def test_the_task_force_has_11_seats_in_7_categories() -> None:
    assert 11 == len(Seat)
    assert [1, 2, 3, 4, 5, 6, 7] == sorted({s.category for s in Seat})
    assert 5 == sum(1 for s in Seat if s.authority is Authority.DIRECTOR_OF_LABOR)


@pytest.mark.cite("35(b)")
def test_a_roster_with_every_seat_filled_once_by_its_authority_has_no_problem() -> None:
    assert () == check_roster(full_roster(), on=dt.date(2031, 1, 1))


@pytest.mark.cite("35(b)")
@pytest.mark.parametrize("seat", list(Seat), ids=[s.value for s in Seat])
def test_a_vacant_seat_is_a_problem_citing_35b(seat: Seat) -> None:
    roster = [a for a in full_roster() if a.seat is not seat]
    (problem,) = check_roster(roster, on=dt.date(2031, 1, 1))
    assert (("35(b)",), seat.value) == (problem.cites, problem.field)
    assert "vacant" in problem.reason


@pytest.mark.cite("35(b)")
@pytest.mark.parametrize(
    ("seat", "wrong"),
    [
        (Seat.SENATE_BY_PRESIDENT, Authority.SENATE_MINORITY_LEADER),
        (Seat.SENATE_BY_MINORITY_LEADER, Authority.PRESIDENT_OF_THE_SENATE),
        (Seat.HOUSE_BY_SPEAKER, Authority.HOUSE_MINORITY_LEADER),
        (Seat.HOUSE_BY_MINORITY_LEADER, Authority.SPEAKER_OF_THE_HOUSE),
        (Seat.HUMAN_SERVICES_EMPLOYEE, Authority.DIRECTOR_OF_LABOR),
        (Seat.HEALTHCARE_AND_FAMILY_SERVICES, Authority.SECRETARY_OF_HUMAN_SERVICES),
        (Seat.COMMUNITY_AGENCY, Authority.SECRETARY_OF_HUMAN_SERVICES),
        (Seat.EMPLOYER, Authority.SPEAKER_OF_THE_HOUSE),
    ],
    ids=lambda v: v.value if isinstance(v, Seat) else v.name.lower(),
)
def test_a_seat_filled_by_the_wrong_authority_is_a_problem_citing_35b(
    seat: Seat, wrong: Authority
) -> None:
    roster = [
        Appointment(member=a.member, seat=a.seat, appointed_by=wrong, start=a.start)
        if a.seat is seat
        else a
        for a in full_roster()
    ]
    (problem,) = check_roster(roster, on=dt.date(2031, 1, 1))
    assert (("35(b)",), seat.value) == (problem.cites, problem.field)
    assert f"not {seat.authority.value}" in problem.reason


@pytest.mark.cite("35(b)")
def test_a_seat_filled_twice_is_a_problem() -> None:
    roster = [
        *full_roster(),
        Appointment(
            member="member-12",
            seat=Seat.EMPLOYER,
            appointed_by=Authority.DIRECTOR_OF_LABOR,
            start=dt.date(2030, 6, 1),
        ),
    ]
    (problem,) = check_roster(roster, on=dt.date(2031, 1, 1))
    assert ("35(b)(7)(C)", ("35(b)",)) == (problem.field, problem.cites)
    assert "held 2 times" in problem.reason


@pytest.mark.cite("35(b)")
def test_one_member_in_two_seats_is_a_problem() -> None:
    roster = [
        Appointment(member="member-1", seat=a.seat, appointed_by=a.appointed_by, start=a.start)
        if a.seat is Seat.SENATE_BY_MINORITY_LEADER
        else a
        for a in full_roster()
    ]
    (problem,) = check_roster(roster, on=dt.date(2031, 1, 1))
    assert ("member", ("35(b)",)) == (problem.field, problem.cites)
    assert "member-1 holds 2 seats" in problem.reason


@pytest.mark.cite("35(b)")
def test_only_the_healthcare_and_family_services_seat_may_hold_a_designee() -> None:
    roster = [
        Appointment(
            member=a.member, seat=a.seat, appointed_by=a.appointed_by, start=a.start, designee=True
        )
        for a in full_roster()
    ]
    problems = check_roster(roster, on=dt.date(2031, 1, 1))
    assert {s.value for s in Seat} - {"35(b)(6)"} == {p.field for p in problems}
    assert all(("35(b)",) == p.cites for p in problems)


@pytest.mark.cite("35(b)")
def test_the_roster_is_judged_on_a_day_appointments_start_and_end() -> None:
    roster = full_roster(start=dt.date(2031, 2, 1))
    assert 11 == len(check_roster(roster, on=dt.date(2031, 1, 31)))
    assert () == check_roster(roster, on=dt.date(2031, 2, 1))
    ended = [
        Appointment(
            member=a.member, seat=a.seat, appointed_by=a.appointed_by, start=a.start,
            end=dt.date(2031, 6, 1),
        )
        if a.seat is Seat.HOUSE_BY_SPEAKER
        else a
        for a in roster
    ]  # fmt: skip
    (problem,) = check_roster(ended, on=dt.date(2031, 6, 1))
    assert "35(b)(3)" == problem.field


@pytest.mark.cite("35(b)")
def test_an_appointment_of_the_wrong_types_is_refused_citing_35b() -> None:
    with pytest.raises(InvalidInput) as refused:
        Appointment(
            member="",
            seat="35(b)(1)",  # type: ignore[arg-type]  # the point of the test
            appointed_by=Authority.PRESIDENT_OF_THE_SENATE,
            start=dt.date(2030, 1, 1),
        )
    assert ["member", "seat"] == [p.field for p in refused.value.problems]
    assert all(("35(b)",) == p.cites for p in refused.value.problems)


# -- 35(c): the progress report ------------------------------------------------------


@pytest.mark.cite("35(c)")
@pytest.mark.parametrize(
    ("number", "due", "start", "end"),
    [
        (1, dt.date(2031, 1, 1), dt.date(2030, 1, 1), dt.date(2030, 12, 31)),
        (2, dt.date(2032, 1, 1), dt.date(2031, 1, 1), dt.date(2031, 12, 31)),
        (3, dt.date(2033, 1, 1), dt.date(2032, 1, 1), dt.date(2032, 12, 31)),
    ],
)
def test_progress_report_n_is_due_on_january_1_and_covers_the_year_before(
    program: Program, number: int, due: dt.date, start: dt.date, end: dt.date
) -> None:
    report = task_force_report(program, as_of=SNAPSHOT_AS_OF, number=number)
    assert (due, start, end) == (report.due, report.period_start, report.period_end)
    assert (start, end) == report_period(number, program.rules)


@pytest.mark.cite("35(c)")
@pytest.mark.parametrize(
    ("day", "number"),
    [
        (dt.date(2029, 6, 1), 1),
        (dt.date(2030, 12, 31), 1),
        (dt.date(2031, 1, 1), 1),
        (dt.date(2031, 1, 2), 2),
        (dt.date(2032, 1, 1), 2),
        (dt.date(2032, 1, 2), 3),
    ],
)
def test_the_report_due_next_is_the_first_due_on_or_after_the_day(
    program: Program, day: dt.date, number: int
) -> None:
    assert number == report_number(day, program.rules)


@pytest.mark.cite("35(c)")
@given(day=st.dates(min_value=dt.date(2030, 1, 1), max_value=dt.date(2080, 12, 31)))
def test_the_report_due_next_is_due_on_the_day_or_after_and_its_period_leads_to_it(
    day: dt.date,
) -> None:
    rules = Rules.illinois()
    number = report_number(day, rules)
    start, end = report_period(number, rules)
    due = task_force_report_due(number, rules)
    assert start <= day <= due == end + dt.timedelta(days=1)
    assert dt.date(2031 + number - 1, 1, 1) == due


@pytest.mark.cite("35(c)")
@pytest.mark.parametrize(
    ("as_of", "late"),
    [
        (pendulum.datetime(2031, 1, 1, 23, tz=CHICAGO), False),
        (pendulum.datetime(2031, 1, 2, 0, tz=CHICAGO), True),
    ],
    ids=["january-1", "january-2"],
)
def test_the_first_progress_report_is_late_from_january_2_2031(
    program: Program, as_of: pendulum.DateTime, late: bool
) -> None:
    report = task_force_report(program, sample_record(), as_of=as_of, number=1)
    assert (dt.date(2031, 1, 1), late) == (report.due, report.late)


@pytest.mark.cite("35(c)")
def test_the_report_counts_the_programs_activity_since_the_last_report(program: Program) -> None:
    first = task_force_report(program, as_of=pendulum.datetime(2031, 1, 1, 12, tz=CHICAGO))
    second = task_force_report(program, as_of=SNAPSHOT_AS_OF)
    assert (1, 2) == (first.number, second.number)
    assert (8, 0) == (
        first.activity.counts["applications received"],
        second.activity.counts["applications received"],
    )
    assert 6 == first.activity.counts["transitions begun (15(i))"]
    assert 5 == second.activity.counts["evaluations recorded (20(a))"]
    assert program.cycle(1).disbursed == first.activity.disbursed + second.activity.disbursed


@pytest.mark.cite("35(c)", "35(b)")
def test_the_report_carries_the_roster_and_its_problems(program: Program) -> None:
    record = sample_record()
    complete = task_force_report(program, record, as_of=SNAPSHOT_AS_OF)
    assert (11, ()) == (len(complete.roster), complete.roster_problems)
    short = TaskForceRecord(appointments=record.appointments[:-1])
    (problem,) = task_force_report(program, short, as_of=SNAPSHOT_AS_OF).roster_problems
    assert "35(b)(7)(E)" == problem.field


@pytest.mark.cite("35(a)", "35(c)")
def test_the_progress_report_is_organised_by_the_four_purposes_of_35a(program: Program) -> None:
    report = task_force_report(program, sample_record(), as_of=SNAPSHOT_AS_OF)
    assert list(Purpose) == [p.purpose for p in report.purposes]
    by_purpose = {p.purpose: p for p in report.purposes}
    assert [dt.date(2031, 3, 10), dt.date(2031, 9, 8)] == [
        m.date for m in by_purpose[Purpose.PROGRESS].meetings
    ]
    assert [dt.date(2031, 3, 10)] == [m.date for m in by_purpose[Purpose.BARRIERS].meetings]
    assert () == by_purpose[Purpose.GUIDANCE].meetings  # its meeting was in 2030
    assert ["Fund transportation for employees in rural counties."] == [
        r.text for r in by_purpose[Purpose.BARRIERS].recommendations
    ]
    (purposes,) = [s for s in report.document().sections if s.key == "purposes"]
    assert ["35(a)(i)", "35(a)(ii)", "35(a)(iii)", "35(a)(iv)"] == [
        s.cite for s in purposes.sections
    ]


@pytest.mark.cite("35(a)")
def test_a_meeting_must_address_a_purpose_of_35a() -> None:
    with pytest.raises(InvalidInput) as refused:
        Meeting(date=dt.date(2031, 2, 1), attendees=["member-1"], purposes=set())
    assert [("35(a)",)] == [p.cites for p in refused.value.problems]


@pytest.mark.cite("35(c)", "35(b)")
def test_the_task_force_record_reads_back_what_it_writes() -> None:
    record = sample_record()
    assert record == TaskForceRecord.from_data(json.loads(json.dumps(record.to_data())))
    with pytest.raises(InvalidInput, match="cannot be read"):
        TaskForceRecord.from_data({"meetings": [{"date": "2031-01-01"}]})


# -- formats ---------------------------------------------------------------------------


@pytest.mark.cite("20(b)", "20(a)(1)", "15(d)", "15(e)")
def test_the_json_of_the_final_report_matches_its_snapshot(program: Program) -> None:
    check_snapshot("final_report.json", render(final_report(program, as_of=SNAPSHOT_AS_OF), "json"))


@pytest.mark.cite("35(c)", "35(a)", "35(b)")
def test_the_json_of_the_task_force_report_matches_its_snapshot(program: Program) -> None:
    report = task_force_report(program, sample_record(), as_of=SNAPSHOT_AS_OF)
    check_snapshot("task_force_report.json", render(report, "json"))


@pytest.mark.cite("20(b)")
def test_the_same_log_as_of_the_same_instant_gives_the_same_bytes(program: Program) -> None:
    report = final_report(program, as_of=SNAPSHOT_AS_OF)
    again = final_report(program, as_of=SNAPSHOT_AS_OF)
    for format in FORMATS:
        assert render(report, format) == render(again, format)


@pytest.mark.cite("20(b)")
def test_the_markdown_report_has_every_section_and_table(program: Program) -> None:
    report = final_report(program, as_of=SNAPSHOT_AS_OF)
    text = render(report, "md")
    document = report.document()
    for _, section in document.walk():
        assert section.title in text
    for _, table in document.tables():
        assert table.title in text
    assert "| G-E01 | 2031-09-15 | $15.00 | (s) |" in text


@pytest.mark.cite("20(b)")
def test_the_csv_report_has_one_line_per_cell_with_plain_values(program: Program) -> None:
    report = final_report(program, as_of=SNAPSHOT_AS_OF)
    rows = list(csv.reader(io.StringIO(render(report, "csv"))))
    assert list(HEADER) == rows[0]
    lines = [dict(zip(HEADER, r, strict=True)) for r in rows[1:]]
    cells = sum(len(t.rows) * (len(t.columns) - 1) for _, t in report.document().tables())
    facts = sum(1 for line in lines if line["table"] == "facts")
    assert cells + facts == len(lines)
    (appropriation,) = [
        line["value"]
        for line in lines
        if line["table"] == "cycles" and line["column"] == "appropriation"
    ]
    assert str(program.cycle(1).appropriation) == appropriation
    small = [line for line in lines if line["table"] == "wage-changes" and line["label"] == "G-E01"]
    assert "suppressed" == next(x["value"] for x in small if x["column"] == "before: employees")
    assert "withheld" == next(x["value"] for x in small if x["column"] == "before: median")


@pytest.mark.cite("20(b)")
def test_the_html_report_is_one_file_that_fetches_nothing(program: Program) -> None:
    page = render(final_report(program, as_of=SNAPSHOT_AS_OF), "html")
    assert not re.search(r"<script[^>]+\bsrc=", page)
    assert not re.search(r"<link[^>]+\bhref=", page)
    assert 1 == page.count("plotly.js v"), "the plotly.js bundle is embedded once"
    assert 4 == page.count('class="plotly-graph-div"')


@pytest.mark.cite("20(b)")
def test_write_report_writes_every_format(program: Program, tmp_path: Path) -> None:
    report = final_report(program, as_of=SNAPSHOT_AS_OF)
    for format in FORMATS:
        path = write_report(report, format, tmp_path / f"final.{format}")
        assert render(report, format).encode() == path.read_bytes()


@pytest.mark.cite("20(b)")
def test_an_unknown_format_is_refused(program: Program) -> None:
    with pytest.raises(InvalidInput, match="unknown format 'pdf'"):
        render(final_report(program, as_of=SNAPSHOT_AS_OF), "pdf")  # type: ignore[arg-type]  # the point


# -- the command ----------------------------------------------------------------------


@pytest.fixture(name="database", scope="module")
def fixture_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("reports") / "program.sqlite"
    store = SqlStore(f"sqlite:///{path}")
    sample_program(store)
    store.dispose()
    return f"sqlite:///{path}"


@pytest.mark.cite("20(b)")
def test_the_report_command_writes_the_final_report_of_a_database(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "final.json"
    args = ["report", "--db", database, "--kind", "final", "--format", "json", "--out", str(out)]
    assert 0 == main([*args, "--as-of", SNAPSHOT_AS_OF.isoformat(), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert ("2031-07-01", True, "20(b)") == (summary["due"], summary["late"], summary["cite"])
    store = SqlStore(database, migrate=False)
    try:
        expected = render(final_report(store, as_of=SNAPSHOT_AS_OF), "json")
    finally:
        store.dispose()
    assert expected == out.read_text(encoding="utf-8")


@pytest.mark.cite("35(c)", "35(b)")
def test_the_report_command_writes_the_task_force_report_with_its_record(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "task-force.json"
    record.write_text(json.dumps(sample_record().to_data()), encoding="utf-8")
    out = tmp_path / "task-force.md"
    code = main(
        [
            "report", "--db", database, "--kind", "task-force", "--format", "md",
            "--out", str(out), "--as-of", "2031-01-01T12:00:00-06:00", "--task-force", str(record),
        ]
    )  # fmt: skip
    assert 0 == code
    assert "due 2031-01-01, not late" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "On 2031-01-01 every one of the 11 seats is filled once" in text
    assert "35(a)(iv): support the continued use of 14(c) certificates" in text


@pytest.mark.cite("35(c)")
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--kind", "final", "--number", "2"],
            "--task-force and --number are for --kind task-force",
        ),
        (["--format", "pdf"], "'pdf' is not one of"),
        (["--as-of", "2031-07-01T00:00:00"], "has no UTC offset"),
        (["--kind", "task-force", "--task-force", "{path}"], "not a JSON file"),
    ],
    ids=["number-with-final", "format", "naive-instant", "bad-record"],
)
def test_the_report_command_refuses_bad_arguments_with_exit_code_2(
    database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    args = [a.replace("{path}", str(bad)) for a in extra]
    assert 2 == main(["report", "--db", database, "--out", str(tmp_path / "x"), *args])
    assert message in capsys.readouterr().err


@pytest.mark.cite("20(b)")
def test_the_report_command_needs_a_log_to_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHOICE_WORKFLOW_DB", raising=False)
    assert 2 == main(["report", "--out", str(tmp_path / "x.html")])
    assert "nothing to read" in capsys.readouterr().err


def test_the_report_command_takes_markdown_for_md(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outs = {}
    for name in ("md", "markdown"):
        outs[name] = tmp_path / f"{name}.md"
        code = main(
            [
                "report", "--db", database, "--format", name, "--out", str(outs[name]),
                "--as-of", "2031-01-01T12:00:00-06:00",
            ]
        )  # fmt: skip
        assert 0 == code
    assert outs["md"].read_text(encoding="utf-8") == outs["markdown"].read_text(encoding="utf-8")
    assert "(md)" in capsys.readouterr().out
