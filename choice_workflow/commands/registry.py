"""The registry: every command of the library, validated when it is built.

Like python-statemachine's factory, a definition that cannot be right fails when it is
built, not when it first runs: every event type has exactly one writer and one
projection (or a declared ``none``); every command has roles and cites (or says why it
rests on no clause of the Act); the grant commands are exactly the rows of the
transition table. Adding a command is one entry here (or in a registry built with
:meth:`Registry.adding`) and its handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from choice_workflow.commands import (
    after_award,
    applications,
    award,
    cycles,
    employers,
    records,
    referral,
)
from choice_workflow.commands import program as program_commands
from choice_workflow.commands.spec import CommandSpec, Target
from choice_workflow.errors import TableError
from choice_workflow.events import EventType
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE, TransitionTable

PROJECTIONS = frozenset({"grants", "employers", "cycles", "none"})
"""The read models an event may update (:mod:`choice_workflow.projections`)."""


class Registry:
    """The commands by name, by command class and by the event type they write."""

    def __init__(
        self, specs: Iterable[CommandSpec], *, table: TransitionTable = GRANT_LIFECYCLE
    ) -> None:
        self.specs: tuple[CommandSpec, ...] = tuple(specs)
        self.table = table
        _validate(self.specs, table)
        self.by_name: Mapping[str, CommandSpec] = MappingProxyType({s.name: s for s in self.specs})
        self.by_event_type: Mapping[str, CommandSpec] = MappingProxyType(
            {s.event_type: s for s in self.specs}
        )
        self._by_class: dict[type[Any], CommandSpec] = {s.command: s for s in self.specs}

    def of(self, command: object) -> CommandSpec:
        """The spec of a command instance."""
        found = self._by_class.get(type(command))
        if found is None:
            raise TableError(reason=f"{type(command).__name__} is not a registered command")
        return found

    def adding(self, *specs: CommandSpec) -> Registry:
        """A registry with these commands too (validated again)."""
        return Registry((*self.specs, *specs), table=self.table)

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)


def _duplicates(values: list[Any]) -> set[Any]:
    seen: set[Any] = set()
    return {v for v in values if v in seen or seen.add(v)}  # type: ignore[func-returns-value]  # set.add returns None


def _validate(specs: tuple[CommandSpec, ...], table: TransitionTable) -> None:
    for label, values in (
        ("command name", [s.name for s in specs]),
        ("command class", [s.command for s in specs]),
        ("event type", [s.event_type for s in specs]),
    ):
        for dup in _duplicates(values):
            raise TableError(reason=f"{label} {dup!r} has more than one writer")
    for s in specs:
        if not s.roles:
            raise TableError(reason=f"command {s.name!r} allows no role")
        if not s.cites and not s.no_cite:
            raise TableError(reason=f"command {s.name!r} has no cites and does not say why")
        if s.projection not in PROJECTIONS:
            raise TableError(
                reason=f"command {s.name!r} projects into {s.projection!r}, not one of "
                f"{', '.join(sorted(PROJECTIONS))}"
            )
        if s.payload_class is None:
            raise TableError(
                reason=f"command {s.name!r}: event type {s.event_type!r} has no payload class"
            )
        if getattr(s.command, "name", None) != s.name:
            raise TableError(reason=f"command class {s.command.__name__} is not named {s.name!r}")
        if (s.target is Target.GRANT) != (s.transition is not None):
            raise TableError(
                reason=f"command {s.name!r}: grant commands, and only they, have a row"
            )
        if s.transition is not None and table.by_trigger.get(s.name) is not s.transition:
            raise TableError(reason=f"command {s.name!r} is not the row of the transition table")
    grant_commands = {s.name for s in specs if s.transition is not None}
    for row in table.transitions:
        if row.trigger not in grant_commands:
            raise TableError(
                reason=f"trigger {row.trigger!r} of the transition table has no command"
            )


def _library_event_types() -> set[str]:
    return {v for k, v in vars(EventType).items() if k.isupper() and isinstance(v, str)}


LIBRARY_SPECS: tuple[CommandSpec, ...] = (
    *program_commands.SPECS,
    *employers.SPECS,
    *cycles.SPECS,
    *applications.SPECS,
    *referral.SPECS,
    *award.SPECS,
    *records.SPECS,
    *after_award.SPECS,
)

REGISTRY = Registry(LIBRARY_SPECS)
"""Every command of the library."""

_missing = _library_event_types() - set(REGISTRY.by_event_type)
if _missing:  # pragma: no cover - a new event type without its writer fails the import
    raise TableError(reason=f"event types without a writer: {', '.join(sorted(_missing))}")
