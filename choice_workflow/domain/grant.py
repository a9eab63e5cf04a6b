"""A grant as plain data: the grants read model.

Its fold (the events that build it) is :mod:`choice_workflow.projections.grants`.
Instants are kept as integer microseconds since the Unix epoch (UTC), which costs a
third of a pendulum DateTime per field, and are shown as pendulum instants through
properties.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pendulum

from choice_workflow.domain.state import State
from choice_workflow.time.instants import from_us


def _opt(us: int | None) -> pendulum.DateTime | None:
    return None if us is None else from_us(us)


@attrs.frozen
class Grant:
    """The state of one grant, as the fold of its events."""

    id: str
    employer_id: str
    state: State
    version: int
    cycle: int
    amount_requested: Decimal
    applied_us: int
    amount: Decimal | None = None
    reviewed_by: str | None = None
    approved_us: int | None = None
    approved_by: str | None = None
    notice_channel: str | None = None
    notice_us: int | None = None
    accept_by_us: int | None = None
    accepted_us: int | None = None
    transition_start_us: int | None = None
    ended_us: int | None = None
    disbursed: Decimal = Decimal("0.00")
    """15(a), 15(f): what has been paid out of the grant."""
    instalments: int = 0
    """How many instalments of the disbursement schedule have been paid."""
    referred_from: str | None = None
    """15(j): the grant whose return put this application before the Director."""
    endorsed_by: str | None = None
    """Dual authorization: the Director who endorsed the amount to approve."""
    endorsed_amount: Decimal | None = None
    final_wages_version: int | None = None
    """The version of the grantee's latest final wage report (close-out needs one)."""
    unspent: Decimal = Decimal("0.00")
    """What the grantee returned unspent at close-out (back to the cycle)."""
    cause: str | None = None
    """The cause of a termination (:class:`~choice_workflow.lifecycle.corrections.Cause`)."""
    receivable: Decimal = Decimal("0.00")
    """What a terminated grantee was ordered to repay."""
    repaid: Decimal = Decimal("0.00")
    """What it has repaid (returned to the cycle)."""
    on_hold: bool = False
    """2 CFR 200.334: a litigation or audit hold suspends the retention period."""
    retain_until_us: int | None = None
    """2 CFR 200.334: the records are kept at least until then (set at close-out)."""

    @property
    def applied_at(self) -> pendulum.DateTime:
        """When the application was recorded."""
        return from_us(self.applied_us)

    @property
    def approved_at(self) -> pendulum.DateTime | None:
        """When the Director approved the grant (15(a))."""
        return _opt(self.approved_us)

    @property
    def notice_confirmed_at(self) -> pendulum.DateTime | None:
        """When the notice of approval was confirmed (15(i))."""
        return _opt(self.notice_us)

    @property
    def accept_by(self) -> pendulum.DateTime | None:
        """The last instant of the 15(j) acceptance window, once it runs."""
        return _opt(self.accept_by_us)

    @property
    def accepted_at(self) -> pendulum.DateTime | None:
        """When the grantee accepted (15(j))."""
        return _opt(self.accepted_us)

    @property
    def transition_started_at(self) -> pendulum.DateTime | None:
        """When the grantee's transition to the minimum wage started (15(i))."""
        return _opt(self.transition_start_us)

    @property
    def ended_at(self) -> pendulum.DateTime | None:
        """When the grant reached a final state."""
        return _opt(self.ended_us)

    @property
    def retain_until(self) -> pendulum.DateTime | None:
        """2 CFR 200.334: the end of the retention period (None before close-out)."""
        return _opt(self.retain_until_us)

    @property
    def outstanding(self) -> Decimal:
        """What a terminated grantee still owes (receivable less repayments)."""
        return self.receivable - self.repaid

    @property
    def is_final(self) -> bool:
        """True once no command can change the grant."""
        return self.state.is_final
