"""What a guard sees: the command, and a read-only snapshot loaded by the service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from choice_workflow.actors import Actor

if TYPE_CHECKING:
    from choice_workflow.domain.application import Application
    from choice_workflow.domain.eligibility import PriorGrant
    from choice_workflow.domain.employer import Employer


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
