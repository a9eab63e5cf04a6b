"""The standing queue of a cycle and the offer of returned funds (15(d), (e), (h), (j)).

Pure: no I/O, no clock. Amounts are handled in integer cents and shown as Decimal
dollars.

The queue holds every eligible, complete application of the cycle that is still
waiting (applied, and not already put before the Director), whether or not a selection
ran. Its order is the selection's (:mod:`choice_workflow.domain.selection`): each
stratum's quota is its share of the cycle's appropriation in proportion to the dollars
requested in it (by the grants that hold funds and the applications that wait, largest
remainder); the stratum furthest below its quota comes first, then the stratum of the
grant whose funds came back, then the earlier application. When funds come back
"for further consideration to the next applicant" (15(j)), the head of the queue is
offered its request when the free funds suffice, else the free funds; never more than
either, and nobody is offered less than the minimum award (15(h)).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs

from choice_workflow.domain.cycle import Stratum, cents, dollars
from choice_workflow.domain.money import dollar_text
from choice_workflow.domain.selection import Candidate, quotas, requested_cents
from choice_workflow.rules import Rules


@attrs.frozen
class QueueEntry:
    """An application waiting for funds, with its place in the queue and why."""

    position: int
    grant_id: str
    stratum: Stratum
    requested: Decimal
    """Its request within the 15(h) bounds."""
    quota: Decimal
    """Its stratum's quota of the cycle's appropriation."""
    held: Decimal
    """What its stratum's grants hold (approved, and offered to referred applications)."""
    applied_us: int
    reason: str

    def to_data(self) -> dict[str, object]:
        """JSON-ready data (what a ``Referred`` event records of its entry)."""
        return {
            "position": self.position,
            "stratum": list(self.stratum),
            "requested": str(self.requested),
            "quota": str(self.quota),
            "held": str(self.held),
            "reason": self.reason,
        }


@attrs.frozen
class Funded:
    """A grant of the cycle that holds funds (approved and not released), or an
    application referred and not yet decided, holding its offer."""

    candidate: Candidate
    holds: Decimal


def standing_queue(
    waiting: Sequence[Candidate],
    funded: Sequence[Funded],
    appropriation: Decimal,
    rules: Rules,
    *,
    released: Stratum | None = None,
) -> tuple[QueueEntry, ...]:
    """15(j): the queue of ``waiting`` in the selection's order (see the module text)."""
    in_play = [*waiting, *(f.candidate for f in funded)]
    demand_c = sum(requested_cents(c, rules) for c in in_play)
    funds_c = max(cents(appropriation), 0)
    quota = quotas(in_play, funds_c, demand_c) if demand_c else {}
    held: dict[Stratum, int] = {}
    for f in funded:
        held[f.candidate.stratum] = held.get(f.candidate.stratum, 0) + cents(f.holds)

    def below(s: Stratum) -> int:
        return quota.get(s, 0) - held.get(s, 0)

    ordered = sorted(
        waiting,
        key=lambda c: (-below(c.stratum), c.stratum != released, c.applied_us, c.grant_id),
    )
    entries = []
    for k, c in enumerate(ordered, start=1):
        gap = dollars(below(c.stratum))
        why = (
            f"stratum {'/'.join(c.stratum)} is {dollar_text(gap)} below its quota"
            if gap > 0
            else f"stratum {'/'.join(c.stratum)} is at or above its quota by {dollar_text(-gap)}"
        )
        if released is not None and c.stratum == released:
            why += "; the returned grant's stratum"
        entries.append(
            QueueEntry(k, c.grant_id, c.stratum, dollars(requested_cents(c, rules)),
                       dollars(quota.get(c.stratum, 0)), dollars(held.get(c.stratum, 0)),
                       c.applied_us, why + "; then by application time")
        )  # fmt: skip
    return tuple(entries)


@attrs.frozen
class Offer:
    """15(j): what returned funds lead to: the application referred and the amount it is
    offered, or nobody (``entry`` None) and why."""

    entry: QueueEntry | None
    offered: Decimal
    free: Decimal
    """The cycle's funds neither held by a grant nor offered to a referred application."""
    reason: str


def offer_of(queue: Sequence[QueueEntry], free: Decimal, rules: Rules) -> Offer:
    """15(j), 15(h): the head of ``queue`` is offered its request when ``free`` suffices,
    else ``free``; nobody when ``free`` is below the minimum award or nobody waits."""
    if free < rules.min_award:
        reason = f"{dollar_text(free)} free is below the minimum award of {dollar_text(rules.min_award)} (15(h))"
        return Offer(None, Decimal("0.00"), free, reason)
    if not queue:
        return Offer(None, Decimal("0.00"), free, "nobody waits: no eligible, complete application")
    head = queue[0]
    offered = min(head.requested, free)
    reason = (
        "its request: the free funds suffice"
        if offered == head.requested
        else f"the free funds: less than its request of {dollar_text(head.requested)}"
    )
    return Offer(head, offered, free, reason)
