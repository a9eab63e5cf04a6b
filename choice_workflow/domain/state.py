"""The canonical states of a grant (DESIGN.md "The state machine")."""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    """The states of a grant; the last six are final."""

    APPLIED = "applied"
    APPROVED = "approved"
    ACCEPTED = "accepted"
    TRANSITIONING = "transitioning"
    EVALUATED = "evaluated"
    CLOSED = "closed"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    FORFEITED = "forfeited"
    TERMINATED = "terminated"

    @property
    def is_final(self) -> bool:
        """True for a state no command leaves (records may still be corrected, a
        repayment received or a retention hold placed: none of them changes the state)."""
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {
        State.CLOSED,
        State.DENIED,
        State.WITHDRAWN,
        State.DECLINED,
        State.FORFEITED,
        State.TERMINATED,
    }
)
"""States no command leaves."""
