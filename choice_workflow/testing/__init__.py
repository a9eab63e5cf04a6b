"""Tools for testing code built on choice_workflow, and the store contract suite."""

from choice_workflow.testing.contract import StoreContract

__all__ = ["StoreContract"]
