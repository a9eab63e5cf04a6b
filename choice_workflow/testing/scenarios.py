"""Scenario helpers: the usual steps of a grant's life in one call each, for tests.

Plain functions of a :class:`~choice_workflow.service.program.Program`; they run the same
public commands an agency's code runs, so every guard of the Act still applies (a
helper that would break a rule raises the library's own refusal). With the pytest
plugin they pair with the ``cw_program`` and ``cw_actors`` fixtures::

    def test_a_late_acceptance_is_refused(cw_program, cw_actors):
        grant = register_and_apply(cw_program, "E1")
        ...

Employers get the complete, valid sample records of :mod:`choice_workflow.samples`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

import attrs
import pendulum

from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.selection import Selection
from choice_workflow.errors import InvalidInput, ScenarioError, UnknownEmployer
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.service.program import Program
from choice_workflow.time.clock import ManualClock

__all__ = [
    "ACTORS",
    "COUNTIES",
    "DEFAULT_APPROPRIATION",
    "START",
    "Actors",
    "ScenarioError",
    "advance_past_deadline",
    "approve_and_accept",
    "register_and_apply",
    "run_cycle",
]


START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
"""Where the ``cw_clock`` fixture starts: 9 a.m. in Chicago on July 1, 2030, the first
day grants may be awarded (15(a))."""

DEFAULT_APPROPRIATION = Decimal("1000000.00")
"""What a cycle opened by :func:`approve_and_accept` is appropriated (15(a))."""

COUNTIES = ("Cook", "Champaign", "Jackson", "Peoria", "Winnebago", "Sangamon")
"""The counties :func:`run_cycle` spreads its employers over, in turn (15(d))."""

Acceptance = Literal["all", "some", "none"]


@attrs.frozen
class Actors:
    """One actor per role of the program, and employer actors on demand.

    >>> Actors().employer("E1").employer_id
    'E1'
    """

    department: Actor = attrs.field(factory=lambda: Actor("dol", Role.DEPARTMENT))
    """The Department of Labor: reviews, confirms notices, disburses."""
    director: Actor = attrs.field(factory=lambda: Actor("director", Role.DIRECTOR))
    """The Director of Labor: opens cycles, approves, terminates."""
    evaluator: Actor = attrs.field(factory=lambda: Actor("evaluator", Role.EVALUATOR))
    """Records the evaluations of Section 20."""
    auditor: Actor = attrs.field(factory=lambda: Actor("auditor", Role.AUDITOR))
    """Reads, replays and verifies; nothing else."""
    system: Actor = attrs.field(factory=Actor.system)
    """The library's own jobs: the sweep of lapsed approvals."""

    def employer(self, employer_id: str) -> Actor:
        """The user who acts for ``employer_id`` (its own grants only)."""
        return Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id)


ACTORS = Actors()
"""The actors the helpers use when none are given."""


def _is_registered(program: Program, employer_id: str) -> bool:
    try:
        program.employer(employer_id)
    except UnknownEmployer:
        return False
    return True


def _is_open(program: Program, number: int) -> bool:
    try:
        program.cycle(number)
    except InvalidInput:
        return False
    return True


def _manual_clock(program: Program, helper: str) -> ManualClock:
    clock = program.clock
    if not isinstance(clock, ManualClock):
        raise ScenarioError(
            reason=f"{helper} moves the program's clock, and {clock!r} is not a ManualClock",
            hint="Build the Program on a ManualClock (the cw_clock fixture is one).",
        )
    return clock


def register_and_apply(
    program: Program,
    employer_id: str,
    *,
    amount: Decimal | str = "25000.00",
    grant_id: str | None = None,
    cycle: int = 1,
    county: str = "Cook",
    actors: Actors = ACTORS,
) -> Grant:
    """15(b): register ``employer_id`` (unless it already is) with a sample employer in
    ``county``, and apply for ``amount`` in ``cycle``. Returns the applied grant, whose
    id is ``grant_id`` or ``G-<employer_id>``.

    The application is the complete sample of :func:`~choice_workflow.samples.sample_application`,
    made at the program's current instant.
    """
    now = program.clock.now()
    if not _is_registered(program, employer_id):
        employer = sample_employer(employer_id, at=now, county=county)
        program.register_employer(employer, actors.department)
    application = sample_application(employer_id, at=now, amount=amount, rules=program.rules)
    return program.apply(
        application,
        actors.employer(employer_id),
        grant_id=grant_id if grant_id is not None else f"G-{employer_id}",
        cycle=cycle,
    )


def approve_and_accept(
    program: Program,
    grant_id: str,
    amount: Decimal | str | None = None,
    *,
    appropriation: Decimal | str = DEFAULT_APPROPRIATION,
    channel: str = "email",
    actors: Actors = ACTORS,
) -> Grant:
    """15(a), 15(i), 15(j): the Director approves ``amount`` (default: what was
    requested), the Department confirms the notice now, and the employer accepts at
    once. Returns the accepted grant.

    Approvals need an opened cycle with an appropriation: when the grant's cycle is not
    open yet, it is opened first with ``appropriation`` (cycle 2 needs cycle 1 open).
    """
    grant = program.grant(grant_id)
    if not _is_open(program, grant.cycle):
        program.open_cycle(grant.cycle, actors.director, appropriation=appropriation)
    program.approve(grant_id, grant.amount_requested if amount is None else amount, actors.director)
    program.confirm_notice(
        grant_id, actors.department, channel=channel, confirmed_at=program.clock.now()
    )
    return program.accept(grant_id, actors.employer(grant.employer_id))


def advance_past_deadline(program: Program, grant_id: str) -> pendulum.DateTime:
    """15(j): move the program's ManualClock to one microsecond after the grant's
    ``accept_by``, the first instant at which an acceptance is late and the sweep
    forfeits the approval. Returns the new instant.

    Raises :class:`ScenarioError` when the grant has no acceptance deadline yet (its
    notice is not confirmed) or the clock is not a ManualClock, and
    :class:`~choice_workflow.errors.ClockError` when the clock is already further on.
    """
    clock = _manual_clock(program, "advance_past_deadline")
    grant = program.grant(grant_id)
    if grant.accept_by is None:
        raise ScenarioError(
            reason=f"grant {grant_id} ({grant.state.value}) has no acceptance deadline yet",
            cites=("15(j)",),
            hint="Approve it and confirm its notice first: the 48 hours run from the notice.",
        )
    return clock.move_to(grant.accept_by + dt.timedelta(microseconds=1))


def run_cycle(
    program: Program,
    *,
    employers: int | Sequence[str] = 10,
    appropriation: Decimal | str | None = None,
    accept: Acceptance = "all",
    cycle: int = 1,
    amount: Decimal | str = "25000.00",
    actors: Actors = ACTORS,
) -> Selection:
    """15(d), 15(e), 15(f), 15(j): a whole award round of one cycle.

    1. Opens ``cycle`` with ``appropriation`` unless it is open (default: every request
       in full); a ManualClock earlier than the cycle's opening moves to it.
    2. Registers ``employers`` (a number, named ``C<cycle>-E001``...; or their ids),
       spread over :data:`COUNTIES`, and applies for ``amount`` each.
    3. Ranks them with :meth:`~choice_workflow.service.program.Program.select_awards`; the
       Director approves each proposal at its amount and the Department confirms its
       notice.
    4. ``accept="all"``: every proposal is accepted. ``"some"``: the 1st, 3rd, 5th ...
       accept; the clock moves past the others' deadline and the sweep forfeits them,
       so that their funds go to the next applicants of the queue (referred, not
       approved). ``"none"``: the approvals are left waiting.

    Returns the selection: its proposals, quotas and waitlist.
    """
    if accept not in ("all", "some", "none"):
        raise ScenarioError(
            reason=f"accept must be 'all', 'some' or 'none', not {accept!r}",
            hint="Pass accept='all', 'some' or 'none'.",
        )
    ids = (
        [f"C{cycle}-E{n:03d}" for n in range(1, employers + 1)]
        if isinstance(employers, int)
        else list(employers)
    )
    if not ids:
        raise ScenarioError(
            reason="a cycle needs at least one employer", hint="Pass employers=1 or more."
        )
    if not _is_open(program, cycle):
        funds = (
            Decimal(str(amount)) * len(ids)
            if appropriation is None
            else Decimal(str(appropriation))
        )
        program.open_cycle(cycle, actors.director, appropriation=funds)
    opens_at = program.cycle(cycle).opens_at
    if program.clock.now() < opens_at and isinstance(program.clock, ManualClock):
        program.clock.move_to(opens_at)
    for n, employer_id in enumerate(ids):
        register_and_apply(
            program,
            employer_id,
            amount=amount,
            cycle=cycle,
            county=COUNTIES[n % len(COUNTIES)],
            actors=actors,
        )
    selection = program.select_awards(cycle, actors.director)
    lapsing: list[str] = []
    for n, proposal in enumerate(selection.proposals):
        grant = program.approve(proposal.grant_id, proposal.amount, actors.director)
        program.confirm_notice(
            grant.id, actors.department, channel="email", confirmed_at=program.clock.now()
        )
        if accept == "all" or (accept == "some" and n % 2 == 0):
            program.accept(grant.id, actors.employer(grant.employer_id))
        elif accept == "some":
            lapsing.append(grant.id)
    if lapsing:
        advance_past_deadline(program, lapsing[-1])
        program.sweep(actors.system)
    return selection
