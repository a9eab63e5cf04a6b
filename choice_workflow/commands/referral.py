"""15(j): returned funds go "for further consideration to the next applicant".

A policy, not a command: after a command returns funds to its cycle (a decline, a
withdrawal, a forfeit, a termination), the unit of work asks :func:`next_applicant`
what follows in the same transaction: a :class:`~choice_workflow.commands.applications.Refer`
of the next waitlisted application and, under ``Rules.auto_approve_next``, its
:class:`~choice_workflow.commands.applications.Approve` by the system.
"""

from __future__ import annotations

import attrs

from choice_workflow.commands.applications import Approve, Refer
from choice_workflow.commands.spec import Env, View
from choice_workflow.domain.cycle import Cycle, ledger_delta
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.selection import stratum_of
from choice_workflow.domain.state import State
from choice_workflow.events import EventType


@attrs.frozen
class FollowUp:
    """A command the system runs in the same transaction, with its command id suffix
    (``""``: the triggering command's own id; a caller's ids never hold ``#``) and
    whether a refusal is kept quiet (an automatic approval that a guard refuses leaves
    the application referred)."""

    command: Refer | Approve
    suffix: str = ""
    quiet: bool = False


def releases(event_type: str, before: Grant | None, after: Grant) -> bool:
    """True when the event returns an award's funds while they can still fund another:
    a grant that ends holding less than before (a close-out's unspent return comes at
    the end of the 3-year period: too late, and reported as lapsed)."""
    reserved, _ = ledger_delta(before, after)
    return reserved < 0 and after.is_final and event_type != EventType.CLOSED_OUT


def next_applicant(view: View, cycle: Cycle, released: Grant, env: Env) -> list[FollowUp]:
    """The referral (and, under the automatic reading, the approval) that the funds
    returned by ``released`` lead to; none when they are below one minimum award or
    nobody waits."""
    rules = env.rules
    if cycle.available < rules.min_award:
        return []
    waiting = [
        w.grant_id for w in cycle.waitlist
        if (g := view.grant(w.grant_id)) is not None and g.state is State.APPLIED
    ]  # fmt: skip
    employer = view.employer(released.employer_id)
    stratum = None if employer is None else stratum_of(employer, env.counties, rules)
    chosen = cycle.next_applicant(stratum, waiting)
    if chosen is None:
        return []
    offered = min(chosen.amount, cycle.available)
    refer = Refer(chosen.grant_id, released.id, released.state.value, offered, cycle.available)
    follow = [FollowUp(refer)]
    if rules.auto_approve_next:
        follow.append(FollowUp(Approve(chosen.grant_id, offered), "#next", quiet=True))
    return follow
