"""What a guard sees: a read-only snapshot the command's context loader builds.

A guard takes ``(state, command, context, rules, now)``: the grant (None before it
exists), the typed command (a frozen attrs instance of :mod:`choice_workflow.commands`),
this snapshot, the Rules in force and the command's instant. The store re-checks what
the snapshot assumed (the grant's version, the employer's grants, the cycle's funds)
inside the command's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.domain.actors import Actor
from choice_workflow.domain.application import Application
from choice_workflow.domain.cycle import Cycle
from choice_workflow.domain.eligibility import PriorGrant
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.rules import Rules
from choice_workflow.time.instants import from_us


@attrs.frozen(kw_only=True)
class Context:
    """A read-only snapshot of what a command's guards and decision may look at."""

    actor: Actor | None = None
    """Who runs the command (separation of duties, dual authorization, referrals)."""
    employer: Employer | None = None
    application: Application | None = None
    """The application to judge (15(b)): the one applied with, or the amended one."""
    previous_application: Application | None = None
    """An amendment's application as it stands before it."""
    prior_grants: tuple[PriorGrant, ...] = ()
    """The employer's other grants (10(3), 15(g))."""
    cycle: Cycle | None = None
    """The cycle the command acts on, or the grant's cycle."""
    cycle_opening: dt.datetime | None = None
    """When the grant's cycle opened (15(f)); None: cycle 1 at the first award date."""
    cycle_one_opening: dt.datetime | None = None
    """When cycle 1 opened (15(f)); None: at the first award date."""
    funds_available: Decimal | None = None
    """What the cycle can still reserve (15(a)); None while no ledger is kept. Under the
    queue reading of 15(j), net of what referred applications not yet decided are
    offered (:attr:`funds_offered`)."""
    funds_offered: Decimal = Decimal("0.00")
    """15(j): what other referred applications of the cycle, not yet decided, are
    offered (held for them, out of :attr:`funds_available`)."""
    required_other: tuple[str, ...] = ()
    """Fields the Director requires under 15(b)(14)."""
    applications_close: dt.datetime | None = None
    """When the grant's cycle stops taking applications (15(f)); None: no limit set."""
    application_checked: bool = False
    """True when the service knows this exact application was judged complete (15(b))
    for this exact employer as of its submission, so the judgement is not repeated. It
    is a cache of a pure function: verify leaves it False and judges again."""
    stream_types: tuple[str, ...] = ()
    """The types of the grant's events by version (index 0 is version 1), for commands
    that reference earlier events: a correction, a termination's evidence."""
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    """What one command's decision needs besides (the candidates of a selection, the
    stream heads of a seal, a computed evaluation), by name."""


def prior_grants(grant_id: str, employers_grants: Iterable[Grant]) -> tuple[PriorGrant, ...]:
    """10(3), 15(g): the employer's other grants, as far as the one-grant rule cares."""
    return tuple(
        PriorGrant(
            grant_id=g.id, approved=g.approved_us is not None, accepted=g.accepted_us is not None
        )
        for g in employers_grants
        if g.id != grant_id
    )


def approval_context(
    grant: Grant,
    *,
    actor: Actor | None,
    employer: Employer | None,
    application: Application | None,
    employers_grants: Iterable[Grant],
    cycle: Cycle | None,
    cycle_one: Cycle | None,
    rules: Rules,
    application_checked: bool = False,
    offered: Decimal = Decimal("0.00"),
) -> Context:
    """What an approval's guards see, from the store or from verify's replay alike;
    ``offered``: what other referred applications are offered (15(j))."""
    return Context(
        actor=actor,
        employer=employer,
        application=application,
        prior_grants=prior_grants(grant.id, employers_grants),
        required_other=rules.required_other,
        cycle=cycle,
        cycle_opening=None if cycle is None else from_us(cycle.opens_us),
        cycle_one_opening=None if cycle_one is None else from_us(cycle_one.opens_us),
        funds_available=None if cycle is None else cycle.available - offered,
        funds_offered=offered,
        application_checked=application_checked,
    )
