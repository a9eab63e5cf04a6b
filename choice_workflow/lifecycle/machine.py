"""The table, compiled into one ``transitions`` Machine per process.

Grants are never attached to the machine: ``add_model`` is O(n) per model and costs
kilobytes each (transitions #379, #434, #146), and a model attached to a shared machine
is not thread-safe. Each command gets a short-lived cursor holding only the grant's
state; the machine's event decides, from the table's sources and the guards (run as
its one condition), whether the command goes ahead and where the grant goes.
"""

from __future__ import annotations

import threading
from typing import Any

import pendulum
from transitions import Machine, MachineError

from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.errors import Problem, TransitionRefused
from choice_workflow.lifecycle.compiled import source_problem
from choice_workflow.lifecycle.context import Context
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE, Transition, TransitionTable
from choice_workflow.rules import Rules

_CREATED = "_created"  # the pseudo-state a creating trigger (apply) leaves


class _Cursor:
    """The short-lived model of one command: a state and the refusals found."""

    __slots__ = ("problems", "state")

    def __init__(self, state: str) -> None:
        self.state = state
        self.problems: list[Problem] = []


def _run_guards(event: Any) -> bool:
    """The machine's one condition: run every guard of the row, keep every refusal."""
    spec: Transition = event.kwargs["spec"]
    args = (
        event.kwargs["grant"],
        event.kwargs["command"],
        event.kwargs["context"],
        event.kwargs["rules"],
        event.kwargs["now"],
    )
    problems = event.model.problems
    for guard in spec.guards:
        problems.extend(guard(*args))
    return not problems


class LifecycleMachine:
    """Runs commands through the table on one shared ``transitions`` Machine."""

    def __init__(self, table: TransitionTable = GRANT_LIFECYCLE) -> None:
        self.table = table
        rows = []
        for t in table.transitions:
            sources = [s.value for s in t.sources] or [_CREATED]
            rows.append(
                {
                    "trigger": t.trigger,
                    "source": sources,
                    "dest": None if t.dest is None else t.dest.value,
                    "conditions": [_run_guards],
                }
            )
        self.machine = Machine(
            model=None,
            states=[_CREATED, *(s.value for s in table.states)],
            transitions=rows,
            initial=None,
            auto_transitions=False,
            send_event=True,
        )

    def step(
        self,
        row: Transition,
        grant: Grant | None,
        command: Any,
        context: Context,
        rules: Rules,
        now: pendulum.DateTime,
    ) -> State:
        """Run the row's trigger on the machine; return the grant's next state.

        Raises :class:`TransitionRefused` with every refusal (the source state, every
        failed guard), never a bare ``MachineError``.
        """
        state = source_problem(row, grant)
        if state is not None:
            raise TransitionRefused(
                command=row.trigger, grant_id=_grant_id(grant, command), problems=[state]
            )
        cursor = _Cursor(grant.state.value if grant else _CREATED)
        try:
            moved = self.machine.events[row.trigger].trigger(
                cursor, spec=row, grant=grant, command=command, context=context, rules=rules,
                now=now,
            )  # fmt: skip
        except MachineError as exc:  # pragma: no cover - source_problem checks first
            raise TransitionRefused(
                command=row.trigger,
                grant_id=_grant_id(grant, command),
                problems=[Problem(row.cites, str(exc), "")],
            ) from exc
        if not moved:
            raise TransitionRefused(
                command=row.trigger, grant_id=_grant_id(grant, command), problems=cursor.problems
            )
        return State(cursor.state)


def _grant_id(grant: Grant | None, command: Any) -> str:
    return grant.id if grant is not None else str(getattr(command, "grant_id", ""))


_shared: LifecycleMachine | None = None
_shared_lock = threading.Lock()


def shared_machine() -> LifecycleMachine:
    """The process's one machine, built on first use."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = LifecycleMachine()
    return _shared
