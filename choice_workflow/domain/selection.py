"""Equitable selection of awards and the waitlist (15(d), (e), (h), (j)).

Pure: no I/O, no clock. Amounts are handled in integer cents and shown as Decimal
dollars.

Selection (15(d), 15(e)): the eligible, complete applications of a cycle are grouped
into strata of geographic area x rural/urban (15(d)) x size band of individuals served
under 14(c) (15(e)). When requests exceed the funds, each stratum's quota is its share of
the requested dollars (largest remainder, to the cent); each award is the request
(within the 15(h) bounds): whole by default (``Rules.shortfall``), the applications not
funded waiting for returned funds (15(j)); reduced pro rata, never below the minimum
award, under the other reading. Awards are made in rank order within each stratum
while the stratum stays within its quota, then the funds left go one award at a time
where the award keeps every stratum nearest its quota, the stratum furthest below its
quota first when tied (the last of them possibly less than requested, never below the
minimum award). Stated guarantee (tested, under both readings): every stratum's
proposed dollars are within one maximum award of its quota.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.domain.counties import (
    UNASSIGNED_AREA,
    UNSOURCED_AREA,
    UNSOURCED_AREAS,
    CountyTable,
)
from choice_workflow.domain.cycle import (
    Stratum,
    WaitlistEntry,
    cents,
    dollars,
    waitlist_data,
    waitlist_from_data,
)
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.money import dollar_text
from choice_workflow.errors import InvalidInput
from choice_workflow.rules import FundsLeft, Rules, Shortfall


def size_band(individuals: int, rules: Rules) -> str:
    """15(e): the size band of an employer serving ``individuals`` under 14(c)."""
    low = 1
    for edge in rules.size_band_edges:
        if individuals <= edge:
            return f"{low}-{edge}"
        low = edge + 1
    return f"{low}+"


def stratum_of(employer: Employer, counties: CountyTable, rules: Rules) -> Stratum:
    """15(d), 15(e): an employer's stratum: the geographic area and rural/urban status of
    its county, and its size band. A county that cannot be found counts as unassigned."""
    try:
        area, setting = counties.geography(counties.lookup(str(employer.county)))
    except InvalidInput:
        return (UNASSIGNED_AREA, "unknown", size_band(int(employer.individuals_served_14c), rules))
    return (area, setting, size_band(int(employer.individuals_served_14c), rules))


@attrs.frozen
class Candidate:
    """An eligible, complete application of the cycle, as selection sees it."""

    grant_id: str
    amount_requested: Decimal
    area: str
    setting: str
    band: str
    applied_us: int

    @property
    def stratum(self) -> Stratum:
        """(area, rural/urban, size band)."""
        return (self.area, self.setting, self.band)


@attrs.frozen
class Proposal:
    """A proposed award and why it was made."""

    grant_id: str
    amount: Decimal
    stratum: Stratum
    quota: Decimal
    before: Decimal
    """The stratum's proposed dollars before this award."""
    after: Decimal
    rank: int
    reason: str


@attrs.frozen
class Selection:
    """The proposed awards and the waitlist of a cycle, with the reasons."""

    cycle: int
    funds: Decimal
    demand: Decimal
    quotas: Mapping[Stratum, Decimal]
    proposals: tuple[Proposal, ...]
    waitlist: tuple[WaitlistEntry, ...]
    unassigned: int
    """How many applicants' counties have no sourced geographic area (the default
    county table's area "region not sourced"; "unassigned" in logs of the older table)."""

    def awarded(self, stratum: Stratum) -> Decimal:
        """The proposed dollars of one stratum."""
        return sum((p.amount for p in self.proposals if p.stratum == stratum), Decimal("0.00"))

    def spread(self) -> Decimal:
        """The largest distance of a stratum's proposed dollars from its quota."""
        return max(
            (abs(self.awarded(s) - q) for s, q in self.quotas.items()), default=Decimal("0.00")
        )

    def explanation(self) -> list[str]:
        """Why the proposals are what they are, in plain sentences."""
        lines = [
            f"Cycle {self.cycle}: {dollar_text(self.funds)} available for {dollar_text(self.demand)} requested "
            f"by {len(self.proposals) + len(self.waitlist)} eligible applications "
            f"in {len(self.quotas)} strata (area x rural/urban x size band; 15(d), 15(e)).",
        ]
        if self.unassigned:
            names = sorted({s[0] for s in self.quotas if s[0] in UNSOURCED_AREAS})
            area = " and ".join(f"'{n}'" for n in names) or f"'{UNSOURCED_AREA}'"
            lines.append(
                f"{self.unassigned} applicant(s) are in counties with no sourced geographic area; "
                f"they form the area {area} (15(d)). An agency with a sourced region for "
                "these counties loads its own table: Program(counties=CountyTable.from_csv(...))."
            )
        for p in self.proposals:
            lines.append(
                f"#{p.rank} {p.grant_id}: {dollar_text(p.amount)} in {'/'.join(p.stratum)} "
                f"(quota {dollar_text(p.quota)}; {dollar_text(p.before)} -> {dollar_text(p.after)}); {p.reason}."
            )
        lines += [
            f"waitlist #{w.rank} {w.grant_id} in {'/'.join(w.stratum)}" for w in self.waitlist
        ]
        return lines

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data for the AwardsSelected event."""
        return {
            "cycle": self.cycle,
            "funds": str(self.funds),
            "demand": str(self.demand),
            "unassigned": self.unassigned,
            "quotas": [[list(s), str(q)] for s, q in sorted(self.quotas.items())],
            "proposals": [
                {
                    "grant_id": p.grant_id,
                    "amount": str(p.amount),
                    "stratum": list(p.stratum),
                    "quota": str(p.quota),
                    "before": str(p.before),
                    "after": str(p.after),
                    "rank": p.rank,
                    "reason": p.reason,
                }
                for p in self.proposals
            ],
            "waitlist": [waitlist_data(w) for w in self.waitlist],
        }


def quotas(candidates: Sequence[Candidate], funds_c: int, demand_c: int) -> dict[Stratum, int]:
    """Each stratum's share of ``funds_c`` in proportion to its requested cents, by the
    largest-remainder method (ties broken by stratum order)."""
    by: dict[Stratum, int] = {}
    for c in candidates:
        by[c.stratum] = by.get(c.stratum, 0) + cents(c.amount_requested)
    shares = {s: divmod(funds_c * d, demand_c) for s, d in by.items()}
    quota = {s: q for s, (q, _) in shares.items()}
    left = funds_c - sum(quota.values())
    for s in sorted(shares, key=lambda s: (-shares[s][1], s))[:left]:
        quota[s] += 1
    return quota


def requested_cents(c: Candidate, rules: Rules) -> int:
    """A candidate's request in cents within the 15(h) bounds."""
    return min(max(cents(c.amount_requested), cents(rules.min_award)), cents(rules.max_award))


def _amounts(
    ordered: Sequence[Candidate], funds_c: int, demand_c: int, rules: Rules
) -> dict[str, int]:
    """What each candidate is proposed (cents): its request within the 15(h) bounds; when
    the requests exceed the funds and the Rules read the shortfall pro rata, the request
    reduced in proportion, never below the minimum award."""
    if demand_c <= funds_c or rules.shortfall is Shortfall.WHOLE_REQUESTS:
        return {c.grant_id: requested_cents(c, rules) for c in ordered}
    floor_c = cents(rules.min_award)
    return {
        c.grant_id: max(floor_c, requested_cents(c, rules) * funds_c // demand_c) for c in ordered
    }


def select_awards(
    cycle: int, candidates: Sequence[Candidate], funds: Decimal, rules: Rules
) -> Selection:
    """15(d), (e), (h): proposed awards and a waitlist for the eligible, complete
    applications of a cycle. Deterministic for the same inputs."""
    ordered = sorted(candidates, key=lambda c: (c.applied_us, c.grant_id))
    funds_c = max(cents(funds), 0)
    demand_c = sum(requested_cents(c, rules) for c in ordered)
    unassigned = sum(1 for c in ordered if c.area in UNSOURCED_AREAS)
    if not ordered:
        return Selection(cycle, dollars(funds_c), Decimal("0.00"), {}, (), (), 0)
    floor_c, cap_c = cents(rules.min_award), cents(rules.max_award)
    short = demand_c > funds_c
    amount = _amounts(ordered, funds_c, demand_c, rules)
    if short:
        quota = quotas(ordered, funds_c, demand_c)
    else:
        quota = {}
        for c in ordered:
            quota[c.stratum] = quota.get(c.stratum, 0) + requested_cents(c, rules)
    pro_rata = short and rules.shortfall is Shortfall.PRO_RATA
    strata: dict[Stratum, list[Candidate]] = {}
    for c in ordered:
        strata.setdefault(c.stratum, []).append(c)
    awarded = dict.fromkeys(strata, 0)
    total = 0
    proposals: list[Proposal] = []

    def award(c: Candidate, value: int, reason: str) -> None:
        nonlocal total
        before = awarded[c.stratum]
        awarded[c.stratum] += value
        total += value
        proposals.append(
            Proposal(c.grant_id, dollars(value), c.stratum, dollars(quota[c.stratum]), dollars(before),
                     dollars(awarded[c.stratum]), len(proposals) + 1, reason)
        )  # fmt: skip

    def _after(s: Stratum, value: int) -> tuple[int, int, Stratum]:
        """Which stratum the funds left go to: the one whose award leaves every stratum
        nearest its quota, then the one furthest below its quota."""
        worst = max(abs(awarded[t] + (value if t == s else 0) - quota[t]) for t in strata)
        return (-worst, quota[s] - awarded[s], s)

    waiting: dict[Stratum, list[Candidate]] = {}
    for s, members in sorted(strata.items()):
        for i, c in enumerate(members):
            value = amount[c.grant_id]
            if awarded[s] + value <= quota[s] and total + value <= funds_c:
                why = "within its stratum's quota" if short else "requests fit the funds"
                award(c, value, why + (" at the pro-rata amount" if pro_rata else ""))
            else:
                waiting[s] = members[i:]
                break
    while True:  # the funds left go where they keep every stratum nearest its quota
        left = funds_c - total
        open_strata = [
            s for s, rest in waiting.items()
            if rest and awarded[s] < quota[s] and min(amount[rest[0].grant_id], left) >= floor_c
        ]  # fmt: skip
        if not open_strata:
            break
        if rules.funds_left is FundsLeft.FURTHEST_BELOW:  # the older reading
            s = max(open_strata, key=lambda s: (quota[s] - awarded[s], s))
        else:
            s = max(open_strata, key=lambda s: _after(s, min(amount[waiting[s][0].grant_id], left)))
        c = waiting[s].pop(0)
        value = min(amount[c.grant_id], left)
        award(c, value, "from the funds left, to the stratum furthest below its quota"
              if rules.funds_left is FundsLeft.FURTHEST_BELOW
              else "from the funds left, where it keeps every stratum nearest its quota")  # fmt: skip
    deficit = {s: quota[s] - awarded[s] for s in strata}
    rest = [c for s in sorted(waiting, key=lambda s: (-deficit[s], s)) for c in waiting[s]]
    waitlist = tuple(
        WaitlistEntry(c.grant_id, c.stratum, dollars(min(amount[c.grant_id], cap_c)), k)
        for k, c in enumerate(rest, start=1)
    )
    return Selection(
        cycle, dollars(funds_c), dollars(demand_c), {s: dollars(q) for s, q in quota.items()},
        tuple(proposals), waitlist, unassigned,
    )  # fmt: skip


def first_come_first_served(
    cycle: int, candidates: Sequence[Candidate], funds: Decimal, rules: Rules
) -> Selection:
    """The baseline selection equity is measured against: the same amounts (by the
    Rules' shortfall reading), funded in order of application until the funds run out."""
    ordered = sorted(candidates, key=lambda c: (c.applied_us, c.grant_id))
    funds_c = cents(funds)
    demand_c = sum(requested_cents(c, rules) for c in ordered) or 1
    quota = quotas(ordered, funds_c, demand_c) if ordered else {}
    total, awarded = 0, dict.fromkeys(quota, 0)
    proposals: list[Proposal] = []
    amount = _amounts(ordered, funds_c, demand_c, rules)
    for c in ordered:
        value = amount[c.grant_id]
        if total + value > funds_c:
            break
        before = awarded[c.stratum]
        awarded[c.stratum] += value
        total += value
        proposals.append(
            Proposal(c.grant_id, dollars(value), c.stratum, dollars(quota[c.stratum]), dollars(before),
                     dollars(awarded[c.stratum]), len(proposals) + 1, "first come, first served")
        )  # fmt: skip
    return Selection(cycle, dollars(funds_c), dollars(demand_c), {s: dollars(q) for s, q in quota.items()},
                     tuple(proposals), (), 0)  # fmt: skip


def selection_from_data(data: Mapping[str, Any]) -> Selection:
    """The inverse of :meth:`Selection.to_data` (what an ``AwardsSelected`` event records)."""

    def stratum(value: Sequence[Any]) -> Stratum:
        return (str(value[0]), str(value[1]), str(value[2]))

    return Selection(
        cycle=int(data["cycle"]),
        funds=Decimal(str(data["funds"])),
        demand=Decimal(str(data["demand"])),
        quotas={stratum(s): Decimal(str(q)) for s, q in data["quotas"]},
        proposals=tuple(
            Proposal(
                str(p["grant_id"]),
                Decimal(str(p["amount"])),
                stratum(p["stratum"]),
                Decimal(str(p["quota"])),
                Decimal(str(p["before"])),
                Decimal(str(p["after"])),
                int(p["rank"]),
                str(p["reason"]),
            )
            for p in data["proposals"]
        ),
        waitlist=waitlist_from_data(data["waitlist"]),
        unassigned=int(data.get("unassigned", 0)),
    )
