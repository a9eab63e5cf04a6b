"""The commands that record facts of a grant for the evaluation, and their
corrections: wages, head counts, performance, the evaluation (20(a), 15(c), 15(l))."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import attrs

from choice_workflow.commands._grant import grant_command
from choice_workflow.commands.spec import Env, View
from choice_workflow.domain.actors import Actor
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.performance import PerformanceRecord
from choice_workflow.domain.recorded import (
    headcount_from_data,
    headcount_to_data,
    performance_from_data,
    performance_to_data,
    wage_from_data,
    wage_to_data,
)
from choice_workflow.domain.wages import Headcount, WageRecord
from choice_workflow.errors import Problem
from choice_workflow.lifecycle.context import Context
from choice_workflow.lifecycle.corrections import CORRECTABLE
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE
from choice_workflow.rules import Rules


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@attrs.frozen
class RecordWages:
    """20(a)(1), 15(l): dated hourly wages of pseudonymous employees; ``final`` marks
    the grant's final wage report."""

    name: ClassVar[str] = "record_wages"
    grant_id: str
    records: tuple[WageRecord, ...]
    final: bool = False

    @property
    def latest(self) -> dt.date | None:
        """The latest day a wage was paid (none may be after today)."""
        return max((r.paid_on for r in self.records), default=None)

    @property
    def count(self) -> int:
        """How many records."""
        return len(self.records)


@attrs.frozen
class RecordHeadcount:
    """20(a)(1): a quarter's employment counts."""

    name: ClassVar[str] = "record_headcount"
    grant_id: str
    headcount: Headcount

    @property
    def latest(self) -> dt.date:
        """The quarter's first day (not after today)."""
        return self.headcount.quarter_start

    @property
    def count(self) -> int:
        """One count."""
        return 1


@attrs.frozen
class RecordPerformance:
    """15(c): the evaluator records standard level work performance."""

    name: ClassVar[str] = "record_performance"
    grant_id: str
    records: tuple[PerformanceRecord, ...]

    @property
    def latest(self) -> dt.date | None:
        """The latest day of a period recorded."""
        return max((r.period_end for r in self.records), default=None)

    @property
    def count(self) -> int:
        """How many records."""
        return len(self.records)


@attrs.frozen
class Correct:
    """A recorded fact corrected by a new event that references it (never an edit)."""

    name: ClassVar[str] = "correct"
    grant_id: str
    corrects: int
    reason: str
    replacement: Mapping[str, Any] = attrs.field(converter=_frozen)

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the correction replaces."""
        return tuple(sorted(self.replacement))

    @property
    def latest(self) -> dt.date | None:
        """The latest day among the replacement records (none may be after today);
        None when they do not read (the correction's guard reports that)."""
        return replacement_latest(self.replacement)


@attrs.frozen
class Evaluate:
    """20(a): the evaluation of a transitioning grantee."""

    name: ClassVar[str] = "evaluate"
    grant_id: str
    evaluation: Mapping[str, Any]


def replacement_latest(replacement: Mapping[str, Any]) -> dt.date | None:
    """The latest date of a correction's replacement records (wages: paid on;
    performance: the period's end; a head count: its quarter)."""
    try:
        if "headcount" in replacement:
            return dt.date.fromisoformat(str(replacement["headcount"]["quarter_start"]))
        days = [
            dt.date.fromisoformat(str(r["paid_on"] if "paid_on" in r else r["period_end"]))
            for r in replacement.get("records", ())
        ]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return max(days, default=None)


def _stream_context(
    command: Any, grant: Grant | None, view: View, env: Env, actor: Actor
) -> Context:
    return Context(actor=actor, stream_types=view.stream_types(command.grant_id))


def corrected_type(command: Correct, context: Context) -> str | None:
    """The type of the event a correction references (None: no such version)."""
    version = command.corrects
    types = context.stream_types
    if isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= len(types):
        return types[version - 1]
    return None


def _may_correct(
    actor: Actor, command: Correct, grant: Grant | None, context: Context
) -> Problem | None:
    """Only the role that records a kind of fact corrects it."""
    kind = corrected_type(command, context)
    recorder = GRANT_LIFECYCLE.by_event_type.get(str(kind))
    if recorder is not None and kind in CORRECTABLE and actor.role not in recorder.roles:
        allowed = ", ".join(sorted(r.value for r in recorder.roles))
        return Problem(
            ("20(a)(1)",),
            f"role {actor.role.value} does not record a {kind} (only the {allowed} "
            f"{'does' if len(recorder.roles) == 1 else 'do'}), so it may not correct one",
            f"Ask the role that records it: {allowed}.",
            "actor",
        )
    return None


def _correct_payload(
    command: Correct, grant: Grant | None, context: Context, rules: Rules, now: Any
) -> dict[str, Any]:
    return {
        "corrects": command.corrects,
        "reason": str(command.reason),
        "replacement": dict(command.replacement),
        "corrects_type": corrected_type(command, context),
    }


def _wages_payload(
    command: RecordWages, grant: Grant | None, context: Context, rules: Rules, now: Any
) -> dict[str, Any]:
    data = [wage_to_data(r) for r in command.records]
    return {"records": data, "final": True} if command.final else {"records": data}


RECORD_WAGES = grant_command(
    "record_wages", RecordWages, _wages_payload,
    lambda e, v: RecordWages(
        e.stream_id, tuple(wage_from_data(d) for d in e.payload["records"]),
        e.payload.get("final") is True,
    ),
)  # fmt: skip
RECORD_HEADCOUNT = grant_command(
    "record_headcount", RecordHeadcount,
    lambda c, g, x, r, n: {"headcount": headcount_to_data(c.headcount)},
    lambda e, v: RecordHeadcount(e.stream_id, headcount_from_data(e.payload["headcount"])),
)  # fmt: skip
RECORD_PERFORMANCE = grant_command(
    "record_performance", RecordPerformance,
    lambda c, g, x, r, n: {"records": [performance_to_data(p) for p in c.records]},
    lambda e, v: RecordPerformance(
        e.stream_id, tuple(performance_from_data(d) for d in e.payload["records"])
    ),
)  # fmt: skip
CORRECT = grant_command(
    "correct", Correct, _correct_payload,
    lambda e, v: Correct(
        e.stream_id, e.payload["corrects"], e.payload["reason"], e.payload["replacement"]
    ),
    load=_stream_context, permission=_may_correct,
    payload_cites={"corrects_type": ("20(a)(1)",)},
    payload_reasons={
        "corrects_type": "the correction says it corrects a {recorded}, but version "
        "{p[corrects]} is not one"
    },
)  # fmt: skip
EVALUATE = grant_command(
    "evaluate", Evaluate, lambda c, g, x, r, n: {"evaluation": dict(c.evaluation)},
    lambda e, v: Evaluate(e.stream_id, e.payload["evaluation"]),
)  # fmt: skip

SPECS = (RECORD_WAGES, RECORD_HEADCOUNT, RECORD_PERFORMANCE, CORRECT, EVALUATE)
