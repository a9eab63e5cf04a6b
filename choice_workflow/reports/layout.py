"""The sections both reports share: the program in figures, awards and funds (15(a),
15(d), 15(e)), grants by state, and (from :mod:`~choice_workflow.reports.layout_people`)
the sections that count people; and the notes that close every report.

The reports themselves (:mod:`~choice_workflow.reports.final`,
:mod:`~choice_workflow.reports.progress`) put their own sections before these.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from choice_workflow.reports.document import (
    LEGEND,
    TOTAL,
    Cell,
    Chart,
    Section,
    Series,
    Table,
    maybe,
)
from choice_workflow.reports.funds import CycleFunds, GroupFunds
from choice_workflow.reports.layout_people import (
    disability_section,
    findings_section,
    grantees_section,
    wages_section,
)

if TYPE_CHECKING:
    from choice_workflow.reports.data import ProgramData


def instant_text(data: ProgramData) -> str:
    """The report's instant for people, in the Rules' time zone."""
    local = data.as_of.in_timezone(data.timezone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


# -- the program ---------------------------------------------------------------------


def _summary(data: ProgramData) -> Section:
    t = data.totals
    text = [
        f"The program as its audit log stood at {instant_text(data)}: the log is read as of that "
        "instant, not as of the day the report is printed."
    ]
    if data.replay_findings:
        text.append(
            f"The log replayed with {data.replay_findings} finding(s): run `choice-workflow "
            "verify` before relying on this report."
        )
    return Section(
        key="summary",
        title="The program in figures",
        text=tuple(text),
        facts=(
            ("applications", t.applications),
            ("awards (15(g): approved, not given back)", t.awards),
            ("grant holders", t.grant_holders),
            ("evaluated (20(a))", t.evaluated),
            ("not yet evaluated", t.not_yet_evaluated),
            ("appropriated (15(a))", t.appropriated),
            ("awarded", t.awarded),
            ("reserved (approved, not yet paid)", t.reserved),
            ("disbursed", t.disbursed),
        ),
    )


_GROUP_COLUMNS = ("applications", "requested", "awards", "awarded", "reserved", "disbursed")


def _group_row(g: GroupFunds) -> tuple[Cell, ...]:
    return (g.name, g.applications, g.requested, g.awards, g.awarded, g.reserved, g.disbursed)


def _dimension(
    data: ProgramData,
    key: str,
    title: str,
    cite: str,
    first: str,
    groups: Callable[[CycleFunds], tuple[GroupFunds, ...]],
    text: tuple[str, ...] = (),
) -> Section:
    tables = tuple(
        Table(
            key=f"{key}-cycle-{c.number}",
            title=f"Cycle {c.number}: awards and funds by {first}",
            columns=(first, *_GROUP_COLUMNS),
            rows=(*(_group_row(g) for g in groups(c)), (TOTAL, *_group_row(c.totals)[1:])),
            cite=cite,
        )
        for c in data.cycles
    )
    names = list(dict.fromkeys(g.name for c in data.cycles for g in groups(c)))

    def per_name(c: CycleFunds, value: Callable[[GroupFunds], Decimal]) -> dict[str, Decimal]:
        return {g.name: value(g) for g in groups(c)}

    series = [
        Series(
            name=f"awarded, cycle {c.number}",
            values=tuple(per_name(c, lambda g: g.awarded).get(n, Decimal(0)) for n in names),
            style="bar",
        )
        for c in data.cycles
    ]
    paid = [per_name(c, lambda g: g.disbursed) for c in data.cycles]
    series.append(
        Series(
            name="disbursed, all cycles",
            values=tuple(sum((p.get(n, Decimal(0)) for p in paid), Decimal(0)) for n in names),
            style="bar",
        )
    )
    charts = (
        (
            Chart(
                key=f"{key}-chart",
                title=f"Funds by {first} ({cite})",
                x=tuple(names),
                series=tuple(series),
                y_title="dollars",
                cite=cite,
            ),
        )
        if data.cycles
        else ()
    )
    return Section(key=key, title=title, cite=cite, text=text, tables=tables, charts=charts)


def _returns(data: ProgramData) -> Section:
    text = [
        "When an award's funds come back (a decline, a lapse of the 48 hours, a withdrawal, "
        "a termination), they go to the next applicant (15(j)): each return, and the "
        "applications it referred, or why nobody was."
    ]
    tables = []
    if data.returned_funds:
        tables.append(
            Table(
                key="returned-funds",
                title="Funds returned and what they led to",
                columns=("cycle", "from grant", "its state", "day", "what followed"),
                rows=tuple(
                    (r.cycle, r.from_grant, r.how, r.on.isoformat(), r.outcome)
                    for r in data.returned_funds
                ),
                cite="15(j)",
            )
        )
    else:
        text.append("No award's funds have come back.")
    if data.approval_warnings:
        tables.append(
            Table(
                key="approval-warnings",
                title="Approvals above the amount requested",
                columns=("grant", "cycle", "approved", "requested", "warning"),
                rows=tuple(
                    (w.grant_id, w.cycle, w.approved, w.requested, w.warning)
                    for w in data.approval_warnings
                ),
                cite="15(h)",
                note="Unrequested dollars are dollars other applicants did not get.",
            )
        )
    return Section(
        key="returns", title="Returned funds", cite="15(j)", text=tuple(text), tables=tuple(tables)
    )


def _funds(data: ProgramData) -> Section:
    cycles = Table(
        key="cycles",
        title="Cycles and their funds",
        columns=(
            "cycle",
            "appropriation",
            "awarded",
            "reserved",
            "disbursed",
            "repaid",
            "still owed",
            "returned at close-out",
            "lapsed",
            "available",
            "applications",
            "requested",
            "awards",
        ),
        rows=tuple(
            (
                c.number,
                maybe(c.appropriation),
                c.totals.awarded,
                c.totals.reserved,
                c.totals.disbursed,
                c.totals.repaid,
                c.totals.receivable,
                c.returned_at_close_out,
                c.lapsed,
                maybe(c.available),
                c.totals.applications,
                c.totals.requested,
                c.totals.awards,
            )
            for c in data.cycles
        ),
        cite="15(a)",
    )
    return Section(
        key="funds",
        title="Awards and funds",
        cite="15(d)",
        text=(
            "The Director distributes grant funds equitably among geographic areas of the "
            "State, taking into account rural and urban diversity (15(d)), and among employers "
            "serving different numbers of individuals (15(e)). Every group is listed, empty "
            "ones too. Counts here are of applications and grants, not of people.",
        ),
        tables=(cycles,),
        sections=(
            _dimension(
                data,
                "by-area",
                "By geographic area",
                "15(d)",
                "area",
                lambda c: c.by_area,
                () if data.unsourced is None else (data.unsourced.explanation(),),
            ),
            _dimension(
                data, "by-setting", "Rural and urban", "15(d)", "setting", lambda c: c.by_setting
            ),
            _dimension(data, "by-band", "By size band", "15(e)", "size band", lambda c: c.by_band),
            _returns(data),
        ),
    )


def _states(data: ProgramData) -> Section:
    cycles = sorted({c for counts in data.grants_by_state.values() for c in counts})
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (state, *(counts[c] for c in cycles), sum(counts.values()))
        for state, counts in data.grants_by_state.items()
    )
    return Section(
        key="states",
        title="Grants by state",
        tables=(
            Table(
                key="grants-by-state",
                title="Grants by state of the lifecycle",
                columns=("state", *cycles, "total"),
                rows=rows,
            ),
        ),
    )


def program_sections(data: ProgramData) -> tuple[Section, ...]:
    """The sections both reports share."""
    return (
        _summary(data),
        _funds(data),
        _states(data),
        grantees_section(data),
        wages_section(data),
        findings_section(data),
        disability_section(data),
    )


def notes(data: ProgramData) -> tuple[str, ...]:
    """The closing notes of both reports: marks, privacy, readings."""
    return (
        *LEGEND,
        "Privacy: every count of people is published through small-cell suppression (1 to "
        "10 suppressed, with complementary suppression); no median, mean, minimum or maximum "
        "wage is published for a group of 10 people or fewer. Counts of employers, "
        "applications and grants, and dollars, are published as they are.",
        "A grant counts as an award once approved, until it is declined, withdrawn or "
        "forfeited; awarded dollars are what awards hold plus what they were paid.",
        "The 15(c) performance data (break durations are health data) is not in this report.",
        f"Days are calendar days in {data.timezone}; Rules fingerprint "
        f"{data.rules_fingerprint[:16]}.",
    )


# -- the two reports -----------------------------------------------------------------
