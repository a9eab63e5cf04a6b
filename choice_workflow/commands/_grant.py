"""What every grant command shares: its row of the transition table, its stream (the
grant id), its state (the grant), and a decision that is the table's step (sources and
guards) followed by the command's own payload."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pendulum

from choice_workflow.commands.spec import CommandSpec, Emit, Load, Target, View, no_context
from choice_workflow.domain.grant import Grant
from choice_workflow.errors import UnknownGrant
from choice_workflow.events import Event
from choice_workflow.lifecycle.compiled import step
from choice_workflow.lifecycle.context import Context
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE
from choice_workflow.rules import Rules

Payload = Callable[[Any, Grant | None, Context, Rules, pendulum.DateTime], Mapping[str, Any]]


def grant_result(events: Sequence[Event], after: Any) -> Grant:
    """The grant as the command left it."""
    assert isinstance(after, Grant)  # noqa: S101 - the unit of work gives the grant after
    return after


def _grant_of(view: View, command: Any) -> Grant | None:
    return view.grant(command.grant_id)


def _missing(command: Any) -> Exception:
    return UnknownGrant(grant_id=command.grant_id)


def _owner(command: Any, grant: Grant | None) -> str | None:
    if grant is not None:
        return grant.employer_id
    application = getattr(command, "application", None)
    return None if application is None else str(getattr(application, "employer_id", ""))


def grant_command(
    trigger: str,
    command: type[Any],
    payload: Payload,
    recover: Callable[[Event, View], Any],
    *,
    load: Load = no_context,
    occurred: Callable[[Any], pendulum.DateTime | None] = lambda command: None,
    payload_cites: Mapping[str, tuple[str, ...]] | None = None,
    legacy_optional: frozenset[str] = frozenset(),
    restated: frozenset[str] = frozenset(),
    payload_reasons: Mapping[str, str] | None = None,
    permission: Any = None,
    same: Any = None,
) -> CommandSpec:
    """The spec of the grant command ``trigger``: roles, cites, guards, own-employer
    rule and event type come from its row of the transition table."""
    row = GRANT_LIFECYCLE.by_trigger[trigger]

    def decide(
        cmd: Any, grant: Grant | None, context: Context, rules: Rules, now: pendulum.DateTime
    ) -> Emit:
        step(row, grant, cmd, context, rules, now)
        return Emit(payload(cmd, grant, context, rules, now), occurred(cmd))

    return CommandSpec(
        name=trigger,
        command=command,
        event_type=row.event_type,
        target=Target.GRANT,
        roles=row.roles,
        cites=row.cites,
        stream=lambda cmd: str(cmd.grant_id),
        state=_grant_of,
        decide=decide,
        recover=recover,
        result=grant_result,
        load=load,
        own_only=row.own_only,
        owner=_owner,
        missing=None if not row.sources else _missing,
        permission=permission,
        transition=row,
        projection="grants",
        payload_cites=payload_cites or {},
        payload_reasons=payload_reasons or {},
        legacy_optional=legacy_optional,
        restated=restated,
        same=same,
        description=row.description,
    )
