"""Section 15(l): the floor of the phase-out of the subminimum wage, and wage findings.

:func:`floor_on` computes the floor in force on a day: the greatest item in force of

- 15(l)(1): ``Rules.base1_percent`` (60%) of base (1), from the effective date. Base (1)
  is "the wage rate in effect under the federal Competitive Integrated Employment For
  All Act": the federal Act's rate from ``Rules.federal_act_enacted`` on, and before
  that (it is not enacted) the federal minimum wage;
- 15(l)(2)-(4): 70%, 80% and 90% (``Rules.phase_steps``) of base (2), one, two and three
  years after the effective date, on the calendar (2031-01-01, 2032-01-01, 2033-01-01).
  Base (2) is "the wage rate in effect under subsection (i)", which sets no rate: the
  applicable minimum wage by default (the higher of the federal and the Illinois
  minimum), the federal minimum with ``Base2.FEDERAL_MINIMUM``;
- 15(b)(13): 100% of the applicable minimum wage from the date the employer committed
  to fully implement the minimum wage.

:func:`check_wages` judges wage records against the floor, against the employee's own
14(c) baseline (15(l) "shall not be changed", read as "not reduced below that
baseline"), against the federal minimum (15(a)(1)) and against the customary wage and
benefits (10 "Competitive employment", 15(a)(2)). It returns findings and nothing else:
no certificate is revoked or changed here, or anywhere in the library (15(m), 25).

The records judged, :class:`WageRecord` and :class:`Headcount`, are defined in
:mod:`choice_workflow.domain.wage_records` and exported here too. Employees are named by
pseudonymous ids only (DESIGN.md "Who may do what").
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any

import attrs
import pendulum

from choice_workflow.domain.money import CENT
from choice_workflow.domain.wage_records import (
    FLOOR_CITE,
    Headcount,
    WageRecord,
    _date_problem,
    _raise,
    _short,
)
from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.rules import Base2, Rules

__all__ = [
    "COMMITTED_CITE",
    "FLOOR_CITE",
    "Floor",
    "FloorTerm",
    "Headcount",
    "WageFinding",
    "WageFindingKind",
    "WageRecord",
    "base1_on",
    "base2_on",
    "check_wages",
    "floor_on",
    "years_after",
]


HUNDRED = Decimal(100)

COMMITTED_CITE = "15(b)(13)"
"""The cite of the item "100% of the applicable minimum from the committed date"."""


@attrs.frozen(kw_only=True)
class FloorTerm:
    """One item of the 15(l) floor in force on a day.

    ``label`` names the item (``"15(l)(1)"`` ... ``"15(l)(4)"``, ``"15(b)(13)"``),
    ``cite`` is its cite as in :data:`~choice_workflow.cites.CITES`, ``amount`` is
    ``percent`` of ``base`` rounded up to the cent, in force since ``since``.
    """

    label: str
    cite: str
    percent: Decimal
    base: Decimal
    basis: str
    since: dt.date
    amount: Decimal

    def describe(self) -> str:
        """The item in words: "70% of $15.00 (the applicable minimum wage), from ..."."""
        percent = format(self.percent.normalize(), "f")
        return (
            f"{self.label}: {percent}% of ${self.base} ({self.basis}), "
            f"in force from {self.since.isoformat()}"
        )


@attrs.frozen(kw_only=True)
class Floor:
    """The 15(l) floor on ``day``: the greatest item in force (``governing``) and every
    item in force (``terms``, in the order of 15(l), the committed date last).

    ``amount`` is rounded UP to the cent: a floor of 70% of $7.25 = $5.075 is $5.08, so
    that a wage at the floor is never below the exact percentage.
    """

    day: dt.date
    amount: Decimal
    governing: FloorTerm
    terms: tuple[FloorTerm, ...]

    @property
    def item(self) -> str:
        """The label of the governing item (``"15(l)(2)"``, ``"15(b)(13)"``, ...)."""
        return self.governing.label

    @property
    def cite(self) -> str:
        """The cite of the governing item: ``"15(l)"`` or ``"15(b)(13)"``."""
        return self.governing.cite


def years_after(day: dt.date, years: int) -> dt.date:
    """15(l)(2)-(4): the date ``years`` calendar years after ``day`` (February 29 goes
    to February 28 in a common year)."""
    moved = pendulum.Date(day.year, day.month, day.day).add(years=years)
    return dt.date(moved.year, moved.month, moved.day)


def _up(percent: Decimal, base: Decimal) -> Decimal:
    return (percent * base / HUNDRED).quantize(CENT, rounding=ROUND_CEILING)


def base1_on(day: dt.date, rules: Rules) -> tuple[Decimal, str]:
    """15(l)(1): base (1) on ``day`` and what it is: the federal Competitive Integrated
    Employment For All Act's rate once enacted (``Rules.federal_act_enacted``), else
    the federal minimum wage (29 U.S.C. 206(a)(1))."""
    enacted, rate = rules.federal_act_enacted, rules.federal_act_rate
    if enacted is not None and rate is not None and day >= enacted:
        return rate, "the federal Competitive Integrated Employment For All Act rate"
    return rules.federal_minimum_on(day), "the federal minimum wage"


def base2_on(day: dt.date, rules: Rules) -> tuple[Decimal, str]:
    """15(l)(2)-(4): base (2) on ``day`` per ``Rules.base2``: the applicable minimum
    wage (the higher of the federal and the Illinois minimum) by default, else the
    federal minimum wage."""
    if rules.base2 is Base2.FEDERAL_MINIMUM:
        return rules.federal_minimum_on(day), "the federal minimum wage"
    return rules.applicable_minimum_on(day), "the applicable minimum wage"


def floor_on(day: dt.date, rules: Rules, *, committed_full_minimum_on: dt.date | None) -> Floor:
    """15(l): the floor of the phase-out on ``day`` (see the module's docstring).

    ``committed_full_minimum_on`` is the date given under 15(b)(13) on which the
    employer fully implements the minimum wage; from that day the floor is 100% of the
    applicable minimum wage. Each item stays in force once it starts, so the floor never
    decreases while the minimum wage tables and base (1) do not. The amount is rounded
    up to the cent. A day before the effective date (99) has no floor:
    :class:`~choice_workflow.errors.InvalidInput`.
    """
    _raise(
        [
            _date_problem(day, "day", (FLOOR_CITE,)),
            None
            if committed_full_minimum_on is None
            else _date_problem(
                committed_full_minimum_on, "committed_full_minimum_on", (COMMITTED_CITE,)
            ),
        ]
    )
    effective = rules.effective_date
    if day < effective:
        raise InvalidInput(
            problems=[
                Problem(
                    (FLOOR_CITE, "99"),
                    f"the Act takes effect on {effective.isoformat()}: no 15(l) floor is in "
                    f"force on {day.isoformat()}",
                    "Judge wages paid on or after the effective date.",
                    "day",
                )
            ]
        )
    terms = list(_terms(day, rules, committed_full_minimum_on))
    top = max(t.amount for t in terms)
    # Ties go to the later item: it is the one the phase-out added.
    governing = [t for t in terms if t.amount == top][-1]
    return Floor(day=day, amount=top, governing=governing, terms=tuple(terms))


def _terms(day: dt.date, rules: Rules, committed: dt.date | None) -> Iterator[FloorTerm]:
    effective = rules.effective_date
    base, basis = base1_on(day, rules)
    yield FloorTerm(
        label="15(l)(1)",
        cite=FLOOR_CITE,
        percent=rules.base1_percent,
        base=base,
        basis=basis,
        since=effective,
        amount=_up(rules.base1_percent, base),
    )
    for number, step in enumerate(rules.phase_steps, start=2):
        since = years_after(effective, step.years)
        if day >= since:
            base, basis = base2_on(day, rules)
            yield FloorTerm(
                label=f"15(l)({number})",
                cite=FLOOR_CITE,
                percent=step.percent,
                base=base,
                basis=basis,
                since=since,
                amount=_up(step.percent, base),
            )
    if committed is not None and day >= committed:
        base = rules.applicable_minimum_on(day)
        yield FloorTerm(
            label=COMMITTED_CITE,
            cite=COMMITTED_CITE,
            percent=HUNDRED,
            base=base,
            basis="the applicable minimum wage, from the date committed under 15(b)(13)",
            since=max(committed, effective),
            amount=_up(HUNDRED, base),
        )


class WageFindingKind(enum.Enum):
    """What a :class:`WageFinding` found."""

    BELOW_FLOOR = "below_floor"
    """15(l): an employee with a disability paid below the floor in force."""
    BELOW_BASELINE = "below_baseline"
    """15(l): paid below the same employee's 14(c) baseline ("shall not be changed")."""
    BELOW_FEDERAL_MINIMUM = "below_federal_minimum"
    """15(a)(1): paid below the federal minimum wage after the transition started."""
    BELOW_CUSTOMARY_RATE = "below_customary_rate"
    """10 "Competitive employment", 15(a)(2): paid below the customary wage after the
    transition started."""
    BENEFITS_NOT_EQUAL = "benefits_not_equal"
    """10 "Competitive employment", 15(a)(2): a benefit package below the common one
    after the transition started."""


@attrs.frozen(kw_only=True)
class WageFinding:
    """A wage record that the Act does not allow, with its cites (most specific first).

    ``amount`` is the hourly wage paid; ``floor`` the amount it was compared with (the
    15(l) floor, the employee's 14(c) baseline, the federal minimum wage or the
    customary rate), ``None`` for a benefits finding.
    """

    employee_id: str
    paid_on: dt.date
    kind: WageFindingKind
    cites: tuple[str, ...]
    message: str
    amount: Decimal
    floor: Decimal | None

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data: Decimals as strings, the date in ISO form."""
        return {
            "employee_id": self.employee_id,
            "paid_on": self.paid_on.isoformat(),
            "kind": self.kind.value,
            "cites": list(self.cites),
            "message": self.message,
            "amount": str(self.amount),
            "floor": None if self.floor is None else str(self.floor),
        }


def check_wages(
    records: Sequence[WageRecord],
    *,
    rules: Rules,
    committed_full_minimum_on: dt.date | None,
    transition_started_on: dt.date | None,
) -> tuple[WageFinding, ...]:
    """Every finding about ``records``, in their order, per record in this order:

    - 15(l): an employee with a disability paid below the floor of :func:`floor_on`
      (cites ``("15(b)(13)", "15(l)")`` when the committed date governs). Only employees
      with a disability are judged against the phase-out floor, and only from the
      effective date (99);
    - 15(l): any employee paid below their own ``baseline_14c``, from the effective
      date. The Act says the 14(c) wage in effect the day before the federal Act's
      enactment "shall not be changed"; this is read as "not reduced below that
      baseline" (a raise is no finding);
    - 15(a)(1): paid below the federal minimum wage on or after
      ``transition_started_on``;
    - 10 "Competitive employment", 15(a)(2): on or after ``transition_started_on``,
      paid below ``customary_rate``, or ``benefits_equal`` is False.

    A field left ``None`` is not judged. The function is pure: it returns findings and
    changes nothing, in particular no 14(c) certificate (15(m), 25).
    """
    records = tuple(records)  # read once, even if an iterator was passed
    _raise(
        [
            None
            if committed_full_minimum_on is None
            else _date_problem(
                committed_full_minimum_on, "committed_full_minimum_on", (COMMITTED_CITE,)
            ),
            None
            if transition_started_on is None
            else _date_problem(transition_started_on, "transition_started_on", ("15(i)",)),
            *(
                None
                if isinstance(r, WageRecord)
                else Problem(
                    (FLOOR_CITE,),
                    f"records[{i}] is {_short(r)}, not a WageRecord",
                    "Build each record with WageRecord(...).",
                    f"records[{i}]",
                )
                for i, r in enumerate(records)
            ),
        ]
    )
    findings: list[WageFinding] = []
    for record in records:
        findings.extend(_judge(record, rules, committed_full_minimum_on, transition_started_on))
    return tuple(findings)


def _judge(
    record: WageRecord,
    rules: Rules,
    committed: dt.date | None,
    transition_started_on: dt.date | None,
) -> Iterator[WageFinding]:
    day, paid = record.paid_on, record.hourly
    who = f"employee {record.employee_id} was paid ${paid} an hour on {day.isoformat()}"

    def finding(
        kind: WageFindingKind, cites: tuple[str, ...], message: str, floor: Decimal | None
    ) -> WageFinding:
        return WageFinding(
            employee_id=record.employee_id,
            paid_on=day,
            kind=kind,
            cites=cites,
            message=message,
            amount=paid,
            floor=floor,
        )

    in_force = day >= rules.effective_date
    if in_force and record.has_disability:
        floor = floor_on(day, rules, committed_full_minimum_on=committed)
        if paid < floor.amount:
            cites = (FLOOR_CITE,) if floor.cite == FLOOR_CITE else (floor.cite, FLOOR_CITE)
            yield finding(
                WageFindingKind.BELOW_FLOOR,
                cites,
                f"{who}, below the 15(l) floor of ${floor.amount} ({floor.governing.describe()})",
                floor.amount,
            )
    baseline = record.baseline_14c
    if in_force and baseline is not None and paid < baseline:
        yield finding(
            WageFindingKind.BELOW_BASELINE,
            (FLOOR_CITE,),
            f"{who}, below the same employee's 14(c) baseline of ${baseline}: 15(l) says "
            "the 14(c) wage in effect the day before the federal Act's enactment \"shall "
            'not be changed", read as "not reduced below that baseline"',
            baseline,
        )
    if transition_started_on is None or day < transition_started_on:
        return
    since = f"after the transition started on {transition_started_on.isoformat()}"
    federal = rules.federal_minimum_on(day)
    if paid < federal:
        yield finding(
            WageFindingKind.BELOW_FEDERAL_MINIMUM,
            ("15(a)(1)",),
            f"{who}, below the federal minimum wage of ${federal} (29 U.S.C. 206(a)(1)), {since}",
            federal,
        )
    competitive = ('10 "Competitive employment"', "15(a)(2)")
    customary = record.customary_rate
    if customary is not None and paid < customary:
        yield finding(
            WageFindingKind.BELOW_CUSTOMARY_RATE,
            competitive,
            f"{who}, below the customary rate of ${customary} paid for the same or similar "
            f"work by employees without disabilities, {since}",
            customary,
        )
    if record.benefits_equal is False:
        yield finding(
            WageFindingKind.BENEFITS_NOT_EQUAL,
            competitive,
            f"employee {record.employee_id}'s benefit package on {day.isoformat()} is below "
            "the one afforded to all employees (the cost of care for a disability may be "
            f"counted in it), {since}",
            None,
        )
