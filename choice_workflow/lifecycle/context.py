"""What a guard sees: the command, and a read-only snapshot loaded by the service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from choice_workflow.actors import Actor

if TYPE_CHECKING:
    from choice_workflow.allocation import Cycle
    from choice_workflow.domain.application import Application
    from choice_workflow.domain.eligibility import PriorGrant
    from choice_workflow.domain.employer import Employer
    from choice_workflow.lifecycle.grant import Grant
    from choice_workflow.rules import Rules


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Command:
    """A request to run ``name`` on grant ``grant_id``, by ``actor``, with ``params``.

    Params are already parsed (Decimal amounts, aware instants)."""

    name: str
    grant_id: str
    actor: Actor
    command_id: str
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)


@attrs.frozen
class Context:
    """A read-only snapshot of what a command's guards may look at.

    The store re-checks what it assumed (the grant's version, the employer's grants,
    the cycle's funds) inside the command's transaction.
    """

    employer: Employer | None = None
    application: Application | None = None
    prior_grants: tuple[PriorGrant, ...] = ()
    """The employer's other grants (10(3), 15(g))."""
    cycle_opening: dt.datetime | None = None
    """When the grant's cycle opened (15(f)); None: cycle 1 at the first award date."""
    cycle_one_opening: dt.datetime | None = None
    """When cycle 1 opened (15(f)); None: at the first award date."""
    funds_available: Decimal | None = None
    """What the cycle can still reserve (15(a)); None while no ledger is kept."""
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


def prior_grants(grant_id: str, employers_grants: Iterable[Grant]) -> tuple[PriorGrant, ...]:
    """10(3), 15(g): the employer's other grants, as far as the one-grant rule cares."""
    from choice_workflow.domain.eligibility import PriorGrant

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
    employer: Employer | None,
    application: Application | None,
    employers_grants: Iterable[Grant],
    cycle: Cycle | None,
    cycle_one: Cycle | None,
    rules: Rules,
    application_checked: bool = False,
) -> Context:
    """What an approval's guards see: one builder for the Program (from the store) and
    for verify (from the replay), so that both judge an approval alike."""
    from choice_workflow.lifecycle.grant import from_us

    return Context(
        employer=employer,
        application=application,
        prior_grants=prior_grants(grant.id, employers_grants),
        required_other=rules.required_other,
        cycle_opening=None if cycle is None else from_us(cycle.opens_us),
        cycle_one_opening=None if cycle_one is None else from_us(cycle_one.opens_us),
        funds_available=None if cycle is None else cycle.available,
        application_checked=application_checked,
    )
