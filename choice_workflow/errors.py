"""Errors and problems.

Every refusal of the library carries the cites of the Act it rests on (most specific
first), a reason that says what is wrong and a hint that says what to do next. One base
class, :class:`ChoiceWorkflowError`, lets callers catch everything the library raises on
purpose; anything else escaping is a defect.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs


class Severity(enum.Enum):
    """How much a :class:`Problem` weighs.

    An ``ERROR`` refuses the input; a ``WARNING`` is something the Act does not demand
    but an agency would want to see (REQUIREMENTS.md: "a warning, never a refusal").
    """

    ERROR = "error"
    WARNING = "warning"


def sentence(reason: str, hint: str, cites: tuple[str, ...]) -> str:
    """Every error's text: ``<reason>. <hint> [cites]``, the reason and the hint as
    sentences of their own, the cites (if any) last."""
    text = reason.strip()
    if text and text[-1] not in ".?!":
        text += "."
    if hint.strip():
        text += f" {hint.strip()}"
    return f"{text} [{', '.join(cites)}]" if cites else text


@attrs.frozen
class Problem:
    """One failed check: of an application field, a guard of the lifecycle, a setting.

    ``cites`` name the Act's provisions, most specific first (for example
    ``("15(g)", "10(3)")``); ``field`` is a dotted path into the checked input where
    there is one (``"wages_14c.minimum"``), else ``""``.
    """

    cites: tuple[str, ...]
    reason: str
    hint: str
    field: str = ""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        """True when this problem refuses the input."""
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{where}{sentence(self.reason, self.hint, self.cites)}"


def errors_only(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """The problems that refuse, in their original order."""
    return tuple(p for p in problems if p.is_error)


class ChoiceWorkflowError(Exception):
    """Base of every error the library raises on purpose.

    It carries ``cites`` (a tuple, most specific first; empty for errors that are about
    the library's own use rather than the Act), a ``reason`` and a ``hint``. Every
    constructor of the library's errors takes keywords only.
    """

    def __init__(self, *, reason: str, cites: tuple[str, ...] = (), hint: str = "") -> None:
        self.reason = reason
        self.cites = cites
        self.hint = hint
        super().__init__(self._message())

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only constructors: rebuilt from the attributes (for pickling across
        # processes), not by calling the class with ``args``.
        return (_rebuilt, (type(self), self.__dict__.copy(), self.args))

    def _message(self) -> str:
        return sentence(self.reason, self.hint, self.cites)


class InvalidInput(ChoiceWorkflowError, ValueError):
    """Input that cannot be used as given: every problem found is in ``problems``."""

    def __init__(self, *, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("InvalidInput needs at least one problem")
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        cites = tuple(dict.fromkeys(c for p in self.problems for c in p.cites))
        super().__init__(
            reason=f"{first.field + ': ' if first.field else ''}{first.reason}{more}",
            cites=cites,
            hint=first.hint,
        )


class RulesError(InvalidInput):
    """A :class:`~choice_workflow.rules.Rules` setting that cannot be right."""


class TransitionRefused(ChoiceWorkflowError):
    """A command the Act (or the state of the grant) does not allow now.

    ``problems`` lists every failed guard, not just the first, so that a user sees all
    that must change at once.
    """

    def __init__(self, *, command: str, grant_id: str, problems: Iterable[Problem]) -> None:
        self.command = command
        self.grant_id = grant_id
        self.problems = tuple(problems)
        cites = tuple(dict.fromkeys(c for p in self.problems for c in p.cites))
        reasons = "; ".join(p.reason for p in self.problems)
        hints = " ".join(dict.fromkeys(p.hint for p in self.problems if p.hint))
        super().__init__(
            reason=f"{command} of grant {grant_id} refused: {reasons}", cites=cites, hint=hints
        )


class NotPermitted(ChoiceWorkflowError):
    """The actor's role (or employer) may not run this command. The attempt is logged."""

    def __init__(self, *, command: str, actor: str, role: str, reason: str, hint: str) -> None:
        self.command = command
        self.actor = actor
        self.role = role
        self.why = reason
        """Why the actor may not (``reason`` is the whole sentence)."""
        super().__init__(reason=f"{actor} ({role}) may not {command}: {reason}", hint=hint)


class UnknownGrant(ChoiceWorkflowError, LookupError):
    """No grant with this id."""

    def __init__(self, *, grant_id: str) -> None:
        self.grant_id = grant_id
        super().__init__(reason=f"no grant {grant_id!r}", hint="Check the id, or apply first.")


class UnknownEmployer(ChoiceWorkflowError, LookupError):
    """No employer with this id has been registered."""

    def __init__(self, *, employer_id: str) -> None:
        self.employer_id = employer_id
        super().__init__(
            reason=f"no employer {employer_id!r}", hint="Register the employer before it applies."
        )


class ConcurrencyConflict(ChoiceWorkflowError):
    """Another writer changed what this command read. Safe to retry the command."""

    retryable = True


class ClockError(ChoiceWorkflowError):
    """A clock was asked to do what a clock cannot (go backwards), or a command's
    instant would precede what the log already holds (a clock behind the database)."""


class SweepInterrupted(ChoiceWorkflowError):
    """A sweep stopped part-way: ``forfeited`` holds the grants (``Grant``) it had
    forfeited before (each in its own committed transaction), ``error`` what stopped it
    (also the ``__cause__``). Running the sweep again goes on where it stopped."""

    def __init__(self, *, forfeited: Iterable[Any], error: ChoiceWorkflowError) -> None:
        self.forfeited = tuple(forfeited)
        self.error = error
        super().__init__(
            reason=f"the sweep stopped after forfeiting {len(self.forfeited)} grant(s): "
            f"{error.reason}",
            cites=error.cites or ("15(j)",),
            hint=f"{error.hint} The forfeits recorded stand; run the sweep again.".lstrip(),
        )


class IllegalHistory(ChoiceWorkflowError):
    """A sequence of events the transition table does not allow (a corrupt log)."""


class TableError(ChoiceWorkflowError):
    """The transition table or the command registry is inconsistent; the message names
    the state, trigger, command or event type."""


class IdempotencyKeyReused(ChoiceWorkflowError):
    """A command id already used for another command (or another actor, or other
    parameters): nothing was written. ``first_use`` names what it was first used for."""

    def __init__(self, *, command_id: str, first_use: str) -> None:
        self.command_id = command_id
        self.first_use = first_use
        super().__init__(
            reason=f"command id {command_id!r} was first used for {first_use}",
            hint="Use a new command id for a new command; retry a command with its own id "
            "and the same parameters to get its first result.",
        )


class RulesMismatch(ChoiceWorkflowError):
    """The Rules passed to a Program differ from the Rules its log records."""


class ChainBroken(ChoiceWorkflowError):
    """The grant's stream does not verify: a records package is not written."""


class PackageRefused(ChoiceWorkflowError):
    """The records package cannot be written where asked (the place is not empty)."""


class LogFormatError(ChoiceWorkflowError):
    """A log file that is not in the audit format; the message names the line."""


class ImportRefused(ChoiceWorkflowError):
    """The log cannot be imported; nothing was written."""


class StoreError(ChoiceWorkflowError):
    """The database could not be used as a store (unreachable, wrong schema, ...)."""


class ConnectionLost(StoreError):
    """The connection to the database was lost mid-way (a terminated backend, a server
    restarted or unreachable). What the command wrote was committed whole or not at
    all; a command retried with its own command id returns its first result if it
    had committed. The Program retries its commands so by itself; a query may be
    retried as it is; a sweep stops (``SweepInterrupted``, with what it forfeited) and
    goes on where it stopped when run again."""

    retryable = True


class ScenarioError(ChoiceWorkflowError):
    """A scenario helper was asked for something it cannot do (the reason says why)."""


def _rebuilt(
    cls: type[ChoiceWorkflowError], state: dict[str, object], args: tuple[object, ...]
) -> ChoiceWorkflowError:
    """An error unpickled: its attributes as they were, without its constructor."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error
