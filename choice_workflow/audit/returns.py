"""15(j) over the whole log: every return of funds led somewhere.

Under the queue reading (``Rules.next_applicant``), a command that returns an award's
funds (a decline, a withdrawal, a lapse, a termination, or the end of a referred
application) refers the next applicant in its own transaction, or records, in a
``FundsReturned`` event of the cycle, that nobody could be referred and why. Each
such follow-up is judged where it stands (the conformance pass); this module finds the
return that has none: a log from which the referral, or the note, was removed, or that
a writer outside the library produced without them.
"""

from __future__ import annotations

from collections.abc import Iterator

from choice_workflow.commands.referral import releases
from choice_workflow.events import Event, EventType
from choice_workflow.projections.projector import Projected
from choice_workflow.rules import NextApplicant, Rules
from choice_workflow.store.base import Item


class Returns:
    """The returns of one pass over the log still waiting for their follow-up."""

    def __init__(self) -> None:
        self.owed: dict[str, tuple[Item, Event]] = {}
        """Released grant id -> the item and event of its return."""

    def follow_up(self, event: Event) -> None:
        """A referral, or the note that nobody was referred, answers the return of the
        grant it names (``from_grant``) when its command is the return's."""
        if event.type not in (EventType.REFERRED, EventType.FUNDS_RETURNED):
            return
        owed = self.owed.get(str(event.payload.get("from_grant", "")))
        cid = owed[1].command_id if owed is not None else ""
        if owed is not None and (event.command_id == cid or event.command_id.startswith(cid + "#")):
            del self.owed[owed[1].stream_id]

    def folded(self, item: Item, event: Event, projected: Projected, rules: Rules | None) -> None:
        """Note a grant event the fold applied, if it returned funds under the queue reading."""
        after, cycle = projected.grant, projected.cycle
        if (
            rules is not None
            and rules.next_applicant is NextApplicant.QUEUE
            and after is not None
            and cycle is not None
            and releases(event.type, projected.before, after, rules)
        ):
            self.owed[after.id] = (item, event)

    def unanswered(self) -> Iterator[tuple[Item, Event, str]]:
        """The returns the log never followed up, with the finding's message."""
        for item, event in sorted(self.owed.values(), key=lambda owed: owed[0].position):
            yield (
                item,
                event,
                f"{event.type} of {event.stream_id} returned funds to its cycle, and the log "
                "records neither the next applicant's referral nor a FundsReturned event "
                "saying why nobody was referred",
            )
