"""Cycles and the funds ledger (15(a), 15(f), 15(j)).

Pure: no I/O, no clock. Amounts are handled in integer cents and shown as Decimal
dollars. The selection of awards is :mod:`choice_workflow.domain.selection`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

import attrs
import pendulum

from choice_workflow.domain.grant import Grant
from choice_workflow.rules import PeriodStart, Rules
from choice_workflow.time.instants import from_us, zone

Stratum = tuple[str, str, str]
"""(geographic area, "rural" | "urban", size band)."""


def cents(amount: Decimal) -> int:
    """Dollars as integer cents (exact for 2-place Decimals)."""
    return int((amount * 100).to_integral_value(rounding=ROUND_DOWN))


def dollars(value: int) -> Decimal:
    """Integer cents as Decimal dollars with 2 places."""
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def disbursement_schedule(amount: Decimal, rules: Rules) -> tuple[Decimal, ...]:
    """15(f): the instalments of a grant over its period (quarterly by default); equal
    shares, the cents left over paid with the first instalments. Sums to ``amount``."""
    n = rules.disbursement_quarters
    share, rest = divmod(cents(amount), n)
    return tuple(dollars(share + (1 if k < rest else 0)) for k in range(n))


def period_start(grant: Grant, rules: Rules) -> pendulum.DateTime | None:
    """15(f): where the grant's period starts under the Rules' reading: its acceptance
    (the default) or its approval; None before it."""
    return grant.accepted_at if rules.grant_period_starts is PeriodStart.ACCEPTANCE else grant.approved_at  # fmt: skip


def instalment_due(start: pendulum.DateTime, number: int, rules: Rules) -> pendulum.DateTime:
    """15(f): from when instalment ``number`` (from 1) may be paid: the start of its part
    of the period that begins at ``start``, on the calendar of the Rules' zone."""
    months = rules.grant_period_years * 12 * (number - 1) // rules.disbursement_quarters
    return start.in_timezone(zone(rules.timezone)).add(months=months)


@attrs.frozen
class WaitlistEntry:
    """An application that was not funded at selection, in the order it will be offered
    funds that come back (15(j))."""

    grant_id: str
    stratum: Stratum
    amount: Decimal
    """The pro-rata amount it would receive."""
    rank: int


@attrs.frozen
class Cycle:
    """A grant cycle (15(f)) and its ledger (15(a)): what was appropriated, what the
    approvals hold, what was paid out."""

    number: int
    opens_us: int
    """When the cycle's awards may start (microseconds since the epoch, UTC)."""
    applications_close_us: int | None
    appropriation: Decimal
    reserved: Decimal = Decimal("0.00")
    """Approved and not yet paid out."""
    disbursed: Decimal = Decimal("0.00")
    waitlist: tuple[WaitlistEntry, ...] = ()
    referred: tuple[str, ...] = ()
    """Waitlisted grants already put before the Director (15(j))."""
    offers: tuple[tuple[str, Decimal], ...] = ()
    """15(j): every referral's application and the amount it was offered, in order (the
    latest of an application counts while it is applied and not yet decided)."""

    def offer_to(self, grant_id: str) -> Decimal:
        """What the latest referral of ``grant_id`` offered it (0.00: none)."""
        return next((o for g, o in reversed(self.offers) if g == grant_id), Decimal("0.00"))

    @property
    def opens_at(self) -> pendulum.DateTime:
        """When the cycle's awards may start."""
        return from_us(self.opens_us)

    @property
    def available(self) -> Decimal:
        """15(a): what the cycle can still reserve."""
        return self.appropriation - self.reserved - self.disbursed

    def balanced(self) -> bool:
        """The invariant: reserved + disbursed never exceeds the appropriation, and no
        balance is negative."""
        return (
            self.reserved >= 0
            and self.disbursed >= 0
            and self.appropriation >= 0
            and self.reserved + self.disbursed <= self.appropriation
        )

    def next_applicant(
        self, released_stratum: Stratum | None, still_waiting: Iterable[str]
    ) -> WaitlistEntry | None:
        """15(j): the next waitlisted application to put before the Director, keeping the
        apportionment: first of the released grant's stratum, else the head of the list.
        ``still_waiting`` are the ids of waitlisted grants still applied."""
        waiting = set(still_waiting) - set(self.referred)
        candidates = [w for w in self.waitlist if w.grant_id in waiting]
        same = [w for w in candidates if w.stratum == released_stratum]
        chosen = same or candidates
        return chosen[0] if chosen else None


def referrals_data(cycle: Cycle) -> Any:
    """The cycle's referrals as JSON-ready data: the list of referred ids, or (once an
    offer is kept) an object with them and the offers."""
    if not cycle.offers:
        return list(cycle.referred)
    return {"referred": list(cycle.referred), "offers": [[g, str(o)] for g, o in cycle.offers]}


def referrals_from_data(data: Any) -> dict[str, Any]:
    """The inverse of :func:`referrals_data`, as :class:`Cycle` keyword arguments."""
    if isinstance(data, list):
        return {"referred": tuple(str(g) for g in data)}
    return {
        "referred": tuple(str(g) for g in data["referred"]),
        "offers": tuple((str(g), Decimal(str(o))) for g, o in data["offers"]),
    }


def waitlist_data(w: WaitlistEntry) -> dict[str, Any]:
    """One waitlist entry as JSON-ready data."""
    return {
        "grant_id": w.grant_id,
        "stratum": list(w.stratum),
        "amount": str(w.amount),
        "rank": w.rank,
    }


def waitlist_from_data(rows: Sequence[Mapping[str, Any]]) -> tuple[WaitlistEntry, ...]:
    """The inverse of :func:`waitlist_data` for a list."""
    return tuple(
        WaitlistEntry(
            str(r["grant_id"]),
            (str(r["stratum"][0]), str(r["stratum"][1]), str(r["stratum"][2])),
            Decimal(str(r["amount"])),
            int(r["rank"]),
        )
        for r in rows
    )


_RELEASED = frozenset({"declined", "withdrawn", "forfeited", "terminated", "closed"})


def held(grant: Grant | None) -> Decimal:
    """What an approved grant holds of its cycle's funds and has not been paid: released
    when it is declined, withdrawn, forfeited, terminated or closed out (15(j), 15(a))."""
    if grant is None or grant.amount is None or grant.state.value in _RELEASED:
        return Decimal("0.00")
    return grant.amount - grant.disbursed


def ledger_delta(before: Grant | None, after: Grant) -> tuple[Decimal, Decimal]:
    """The change one grant event makes to its cycle: (reserved, disbursed). Disbursed
    is net of what comes back: a terminated grantee's repayments and what a grantee
    returns unspent at close-out."""
    paid_before = Decimal("0.00") if before is None else _net_paid(before)
    return held(after) - held(before), _net_paid(after) - paid_before


def _net_paid(grant: Grant) -> Decimal:
    """Paid out of the cycle and kept: disbursed less repayments and what was returned
    unspent at close-out."""
    return grant.disbursed - grant.repaid - grant.unspent


def apply_delta(cycle: Cycle, reserved: Decimal, disbursed: Decimal) -> Cycle:
    """The cycle after a grant event's ledger change."""
    if not reserved and not disbursed:
        return cycle
    return attrs.evolve(
        cycle, reserved=cycle.reserved + reserved, disbursed=cycle.disbursed + disbursed
    )
