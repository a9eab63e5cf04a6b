"""The service layer: the Program facade and the unit of work that runs every command."""

from choice_workflow.service.program import Program
from choice_workflow.service.queries import Retention
from choice_workflow.service.unit_of_work import Outcome, UnitOfWork

__all__ = ["Outcome", "Program", "Retention", "UnitOfWork"]
