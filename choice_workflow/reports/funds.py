"""Awards and funds per cycle, by geographic area, rural/urban and size band (15(d),
15(e)), and grants by state.

"To the extent practicable, the Director shall distribute grant funds ... equitably
among geographic areas of the State and shall take into account rural and urban
diversity" (15(d)) "... among eligible employers ... serving different numbers of
individuals" (15(e)). Each grant falls in its employer's stratum
(:func:`~choice_workflow.domain.selection.stratum_of`) as the log records the employer.

A grant is an award once approved, until it is declined, withdrawn or forfeited (the
default reading of 15(g), ``AwardCounts.APPROVED``); what it holds of its cycle and
what it has been paid come from :func:`~choice_workflow.domain.cycle.held` and the
grant's disbursements, so that per cycle ``reserved + disbursed - repaid`` is the
ledger of 15(a). A close-out returns what its grant left unspent; funds released after
the cycle's last award (so far) are reported as lapsed. Counts here are of employers and grants, not of people: they are published
as they are (small-cell suppression is for counts of employees).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.domain.counties import CountyTable
from choice_workflow.domain.cycle import held
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.selection import size_band, stratum_of
from choice_workflow.domain.state import State
from choice_workflow.reports.source import ProgramLog

ZERO = Decimal("0.00")
UNKNOWN = "unknown"
"""The group of a grant whose employer the log does not record."""

AWARDED = frozenset(
    {
        State.APPROVED,
        State.ACCEPTED,
        State.TRANSITIONING,
        State.EVALUATED,
        State.CLOSED,
        State.TERMINATED,
    }
)
"""The states of a grant that was awarded and not given back (15(a), 15(g), 15(j))."""


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@attrs.frozen(kw_only=True)
class GroupFunds:
    """15(d), 15(e): the applications and awards of one group of a cycle (an area, a
    setting, a size band, or the whole cycle).

    ``awarded`` is what the group's awards hold or have drawn (``reserved +
    disbursed``); ``requested`` what its applicants asked for (15(h) amounts).
    """

    name: str
    applications: int
    requested: Decimal
    awards: int
    awarded: Decimal
    reserved: Decimal
    disbursed: Decimal
    repaid: Decimal = ZERO
    """What came back to the cycle: terminated grantees' repayments and what grantees
    returned unspent at close-out."""
    receivable: Decimal = ZERO
    """What terminated grantees still owe."""

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data, amounts as strings with 2 places."""
        return {
            "name": self.name,
            "applications": self.applications,
            "requested": _money(self.requested),
            "awards": self.awards,
            "awarded": _money(self.awarded),
            "reserved": _money(self.reserved),
            "disbursed": _money(self.disbursed),
            "repaid": _money(self.repaid),
            "receivable": _money(self.receivable),
        }


@attrs.frozen(kw_only=True)
class CycleFunds:
    """15(a), 15(d), 15(e), 15(f): one grant cycle: its appropriation (``None`` while
    the cycle is not open), what remains available, its totals and its groups."""

    number: int
    appropriation: Decimal | None
    available: Decimal | None
    totals: GroupFunds
    by_area: tuple[GroupFunds, ...]
    by_setting: tuple[GroupFunds, ...]
    by_band: tuple[GroupFunds, ...]
    returned_at_close_out: Decimal = ZERO
    """15(f): what closed-out grants left unspent at the end of their period."""
    lapsed: Decimal = ZERO
    """Funds released (by close-outs, terminations, lapses, declines, withdrawals)
    after the cycle's last award so far: no award used them."""

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "cycle": self.number,
            "appropriation": _money(self.appropriation),
            "available": _money(self.available),
            "returned_at_close_out": _money(self.returned_at_close_out),
            "lapsed": _money(self.lapsed),
            "totals": self.totals.to_data(),
            "by_area": [g.to_data() for g in self.by_area],
            "by_setting": [g.to_data() for g in self.by_setting],
            "by_band": [g.to_data() for g in self.by_band],
        }


def band_names(log: ProgramLog) -> tuple[str, ...]:
    """15(e): every size band of the Rules, smallest first ("1-10", ..., "101+")."""
    lows = (1, *(edge + 1 for edge in log.rules.size_band_edges))
    return tuple(size_band(low, log.rules) for low in lows)


def strata(log: ProgramLog, counties: CountyTable) -> dict[str, tuple[str, str, str]]:
    """Each grant's (area, rural/urban, size band), from its employer as recorded."""
    found: dict[str, tuple[str, str, str]] = {}
    for gid, grant in log.grants.items():
        employer = log.employers.get(grant.employer_id)
        found[gid] = (
            (UNKNOWN, UNKNOWN, UNKNOWN)
            if employer is None
            else stratum_of(employer, counties, log.rules)
        )
    return found


def _group(name: str, grants: Iterable[Grant]) -> GroupFunds:
    members = list(grants)
    awards = [g for g in members if g.state in AWARDED]
    reserved = sum((held(g) for g in awards), ZERO)
    disbursed = sum((g.disbursed for g in members), ZERO)
    repaid = sum((g.repaid + g.unspent for g in members), ZERO)
    return GroupFunds(
        name=name,
        applications=len(members),
        requested=sum((g.amount_requested for g in members), ZERO),
        awards=len(awards),
        awarded=reserved + disbursed - repaid,
        reserved=reserved,
        disbursed=disbursed,
        repaid=repaid,
        receivable=sum((g.outstanding for g in members), ZERO),
    )


_RELEASING = frozenset(
    {State.DECLINED, State.WITHDRAWN, State.FORFEITED, State.TERMINATED, State.CLOSED}
)


def _lapsed(grants: list[Grant]) -> tuple[Decimal, Decimal]:
    """(returned at close-out, lapsed): see :class:`CycleFunds`."""
    last_award = max((g.approved_us for g in grants if g.approved_us is not None), default=None)
    returned = sum((g.unspent for g in grants if g.state is State.CLOSED), ZERO)
    lapsed = sum(
        (
            (g.amount - g.disbursed + g.unspent)
            for g in grants
            if g.state in _RELEASING
            and g.amount is not None
            and last_award is not None
            and g.ended_us is not None
            and g.ended_us > last_award
        ),
        ZERO,
    )
    return returned, lapsed


def _groups(
    names: Iterable[str], grants: list[Grant], key: Callable[[Grant], str]
) -> tuple[GroupFunds, ...]:
    ordered = list(dict.fromkeys([*names, *sorted({key(g) for g in grants})]))
    return tuple(_group(name, (g for g in grants if key(g) == name)) for name in ordered)


def cycle_funds(log: ProgramLog, counties: CountyTable) -> tuple[CycleFunds, ...]:
    """15(a), 15(d), 15(e): every cycle that is open or has applications, in order,
    with its groups by area (every area of ``counties``), by rural/urban and by size
    band (every band of the Rules), zeros included: an empty group is what equity is
    judged by."""
    where = strata(log, counties)
    numbers = sorted(set(log.appropriations) | {g.cycle for g in log.grants.values()})
    cycles = []
    for number in numbers:
        grants = sorted((g for g in log.grants.values() if g.cycle == number), key=lambda g: g.id)
        totals = _group(f"cycle {number}", grants)
        appropriation = log.appropriations.get(number)
        returned, lapsed = _lapsed(grants)
        cycles.append(
            CycleFunds(
                number=number,
                appropriation=appropriation,
                available=None
                if appropriation is None
                else appropriation - totals.reserved - totals.disbursed + totals.repaid,
                returned_at_close_out=returned,
                lapsed=lapsed,
                totals=totals,
                by_area=_groups(counties.areas(), grants, lambda g: where[g.id][0]),
                by_setting=_groups(("rural", "urban"), grants, lambda g: where[g.id][1]),
                by_band=_groups(band_names(log), grants, lambda g: where[g.id][2]),
            )
        )
    return tuple(cycles)


def grants_by_state(log: ProgramLog) -> dict[str, dict[str, int]]:
    """Grants by state (every state of the lifecycle) and cycle: ``{state: {"cycle N":
    count}}``."""
    cycles = sorted({g.cycle for g in log.grants.values()})
    return {
        state.value: {
            f"cycle {n}": sum(1 for g in log.grants.values() if g.cycle == n and g.state is state)
            for n in cycles
        }
        for state in State
    }
