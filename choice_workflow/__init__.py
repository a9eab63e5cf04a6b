"""choice_workflow: the grant program of Illinois' Employment Choice for All Act as code.

Each grant is a state machine; every deadline of the Act is enforced with exact time
arithmetic; every change is an event in an append-only, tamper-evident audit log.
"""

from importlib.metadata import version as _version

from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.errors import (
    ChainBroken,
    ChoiceWorkflowError,
    ClockError,
    ConcurrencyConflict,
    ConnectionLost,
    IdempotencyKeyReused,
    IllegalHistory,
    ImportRefused,
    InvalidInput,
    LogFormatError,
    NotPermitted,
    PackageRefused,
    Problem,
    RulesError,
    RulesMismatch,
    ScenarioError,
    Severity,
    StoreError,
    SweepInterrupted,
    TableError,
    TransitionRefused,
    UnknownEmployer,
    UnknownGrant,
)
from choice_workflow.events import Event
from choice_workflow.rules import (
    AwardCounts,
    Base2,
    NextApplicant,
    PeriodStart,
    Rules,
    Shortfall,
    WindowStart,
)
from choice_workflow.service.program import Program
from choice_workflow.service.subscription import PositionFile, Subscription
from choice_workflow.store.base import StoredEvent
from choice_workflow.time import Clock, ManualClock, SystemClock

__version__ = _version("choice_workflow")

__all__ = [
    "Actor",
    "AwardCounts",
    "Base2",
    "ChainBroken",
    "ChoiceWorkflowError",
    "Clock",
    "ClockError",
    "ConcurrencyConflict",
    "ConnectionLost",
    "Event",
    "Grant",
    "IdempotencyKeyReused",
    "IllegalHistory",
    "ImportRefused",
    "InvalidInput",
    "LogFormatError",
    "ManualClock",
    "NextApplicant",
    "NotPermitted",
    "PackageRefused",
    "PeriodStart",
    "PositionFile",
    "Problem",
    "Program",
    "Role",
    "Rules",
    "RulesError",
    "RulesMismatch",
    "ScenarioError",
    "Severity",
    "Shortfall",
    "State",
    "StoreError",
    "StoredEvent",
    "Subscription",
    "SweepInterrupted",
    "SystemClock",
    "TableError",
    "TransitionRefused",
    "UnknownEmployer",
    "UnknownGrant",
    "WindowStart",
    "__version__",
]
