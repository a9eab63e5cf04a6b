"""What a grant's recorded facts say, as corrected: its wages, and the evaluation of
Section 20(a) computed from its audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pendulum

from choice_workflow.domain.evaluation import ComplianceAction, Evaluation, evaluate_wages
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.performance import aggregate_performance
from choice_workflow.domain.recorded import (
    headcount_from_data,
    performance_from_data,
    wage_from_data,
)
from choice_workflow.domain.wages import WageRecord
from choice_workflow.events import Event, EventType
from choice_workflow.lifecycle.corrections import effective_records
from choice_workflow.rules import Rules
from choice_workflow.time.instants import zone

COMPLIANCE: dict[str, tuple[str, str, str]] = {
    EventType.ACCEPTED: ("accepted the grant", "15(j)", "accepted within the 48-hour window"),
    EventType.NOTICE_CONFIRMED: ("confirmed the notice", "15(i)", "notice of approval confirmed"),
    EventType.TRANSITION_BEGUN: (
        "began the transition",
        "15(i)",
        "transition to the minimum wage begun",
    ),
    EventType.TECHNICAL_ASSISTANCE: (
        "received technical assistance",
        "90",
        "technical assistance from the Department",
    ),
    EventType.WAGES_RECORDED: (
        "reported wages",
        "20(a)(1)",
        "wage records provided for the evaluation",
    ),
    EventType.HEADCOUNT_RECORDED: (
        "reported employment",
        "20(a)(1)",
        "headcounts provided for the evaluation",
    ),
    EventType.PERFORMANCE_RECORDED: (
        "was evaluated on performance",
        "15(c)",
        "standard level work performance recorded",
    ),
    EventType.DISBURSED: ("received an instalment", "15(f)", "an instalment of the grant paid"),
}
"""20(a)(2): events of a grant that are actions taken to comply with Section 15."""


def wages_of(events: Sequence[Event]) -> list[WageRecord]:
    """The wages a grant's events record, in the order recorded, as corrected."""
    return [
        wage_from_data(d)
        for r in effective_records(events, EventType.WAGES_RECORDED)
        for d in r.payload["records"]
    ]


def computed_evaluation(
    grant: Grant, events: Sequence[Event], rules: Rules, now: pendulum.DateTime
) -> dict[str, Any]:
    """20(a): wages and employment before and after the transition, the actions taken
    to comply with Section 15 (from the audit trail), and performance, as JSON data."""
    tz = rules.timezone
    started = grant.transition_started_at
    start_day = None if started is None else started.in_timezone(zone(tz)).date()
    wages = wages_of(events)
    before = [w for w in wages if start_day is None or w.paid_on < start_day]
    after = [w for w in wages if start_day is not None and w.paid_on >= start_day]
    counts = [
        headcount_from_data(r.payload["headcount"])
        for r in effective_records(events, EventType.HEADCOUNT_RECORDED)
    ]
    before_count = next(
        (c for c in counts if start_day is None or c.quarter_start < start_day), None
    )
    after_count = next(
        (c for c in reversed(counts) if start_day is not None and c.quarter_start >= start_day),
        None,
    )
    if before_count is None or after_count is None:
        before_count = after_count = None  # a change in employment needs both
    actions = tuple(
        ComplianceAction(
            kind=found[0],
            date=e.occurred_at.in_timezone(zone(tz)).date(),
            cite=found[1],
            description=found[2],
        )
        for e in events
        if (found := COMPLIANCE.get(e.type)) is not None
    )
    performance = [
        performance_from_data(d)
        for r in effective_records(events, EventType.PERFORMANCE_RECORDED)
        for d in r.payload["records"]
    ]
    result = Evaluation(
        wages=evaluate_wages(
            before,
            after,
            rules=rules,
            on=now.in_timezone(zone(tz)).date(),
            headcount_before=before_count,
            headcount_after=after_count,
        ),
        actions=actions,
        performance=aggregate_performance(performance) if performance else None,
    )
    data: dict[str, Any] = result.to_data()
    return data
