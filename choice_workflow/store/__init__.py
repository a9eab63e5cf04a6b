"""Stores: one interface, one module per backend."""

from choice_workflow.store.base import Store, Transaction
from choice_workflow.store.memory import MemoryStore

__all__ = ["MemoryStore", "Store", "Transaction"]
