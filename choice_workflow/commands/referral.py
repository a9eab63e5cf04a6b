"""15(j): returned funds go "for further consideration to the next applicant".

After a command returns funds to its cycle (a decline, a withdrawal, a forfeit, a
termination; or a referred application that ends without an approval), the unit of work
asks :func:`next_applicant` what follows, in the same transaction: under the default
reading (``Rules.next_applicant``) the head of the cycle's standing queue
(:mod:`choice_workflow.domain.queue`) is referred (``Referred``, linking both grants),
offered its request or the free funds, and, under ``Rules.auto_approve_next``,
approved by the system; then the next one, while the free funds reach the minimum
award. A return that refers nobody is an event too (``FundsReturned``: why nobody).
Under the older reading only a selection's waitlist is referred.

The ``refer`` and ``note_return`` commands check what they write against the queue at
their instant, so verify finds a referral of the wrong applicant or amount.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pendulum

from choice_workflow.commands._grant import grant_command
from choice_workflow.commands.applications import APPROVE, Approve, Refer
from choice_workflow.commands.cycles import cycle_state, cycle_stream, selectable
from choice_workflow.commands.spec import CommandSpec, Emit, Env, Target, View
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.application import Application
from choice_workflow.domain.cycle import Cycle, Stratum, held, ledger_delta
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.money import dollar_text
from choice_workflow.domain.queue import Funded, Offer, QueueEntry, offer_of, standing_queue
from choice_workflow.domain.selection import Candidate, stratum_of
from choice_workflow.domain.state import State
from choice_workflow.errors import Problem, TransitionRefused
from choice_workflow.events import Event, EventType, money_text
from choice_workflow.lifecycle.compiled import judge
from choice_workflow.lifecycle.context import Context, prior_grants
from choice_workflow.rules import NextApplicant, Rules

_CITES = ("15(j)",)
MAX_ROUNDS = 1000
"""15(j): the most referrals one return leads to. A return refers while the cycle's free
funds (not only the returned ones: docs/readings.md) reach the minimum award, so at most
appropriation / min_award applicants; the bound only stops a defect from looping."""


@attrs.frozen
class FollowUp:
    """A command the system runs in the same transaction, with its command id suffix
    (``""``: the triggering command's own id; a caller's ids never hold ``#``) and
    whether a refusal is kept quiet (an automatic approval that a guard refuses leaves
    the application referred)."""

    command: Refer | Approve | NoteReturn
    suffix: str = ""
    quiet: bool = False


@attrs.frozen
class NoteReturn:
    """15(j): funds came back and nobody is referred (nobody waits, or the free funds are
    below the minimum award): said in the cycle's stream."""

    name: ClassVar[str] = "note_return"
    number: int
    from_grant: str
    free: Decimal
    reason: str


# -- the queue as the read models stand --------------------------------------------------


@attrs.frozen
class QueueInput:
    """What the queue of a cycle is built from: its waiting applications (with what
    their eligibility is judged by), the grants and referrals that hold funds, and the
    cycle's free funds."""

    cycle: Cycle
    waiting: tuple[tuple[Grant, Employer, Application, Any, Stratum], ...]
    funded: tuple[Funded, ...]
    offered: Decimal
    """What referred applications not yet decided are offered."""

    @property
    def free(self) -> Decimal:
        """The funds neither held by a grant nor offered to a referred application."""
        return self.cycle.available - self.offered

    def queue(
        self, rules: Rules, now: pendulum.DateTime, released: Stratum | None = None
    ) -> tuple[QueueEntry, ...]:
        """The standing queue at ``now``: the waiting applications that are eligible and
        complete then, in the selection's order."""
        waiting = [
            Candidate(g.id, g.amount_requested, *stratum, g.applied_us)
            for g, employer, application, prior, stratum in self.waiting
            if selectable(g, employer, application, prior, rules, now)
        ]
        return standing_queue(
            waiting, self.funded, self.cycle.appropriation, rules, released=released
        )


def queue_input(view: View, cycle: Cycle, env: Env) -> QueueInput:
    """15(j): the cycle's queue input, read from ``view``."""
    waiting, funded = [], []
    offered = Decimal("0.00")
    for g in view.grants():
        if g.cycle != cycle.number:
            continue
        employer = view.employer(g.employer_id)
        if employer is None:
            continue
        stratum = stratum_of(employer, env.counties, env.rules)
        candidate = Candidate(g.id, g.amount_requested, *stratum, g.applied_us)
        if g.state is State.APPLIED and g.referred_from is not None:
            offer = cycle.offer_to(g.id)
            offered += offer
            funded.append(Funded(candidate, offer))
        elif g.state is State.APPLIED:
            application = view.application(g.id)
            if application is not None:
                prior = prior_grants(g.id, view.grants_of_employer(g.employer_id))
                waiting.append((g, employer, application, prior, stratum))
        elif held(g) + g.disbursed > 0:
            funded.append(Funded(candidate, held(g) + g.disbursed))
    return QueueInput(cycle, tuple(waiting), tuple(funded), offered)


def released_stratum(view: View, grant_id: str, env: Env) -> Stratum | None:
    """The stratum of the grant whose funds came back (None: not known)."""
    grant = view.grant(grant_id)
    employer = None if grant is None else view.employer(grant.employer_id)
    return None if employer is None else stratum_of(employer, env.counties, env.rules)


# -- what a return leads to --------------------------------------------------------------


def releases(event_type: str, before: Grant | None, after: Grant, rules: Rules) -> bool:
    """True when the event returns an award's funds while they can still fund another:
    a grant that ends holding less than before (a close-out's unspent return comes at
    the end of the 3-year period: too late, and reported as lapsed); or, under the queue
    reading, a referred application that ends without an approval (its offer is free
    again)."""
    reserved, _ = ledger_delta(before, after)
    if reserved < 0 and after.is_final and event_type != EventType.CLOSED_OUT:
        return True
    return (
        rules.next_applicant is NextApplicant.QUEUE
        and after.referred_from is not None
        and before is not None
        and before.state is State.APPLIED
        and after.state in (State.DENIED, State.WITHDRAWN)
    )


def next_applicant(
    view: View, cycle: Cycle, released: Grant, env: Env, now: pendulum.DateTime, *, round: int = 1
) -> list[FollowUp]:
    """The referral (and, under the automatic reading, the approval) that the funds
    returned by ``released`` lead to in round ``round`` of the cascade; in the first
    round, when nobody is referred, the note that says why."""
    rules = env.rules
    if rules.next_applicant is NextApplicant.WAITLIST:
        return _from_waitlist(view, cycle, released, env) if round == 1 else []
    inputs = queue_input(view, cycle, env)
    offer = offer_of(
        inputs.queue(rules, now, released_stratum(view, released.id, env)), inputs.free, rules
    )
    if offer.entry is None:
        if round > 1:
            return []
        return [
            FollowUp(NoteReturn(cycle.number, released.id, offer.free, offer.reason), "#returned")
        ]
    refer = Refer(
        offer.entry.grant_id, released.id, released.state.value, offer.offered, offer.free
    )
    suffix = "" if round == 1 else f"#refer-{round}"
    follow = [FollowUp(refer, suffix)]
    if rules.auto_approve_next:
        approval = "#next" if round == 1 else f"#next-{round}"
        follow.append(FollowUp(Approve(offer.entry.grant_id, offer.offered), approval, quiet=True))
    return follow


def cascade(
    view: View, cycle: Cycle, released: Grant, env: Env, now: pendulum.DateTime,
    run: Callable[[FollowUp], Sequence[Event]],
) -> list[Event]:  # fmt: skip
    """15(j): run (with ``run``, in the transaction of the return) what the funds
    returned by ``released`` lead to: the next applicant, then the next while the free
    funds allow, each round read from ``view`` as the round before left it. Returns the
    events written."""
    written: list[Event] = []
    follows = next_applicant(view, cycle, released, env, now)
    for round_ in range(2, MAX_ROUNDS + 2):
        referred = False
        for follow in follows:
            more = run(follow)
            written += more
            referred = referred or any(e.type == EventType.REFERRED for e in more)
        fresh = view.cycle(cycle.number) if referred else None
        if fresh is None:
            break
        follows = next_applicant(view, fresh, released, env, now, round=round_)
    return written


def _from_waitlist(view: View, cycle: Cycle, released: Grant, env: Env) -> list[FollowUp]:
    """The older reading: the next of a selection's waitlist, at its proposed amount."""
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


# -- the commands, checked against the queue -------------------------------------------------


def _refer_context(
    command: Refer, grant: Grant | None, view: View, env: Env, actor: Actor
) -> Context:
    assert grant is not None  # noqa: S101 - an unknown grant is refused before
    if env.rules.next_applicant is NextApplicant.WAITLIST:
        return Context(actor=actor)
    cycle = view.cycle(grant.cycle)
    extra: dict[str, Any] = {
        "from": view.grant(command.from_grant),
        "queue": None if cycle is None else queue_input(view, cycle, env),
        "released": released_stratum(view, command.from_grant, env),
    }
    if env.rules.auto_approve_next:
        referred = attrs.evolve(grant, referred_from=command.from_grant)
        approve = Approve(grant.id, command.offered)
        system = Actor.system()
        extra["approval"] = (referred, approve, APPROVE.load(approve, referred, view, env, system))
    return Context(actor=actor, extra=extra)


def _offer_problems(
    offer: Offer, grant_id: str, offered: Decimal, free: Decimal, source: Grant | None, cycle: int
) -> list[Problem]:
    if source is None or source.cycle != cycle:
        return [Problem(_CITES, "the grant named as returning the funds is not of this cycle",
                        "Refer only on a return of the same cycle.", "from_grant")]  # fmt: skip
    if offer.entry is None:
        return [Problem(_CITES, f"nobody is to be referred: {offer.reason}", "Refer nobody.")]
    if offer.entry.grant_id != grant_id:
        return [Problem(_CITES, f"the next applicant is {offer.entry.grant_id} "
                        f"(queue: {offer.entry.reason}), not {grant_id}",
                        "Refer the head of the cycle's queue.", "grant_id")]  # fmt: skip
    if (offer.offered, offer.free) != (offered, free):
        return [Problem(("15(j)", "15(h)"),
                        f"the offer is {dollar_text(offer.offered)} of {dollar_text(offer.free)} free, "
                        f"not {dollar_text(offered)} of {dollar_text(free)}",
                        "Offer the request, or the free funds when less.", "offered")]  # fmt: skip
    return []


def _refer_payload(
    command: Refer, grant: Grant | None, context: Context, rules: Rules, now: pendulum.DateTime
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "from_grant": command.from_grant, "reason": command.reason,
        "offered": money_text(command.offered), "available": money_text(command.available),
    }  # fmt: skip
    inputs: QueueInput | None = context.extra.get("queue")
    if rules.next_applicant is NextApplicant.WAITLIST or grant is None:
        return payload
    offer = (
        Offer(None, Decimal("0.00"), Decimal("0.00"), "the cycle is not open")
        if inputs is None
        else offer_of(inputs.queue(rules, now, context.extra["released"]), inputs.free, rules)
    )
    problems = _offer_problems(
        offer, grant.id, command.offered, command.available, context.extra["from"], grant.cycle
    )
    if problems or offer.entry is None:
        raise TransitionRefused(command="refer", grant_id=grant.id, problems=problems)
    payload |= {"queue": offer.entry.to_data(), "offer": offer.reason}
    payload["approval"] = "before the Director"
    if "approval" in context.extra:
        referred, approve, approval_context = context.extra["approval"]
        assert APPROVE.transition is not None  # noqa: S101 - approve is a grant command
        refused = judge(APPROVE.transition, referred, approve, approval_context, rules, now)
        payload["approval"] = (
            "left before the Director: " + "; ".join(p.reason for p in refused)
            if refused
            else "approved by the system (Rules.auto_approve_next)"
        )
    return payload


REFER = grant_command(
    "refer", Refer, _refer_payload,
    lambda e, v: Refer(
        e.stream_id, e.payload["from_grant"], e.payload["reason"],
        Decimal(str(e.payload["offered"])), Decimal(str(e.payload["available"])),
    ),
    load=_refer_context, legacy_optional=frozenset({"queue", "offer", "approval"}),
)  # fmt: skip


def _return_context(
    command: NoteReturn, cycle: Cycle | None, view: View, env: Env, actor: Actor
) -> Context:
    return Context(
        actor=actor, cycle=cycle,
        extra={
            "from": view.grant(command.from_grant),
            "queue": None if cycle is None else queue_input(view, cycle, env),
            "released": released_stratum(view, command.from_grant, env),
        },
    )  # fmt: skip


def _note_return(
    command: NoteReturn, cycle: Cycle | None, context: Context, rules: Rules, now: pendulum.DateTime
) -> Emit:
    inputs: QueueInput | None = context.extra.get("queue")
    problems: list[Problem] = []
    source: Grant | None = context.extra.get("from")
    if inputs is None or source is None or source.cycle != command.number:
        problems.append(Problem(_CITES, "no grant of this cycle returned funds",
                                "Note only a return of the cycle.", "from_grant"))  # fmt: skip
    else:
        offer = offer_of(inputs.queue(rules, now, context.extra["released"]), inputs.free, rules)
        if offer.entry is not None:
            problems.append(Problem(_CITES, f"{offer.entry.grant_id} waits and "
                                    f"{dollar_text(offer.free)} is free: it is to be referred",
                                    "Refer the next applicant.", "reason"))  # fmt: skip
        elif (offer.free, offer.reason) != (command.free, command.reason):
            problems.append(Problem(_CITES, f"the return says {dollar_text(command.free)} free "
                                    f"({command.reason}); the log gives {dollar_text(offer.free)} "
                                    f"({offer.reason})", "Say why as it is.", "reason"))  # fmt: skip
    if problems:
        raise TransitionRefused(command="note_return", grant_id=f"cycle:{command.number}",
                                problems=problems)  # fmt: skip
    return Emit({"cycle": command.number, "from_grant": command.from_grant,
                 "reason": command.reason, "free": money_text(command.free)})  # fmt: skip


def _recover_return(event: Event, view: View) -> NoteReturn:
    p = event.payload
    return NoteReturn(
        int(p["cycle"]), str(p["from_grant"]), Decimal(str(p["free"])), str(p["reason"])
    )


NOTE_RETURN = CommandSpec(
    name="note_return", command=NoteReturn, event_type=EventType.FUNDS_RETURNED,
    target=Target.CYCLE, stream=lambda c: cycle_stream(c.number), state=cycle_state,
    decide=_note_return, recover=_recover_return, load=_return_context,
    roles=frozenset({Role.SYSTEM}), cites=_CITES, projection="none",
    result=lambda events, after: None,
    description="Funds came back to the cycle and nobody is referred: nobody eligible "
    "waits, or the free funds are below the minimum award (15(j), 15(h)).",
)  # fmt: skip

SPECS = (REFER, NOTE_RETURN)


def queue_entries(
    view: View, cycle: Cycle, env: Env, now: pendulum.DateTime
) -> Sequence[QueueEntry]:
    """15(j): the cycle's standing queue at ``now`` (no returned grant to favour)."""
    return queue_input(view, cycle, env).queue(env.rules, now)
