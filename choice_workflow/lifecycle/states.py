"""The canonical states of a grant (DESIGN.md "The state machine")."""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    """The states of a grant; the last five are final."""

    APPLIED = "applied"
    APPROVED = "approved"
    ACCEPTED = "accepted"
    TRANSITIONING = "transitioning"
    EVALUATED = "evaluated"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    FORFEITED = "forfeited"
    TERMINATED = "terminated"

    @property
    def is_final(self) -> bool:
        """True for a state no command leaves."""
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {
        State.EVALUATED,
        State.DENIED,
        State.WITHDRAWN,
        State.DECLINED,
        State.FORFEITED,
        State.TERMINATED,
    }
)
"""States no command leaves."""
