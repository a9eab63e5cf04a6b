"""Projections: one pure fold per read model of the log.

The same folds build the live projections inside a command's transaction, rebuild
them on import, and are what verify compares with the database and the reports read.
No other module folds events.
"""

from choice_workflow.projections.grants import evolve, fold

__all__ = ["evolve", "fold"]
