"""15(j) over the whole log: every return of funds led where it had to.

Under the queue reading (``Rules.next_applicant``), a command that returns an award's
funds (a decline, a withdrawal, a lapse, a termination, or the end of a referred
application) refers the next applicant in its own transaction, or records, in a
``FundsReturned`` event of the cycle, that nobody could be referred and why; it goes on
referring while the cycle's free funds reach the minimum award, and a referral that
says the system approved it is followed by that approval. Each follow-up is judged
where it stands (the conformance pass); this module finds what is missing: a return
with no follow-up at all, a cascade that stops while the queue's head could still be
referred, an automatic approval the log does not hold. Such a log had follow-ups
removed, or a writer outside the library produced it without them.

A return's follow-ups carry its command id (or that id and ``#``). The return is
judged complete at the first event after it, outside its command, that changes the
cycle's queue or free funds (an event of the cycle's stream; an application, an
amendment, an approval, a referral or an end of one of its grants; an employer's
update), or at the end of the log. Those are the events whose commands hold the cycle
before they append, so none of them comes between a return and its follow-ups; other
events of the cycle's grants (an acceptance, a notice, a payment) may, on PostgreSQL,
where concurrent transactions' events interleave in position.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from choice_workflow.commands.applications import Refer
from choice_workflow.commands.referral import next_applicant, releases
from choice_workflow.commands.registry import REGISTRY
from choice_workflow.commands.spec import Env, View
from choice_workflow.domain.money import dollar_text
from choice_workflow.domain.state import State
from choice_workflow.events import Event, EventType
from choice_workflow.projections.projector import Projected
from choice_workflow.rules import NextApplicant, Rules
from choice_workflow.store.base import Item

_SYSTEM_APPROVED = "approved by the system"


@attrs.define
class _Return:
    """A return of funds whose follow-ups are still being read."""

    item: Item
    event: Event
    cycle: int
    answered: bool = False
    referred: int = 0
    approvals: dict[str, tuple[Item, Event]] = attrs.field(factory=dict)
    """Referred application -> its referral, which says the system approved it."""

    def owns(self, event: Event) -> bool:
        cid = self.event.command_id
        return event.command_id == cid or event.command_id.startswith(cid + "#")


class Returns:
    """The returns of one pass over the log, each followed until its command ends."""

    def __init__(self) -> None:
        self.open: dict[int, _Return] = {}
        """Cycle number -> the return being followed there."""
        self.found: list[tuple[Item, Event, str]] = []

    def follow_up(self, item: Item, event: Event, view: View, env: Env | None) -> None:
        """Before ``event`` is folded: count it as a follow-up of the open return it
        belongs to, or judge the returns whose queue it may change complete."""
        for number, ret in list(self.open.items()):
            if ret.owns(event):
                self._answer(ret, item, event)
            elif _touches(event, number, view):
                del self.open[number]
                self._close(ret, view, env)

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
            self.open[cycle.number] = _Return(item, event, cycle.number)

    def finish(self, view: View, env: Env | None) -> Iterator[tuple[Item, Event, str]]:
        """At the end of the log: judge the returns still open; every finding, in the
        log's order, with its message."""
        for ret in list(self.open.values()):
            self._close(ret, view, env)
        self.open.clear()
        yield from sorted(self.found, key=lambda found: found[0].position)

    def _answer(self, ret: _Return, item: Item, event: Event) -> None:
        released = ret.event.stream_id
        if event.type in (EventType.REFERRED, EventType.FUNDS_RETURNED):
            if str(event.payload.get("from_grant", "")) != released:
                return
            ret.answered = True
            if event.type == EventType.REFERRED:
                ret.referred += 1
                if str(event.payload.get("approval", "")).startswith(_SYSTEM_APPROVED):
                    ret.approvals[event.stream_id] = (item, event)
        elif event.type == EventType.APPROVED:
            ret.approvals.pop(event.stream_id, None)

    def _close(self, ret: _Return, view: View, env: Env | None) -> None:
        event = ret.event
        if not ret.answered:
            self.found.append((ret.item, event, (
                f"{event.type} of {event.stream_id} returned funds to its cycle, and the log "
                "records neither the next applicant's referral nor a FundsReturned event "
                "saying why nobody was referred"
            )))  # fmt: skip
            return
        for referred_item, referral in ret.approvals.values():
            self.found.append((referred_item, referral, (
                f"the referral of {referral.stream_id} says the system approved it "
                f"(Rules.auto_approve_next), and the log holds no approval of it by the "
                f"command of {event.type} of {event.stream_id}"
            )))  # fmt: skip
        cycle, released = view.cycle(ret.cycle), view.grant(event.stream_id)
        if not ret.referred or env is None or cycle is None or released is None:
            return
        follows = next_applicant(view, cycle, released, env, event.recorded_at,
                                 round=ret.referred + 1)  # fmt: skip
        refer = next((f.command for f in follows if isinstance(f.command, Refer)), None)
        if refer is not None:
            self.found.append((ret.item, event, (
                f"the funds {event.type} of {event.stream_id} returned still reach "
                f"{refer.grant_id}, the head of the queue ({dollar_text(refer.offered)} of "
                f"{dollar_text(refer.available)} free), and the log refers nobody more"
            )))  # fmt: skip


_QUEUE_CHANGES = frozenset(
    {EventType.APPROVED, EventType.AMENDED, EventType.REFERRED}
    | {
        spec.event_type
        for spec in REGISTRY
        if spec.transition is not None
        and spec.transition.dest is not None
        and spec.transition.dest.is_final
    }
)
"""The grant events whose commands hold their cycle before they append (with Applied)."""


def _touches(event: Event, number: int, view: View) -> bool:
    """Whether ``event`` changes cycle ``number``'s queue or free funds."""
    if event.stream_id == f"cycle:{number}":
        return True
    if event.type == EventType.EMPLOYER_UPDATED:  # its stratum places its applications
        employer = event.stream_id.removeprefix("employer:")
        return any(g.cycle == number and g.state is State.APPLIED
                   for g in view.grants_of_employer(employer))  # fmt: skip
    if event.type == EventType.APPLIED:
        return event.payload.get("cycle") == number
    if event.type not in _QUEUE_CHANGES:
        return False
    grant = view.grant(event.stream_id)
    return grant is not None and grant.cycle == number
