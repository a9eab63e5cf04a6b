"""The table, compiled into one ``transitions`` Machine per process.

Grants are never attached to the machine: ``add_model`` is O(n) per model and costs
kilobytes each (transitions #379, #434, #146), and a model attached to a shared machine
is not thread-safe. Each command gets a short-lived cursor holding only the grant's
state; the machine's event decides, from the table's sources and the guards (run as
its one condition), whether the command goes ahead and where the grant goes.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pendulum
from transitions import Machine, MachineError

from choice_workflow.actors import Actor, Role
from choice_workflow.errors import NotPermitted, Problem, TransitionRefused
from choice_workflow.lifecycle.states import State
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE, Transition, TransitionTable

if TYPE_CHECKING:
    from choice_workflow.lifecycle.context import Command, Context
    from choice_workflow.lifecycle.grant import Grant
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

    def check_role(self, spec: Transition, actor: Actor, employer_id: str | None) -> Problem | None:
        """The refusal of ``actor`` for ``spec`` (role, own employer), or None."""
        if actor.role not in spec.roles:
            allowed = ", ".join(sorted(r.value for r in spec.roles))
            return Problem(
                (),
                f"role {actor.role.value} may not {spec.trigger}",
                f"Allowed: {allowed}.",
                "actor",
            )
        if (
            spec.own_only
            and actor.role is Role.EMPLOYER
            and employer_id is not None
            and actor.employer_id != employer_id
        ):
            return Problem(
                (),
                f"employer {actor.employer_id} may not act on another employer's grant",
                "An employer acts on its own grants only.",
                "actor",
            )
        return None

    def refusals(
        self,
        command: Command,
        grant: Grant | None,
        context: Context,
        rules: Rules,
        now: pendulum.DateTime,
    ) -> tuple[Problem, ...]:
        """Every reason ``command`` may not run now (empty: it may). Never raises for a
        refusal; this is what ``may_<command>()`` returns."""
        spec = self.table.by_trigger[command.name]
        role = self.check_role(
            spec, command.actor, grant.employer_id if grant else command.params.get("employer_id")
        )
        if role is not None:
            return (role,)
        state = self._source_problem(spec, grant)
        if state is not None:
            return (state,)
        problems: list[Problem] = []
        for guard in spec.guards:
            problems.extend(guard(grant, command, context, rules, now))
        return tuple(problems)

    def run(
        self,
        command: Command,
        grant: Grant | None,
        context: Context,
        rules: Rules,
        now: pendulum.DateTime,
    ) -> State:
        """Run ``command`` on the machine; return the grant's next state.

        Raises :class:`NotPermitted` for a role the row does not allow and
        :class:`TransitionRefused` with every failed guard otherwise; never a bare
        ``MachineError``.
        """
        spec = self.table.by_trigger[command.name]
        employer_id = grant.employer_id if grant else command.params.get("employer_id")
        role = self.check_role(spec, command.actor, employer_id)
        if role is not None:
            raise NotPermitted(
                command.name, command.actor.id, command.actor.role.value, role.reason, role.hint
            )
        state = self._source_problem(spec, grant)
        if state is not None:
            raise TransitionRefused(command.name, command.grant_id, [state])
        cursor = _Cursor(grant.state.value if grant else _CREATED)
        try:
            moved = self.machine.events[spec.trigger].trigger(
                cursor,
                spec=spec,
                grant=grant,
                command=command,
                context=context,
                rules=rules,
                now=now,
            )
        except MachineError as exc:  # pragma: no cover - _source_problem checks first
            raise TransitionRefused(
                command.name, command.grant_id, [Problem(spec.cites, str(exc), "")]
            ) from exc
        if not moved:
            raise TransitionRefused(command.name, command.grant_id, cursor.problems)
        return State(cursor.state)

    @staticmethod
    def _source_problem(spec: Transition, grant: Grant | None) -> Problem | None:
        if grant is None:
            if spec.sources:
                return Problem(spec.cites, f"there is no grant to {spec.trigger}", "Apply first.")
            return None
        if not spec.sources:
            return Problem(spec.cites, f"grant {grant.id} already exists", "Use a new grant id.")
        if grant.state not in spec.sources:
            allowed = ", ".join(sorted(s.value for s in spec.sources))
            final = " (a final state)" if grant.state.is_final else ""
            return Problem(
                spec.cites,
                f"the grant is {grant.state.value}{final}; {spec.trigger} needs {allowed}",
                "Check the grant's state before this command.",
            )
        return None


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
