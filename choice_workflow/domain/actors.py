"""Who may do what: roles and the actors who carry them (DESIGN.md "Who may do what")."""

from __future__ import annotations

import enum

import attrs

from choice_workflow.errors import InvalidInput, Problem


class Role(enum.StrEnum):
    """The roles of the grant program."""

    DEPARTMENT = "department"
    """The Department of Labor: reviews, denies, confirms notices, technical assistance."""
    DIRECTOR = "director"
    """The Director of Labor: approves, sets amounts, opens cycles, terminates."""
    EMPLOYER = "employer"
    """An eligible employer: applies, accepts, declines, withdraws; its own grants only."""
    EVALUATOR = "evaluator"
    """Records work performance and evaluations (20(a)); reads 15(c) break data."""
    AUDITOR = "auditor"
    """Reads, replays, verifies and exports; nothing else."""
    SYSTEM = "system"
    """The library's own jobs (the sweep of lapsed approvals)."""


@attrs.frozen
class Actor:
    """Someone (or a job) acting in a role. An employer actor names its employer."""

    id: str
    role: Role
    employer_id: str | None = None

    def __attrs_post_init__(self) -> None:

        problems = []
        if not isinstance(self.id, str) or not self.id.strip():
            problems.append(
                Problem((), "an actor needs a non-empty id", "Pass the user's id.", "id")
            )
        if not isinstance(self.role, Role):
            problems.append(
                Problem(
                    (),
                    f"unknown role {self.role!r}",
                    f"Use one of {', '.join(r.value for r in Role)}.",
                    "role",
                )
            )
        if self.role is Role.EMPLOYER and not self.employer_id:
            problems.append(
                Problem(
                    (),
                    "an employer actor must name its employer",
                    "Pass employer_id=...",
                    "employer_id",
                )
            )
        if problems:
            raise InvalidInput(problems=problems)

    @classmethod
    def system(cls) -> Actor:
        """The library's own sweeper."""
        return cls("system", Role.SYSTEM)
