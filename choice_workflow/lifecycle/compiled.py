"""The transition table compiled to plain lookups: the step of a grant command.

This is the step the live path and verify take (DESIGN.md "The state machine"): the
row's sources, then every guard. :class:`~choice_workflow.lifecycle.machine.LifecycleMachine`
runs the same table on a ``transitions`` Machine; a property test proves the two agree
on every state, trigger and guard outcome.
"""

from __future__ import annotations

from typing import Any

import pendulum

from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.errors import Problem, TransitionRefused
from choice_workflow.lifecycle.context import Context
from choice_workflow.lifecycle.table import Transition
from choice_workflow.rules import Rules


def source_problem(row: Transition, grant: Grant | None) -> Problem | None:
    """Why ``row`` cannot run from the grant's state (or on no grant), or None."""
    if grant is None:
        if row.sources:
            return Problem(row.cites, f"there is no grant to {row.trigger}", "Apply first.")
        return None
    if not row.sources:
        return Problem(row.cites, f"grant {grant.id} already exists", "Use a new grant id.")
    if grant.state not in row.sources:
        allowed = ", ".join(sorted(s.value for s in row.sources))
        final = " (a final state)" if grant.state.is_final else ""
        return Problem(
            row.cites,
            f"the grant is {grant.state.value}{final}; {row.trigger} needs {allowed}",
            "Check the grant's state before this command.",
        )
    return None


def judge(
    row: Transition,
    grant: Grant | None,
    command: Any,
    context: Context,
    rules: Rules,
    now: pendulum.DateTime,
) -> tuple[Problem, ...]:
    """Every reason ``command`` may not take ``row`` now (empty: it may)."""
    source = source_problem(row, grant)
    if source is not None:
        return (source,)
    return tuple(p for guard in row.guards for p in guard(grant, command, context, rules, now))


def destination(row: Transition, grant: Grant | None) -> State:
    """Where ``row`` takes the grant (its state when the row keeps it)."""
    if row.dest is not None:
        return row.dest
    assert grant is not None  # noqa: S101 - only a creating row has no grant, and it has a dest
    return grant.state


def step(
    row: Transition,
    grant: Grant | None,
    command: Any,
    context: Context,
    rules: Rules,
    now: pendulum.DateTime,
) -> State:
    """The grant's next state, or :class:`TransitionRefused` with every refusal."""
    problems = judge(row, grant, command, context, rules, now)
    if problems:
        grant_id = grant.id if grant is not None else str(getattr(command, "grant_id", ""))
        raise TransitionRefused(command=row.trigger, grant_id=grant_id, problems=problems)
    return destination(row, grant)
