"""The command layer: every command of the library declared once (DESIGN.md "The
command layer"). :data:`REGISTRY` holds them; :mod:`choice_workflow.service` runs them."""

from choice_workflow.commands.after_award import (
    CloseOut,
    PlaceHold,
    RecordRepayment,
    ReleaseHold,
    Terminate,
)
from choice_workflow.commands.applications import (
    Amend,
    Apply,
    Approve,
    Deny,
    Endorse,
    Refer,
    Review,
    Withdraw,
)
from choice_workflow.commands.award import (
    Accept,
    BeginTransition,
    ConfirmNotice,
    Decline,
    Disburse,
    Forfeit,
    RecordTechnicalAssistance,
    SendNotice,
)
from choice_workflow.commands.cycles import OpenCycle, SelectAwards, SetAppropriation
from choice_workflow.commands.employers import ChangeContact, RegisterEmployer, UpdateEmployer
from choice_workflow.commands.program import RecordRefusal, Seal, StartProgram
from choice_workflow.commands.records import (
    Correct,
    Evaluate,
    RecordHeadcount,
    RecordPerformance,
    RecordWages,
)
from choice_workflow.commands.registry import REGISTRY, Registry
from choice_workflow.commands.spec import CommandSpec, Emit, Env, Target, View

__all__ = [
    "REGISTRY",
    "Accept",
    "Amend",
    "Apply",
    "Approve",
    "BeginTransition",
    "ChangeContact",
    "CloseOut",
    "CommandSpec",
    "ConfirmNotice",
    "Correct",
    "Decline",
    "Deny",
    "Disburse",
    "Emit",
    "Endorse",
    "Env",
    "Evaluate",
    "Forfeit",
    "OpenCycle",
    "PlaceHold",
    "RecordHeadcount",
    "RecordPerformance",
    "RecordRefusal",
    "RecordRepayment",
    "RecordTechnicalAssistance",
    "RecordWages",
    "Refer",
    "RegisterEmployer",
    "Registry",
    "ReleaseHold",
    "Review",
    "Seal",
    "SelectAwards",
    "SendNotice",
    "SetAppropriation",
    "StartProgram",
    "Target",
    "Terminate",
    "UpdateEmployer",
    "View",
    "Withdraw",
]
