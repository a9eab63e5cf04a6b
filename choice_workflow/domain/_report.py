"""A collector of problems, with the type checks every validation repeats."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypeGuard, TypeVar

from choice_workflow.domain._codec import CitesFor, describe
from choice_workflow.domain.money import money_problem, to_money
from choice_workflow.errors import Problem, Severity

_T = TypeVar("_T")

MAX_COUNT = 10_000_000
"""More people than Illinois employs: a count above it is a typing error, not data."""


class Report:
    """Collects the problems of one record, each cited by its field path.

    The helpers check one value each and return it (narrowed) or None after recording
    why it is unusable, so that a check goes on to the next part instead of raising.
    """

    def __init__(self, cites_for: CitesFor) -> None:
        self.cites_for = cites_for
        self.problems: list[Problem] = []

    def add(self, field: str, reason: str, hint: str, severity: Severity = Severity.ERROR) -> None:
        self.problems.append(Problem(self.cites_for(field), reason, hint, field, severity))

    def wrong(self, field: str, value: object, expected: str, hint: str = "") -> None:
        self.add(field, f"expected {expected}, got {describe(value)}", hint or f"Give {expected}.")

    def count(self, value: object, field: str, what: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.wrong(field, value, f"a whole number of {what}", "Give a count such as 12.")
            return None
        if value < 0:
            self.add(field, f"{what}: {value} is negative", "Counts are zero or more.")
            return None
        if value > MAX_COUNT:
            self.add(field, f"{what}: {value} is implausibly large", "Check the number.")
            return None
        return value

    def text(self, value: object, field: str, what: str) -> str | None:
        if not isinstance(value, str):
            self.wrong(field, value, f"text describing {what}")
            return None
        if not value.strip():
            self.add(field, f"{what} is empty", f"Describe {what}.")
            return None
        return value

    def money(self, value: object, field: str, *, signed: bool = False) -> Decimal | None:
        problem = money_problem(value, field, self.cites_for(field))
        if problem is not None:
            self.problems.append(problem)
            return None
        amount = to_money(value, field, self.cites_for(field))
        if amount < 0 and not signed:
            self.add(field, f"{amount} is negative", "Wages and amounts are zero or more.")
            return None
        return amount

    def rows(self, value: object, field: str, what: str) -> Sequence[object] | None:
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            self.wrong(field, value, f"a list of {what}")
            return None
        return value

    def instance(self, value: object, cls: type[_T], field: str) -> TypeGuard[_T]:
        if isinstance(value, cls):
            return True
        self.wrong(field, value, f"a {cls.__name__}")
        return False
