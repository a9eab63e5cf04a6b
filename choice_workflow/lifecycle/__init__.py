"""The grant lifecycle: states, the one transition table, guards, the machine, the fold."""

from choice_workflow.lifecycle.context import Command, Context
from choice_workflow.lifecycle.grant import Grant, IllegalHistory, evolve
from choice_workflow.lifecycle.machine import LifecycleMachine, shared_machine
from choice_workflow.lifecycle.states import FINAL_STATES, State
from choice_workflow.lifecycle.table import (
    GRANT_LIFECYCLE,
    TableError,
    Transition,
    TransitionTable,
    Wait,
)

__all__ = [
    "FINAL_STATES",
    "GRANT_LIFECYCLE",
    "Command",
    "Context",
    "Grant",
    "IllegalHistory",
    "LifecycleMachine",
    "State",
    "TableError",
    "Transition",
    "TransitionTable",
    "Wait",
    "evolve",
    "shared_machine",
]
