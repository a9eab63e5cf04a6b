"""The grant lifecycle: the one transition table, its guards and the machine."""

from choice_workflow.domain.state import FINAL_STATES, State
from choice_workflow.errors import TableError
from choice_workflow.lifecycle.context import Context
from choice_workflow.lifecycle.machine import LifecycleMachine, shared_machine
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE, Transition, TransitionTable, Wait

__all__ = [
    "FINAL_STATES",
    "GRANT_LIFECYCLE",
    "Context",
    "LifecycleMachine",
    "State",
    "TableError",
    "Transition",
    "TransitionTable",
    "Wait",
    "shared_machine",
]
