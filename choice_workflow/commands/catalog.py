"""The Act as data: the command registry and the Rules in force as one JSON document.

What verify judges a log by (which event each command writes, which roles may run it,
from which states of a grant to which, the amount bounds of 15(h), the acceptance
window of 15(j), the cycle calendar of 15(a) and 15(f), the Rules and their
fingerprint), so that a tool that does not import this library can judge a log's grant
lifecycle the same way (docs/audit-format.md, "The Act as data";
``choice-workflow rules --json``).
"""

from __future__ import annotations

from typing import Any

from choice_workflow.commands.registry import REGISTRY, Registry
from choice_workflow.domain.actors import Role
from choice_workflow.domain.state import State
from choice_workflow.events import payloads
from choice_workflow.events.envelope import money_text
from choice_workflow.rules import Rules

__all__ = ["ACT_FORMAT", "ACT_FORMAT_VERSION", "act_document"]

ACT_FORMAT = "choice_workflow-act"
ACT_FORMAT_VERSION = 1


def act_document(rules: Rules | None = None, registry: Registry = REGISTRY) -> dict[str, Any]:
    """The registry and ``rules`` (the Act's own by default) as JSON-ready data."""
    rules = rules if rules is not None else Rules.illinois()
    starts_at_notice = rules.acceptance_window_starts.value == "notice"
    return {
        "format": ACT_FORMAT,
        "version": ACT_FORMAT_VERSION,
        "fingerprint": rules.fingerprint,
        "rules": rules.canonical(),
        "roles": [r.value for r in Role],
        "states": [{"name": s.value, "final": s.is_final} for s in State],
        "commands": [_command(spec) for spec in registry],
        "amounts": {
            "min_award": money_text(rules.min_award),
            "max_award": money_text(rules.max_award),
            "events": ["Approved", "Endorsed"],
            "field": "amount",
            "cites": ["15(h)"],
        },
        "acceptance_window": {
            "seconds": int(rules.acceptance_window.total_seconds()),
            "starts": rules.acceptance_window_starts.value,
            "start_event": "NoticeConfirmed" if starts_at_notice else "Approved",
            "start_field": "confirmed_at" if starts_at_notice else "recorded_at",
            "cites": ["15(j)"],
        },
        "cycles": {
            "count": rules.cycles,
            "first_award_date": rules.first_award_date.isoformat(),
            "timezone": rules.timezone,
            "second_cycle_after_years": rules.second_cycle_after_years,
            "cites": ["15(a)", "15(f)"],
        },
        "payloads": [
            {
                "event_type": event_type,
                "schema_version": version,
                "amounts": list(payloads.fields_of_kind(event_type, payloads.AMOUNT, version)),
                "instants": list(payloads.fields_of_kind(event_type, payloads.INSTANT, version)),
                "nested_instants": list(payloads.NESTED_INSTANTS.get((event_type, version), ())),
            }
            for event_type, version in payloads.PAYLOADS
        ],
    }


def _command(spec: Any) -> dict[str, Any]:
    row = spec.transition
    return {
        "name": spec.name,
        "command": spec.command.__name__,
        "event_type": spec.event_type,
        "stream": spec.target.value,
        "roles": sorted(r.value for r in spec.roles),
        "own_employer": bool(spec.own_only),
        "cites": list(spec.cites),
        "creates": row is not None and not row.sources,
        "sources": None if row is None else sorted(s.value for s in row.sources),
        "destination": None if row is None or row.dest is None else row.dest.value,
        "description": spec.description,
    }
