"""What a report reads of the audit trail, as of an instant.

Reports of Sections 20(b) and 35(c) are producible "as of" any instant: the program as
the log stood then, never the wall clock. :func:`read_program_log` reads a
:class:`~choice_workflow.service.program.Program`, a store or an exported JSON Lines log, leaves
out every event recorded after ``as_of`` (as :func:`~choice_workflow.audit.replay`
does), rebuilds the grants with that replay, and keeps what the reports need beside
them: employers (15(d), 15(e)), applications (15(b)(1), 15(b)(13)), appropriations
(15(a)) and each grant's own events (wages, head counts, evaluations: 20(a)).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pendulum

from choice_workflow.audit import read_lines, replay
from choice_workflow.domain.application import (
    Application,
)
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.errors import ChoiceWorkflowError, InvalidInput, Problem
from choice_workflow.events import (
    CYCLE_STREAM_PREFIX,
    PROGRAM_STREAM,
    SEAL_STREAM,
    SECURITY_STREAM,
    Event,
    EventType,
    event_from_record,
    format_instant,
)
from choice_workflow.rules import Rules
from choice_workflow.store.base import Store
from choice_workflow.time.clock import Clock
from choice_workflow.time.instants import ensure_instant

if TYPE_CHECKING:
    from choice_workflow.service.program import Program

_NOT_GRANTS = (PROGRAM_STREAM, SECURITY_STREAM, SEAL_STREAM)


@attrs.frozen(kw_only=True)
class ProgramLog:
    """The program as its log stood at ``as_of`` (an aware instant, UTC).

    ``grants`` come from :func:`~choice_workflow.audit.replay` as of the instant;
    ``events`` holds each grant's events, oldest first; ``employers`` the latest
    recorded facts of each employer; ``applications`` each grant's application;
    ``appropriations`` each cycle's latest appropriation (15(a)). ``replay_findings``
    counts what the replay met that it could not fold (a damaged log).
    """

    as_of: pendulum.DateTime
    rules: Rules
    grants: Mapping[str, Grant]
    events: Mapping[str, tuple[Event, ...]]
    employers: Mapping[str, Employer]
    applications: Mapping[str, Application]
    appropriations: Mapping[int, Decimal]
    replay_findings: int = 0
    returns: tuple[Event, ...] = ()
    """15(j): the cycles' ``FundsReturned`` events (returns that referred nobody)."""

    @property
    def as_of_date(self) -> dt.date:
        """The calendar day of ``as_of`` in the Rules' time zone (America/Chicago)."""
        local = self.as_of.in_timezone(self.rules.timezone)
        return dt.date(local.year, local.month, local.day)

    def local_date(self, instant: dt.datetime) -> dt.date:
        """The calendar day of ``instant`` in the Rules' time zone."""
        local = ensure_instant(instant).in_timezone(self.rules.timezone)
        return dt.date(local.year, local.month, local.day)


def read_program_log(
    source: Program | Store | str | Path, *, as_of: dt.datetime | None = None
) -> ProgramLog:
    """The program of ``source`` as of ``as_of`` (an aware instant; events recorded
    after it are left out).

    ``source`` is a :class:`~choice_workflow.service.program.Program`, a
    :class:`~choice_workflow.store.base.Store` or the path of a JSON Lines log
    (``choice-workflow export``). ``as_of`` may be left out for a Program only: its
    clock's instant is taken. A log that holds no program (no recorded Rules) is
    :class:`~choice_workflow.errors.InvalidInput`.
    """
    store_or_path, clock = _readable(source)
    if as_of is None:
        if clock is None:
            raise InvalidInput(
                problems=[
                    Problem(
                        ("20(b)", "35(c)"),
                        "a report of a store or a log needs the instant it is as of",
                        "Pass as_of=<an aware instant>; only a Program has a clock to ask.",
                        "as_of",
                    )
                ]
            )
        as_of = clock.now()
    instant = ensure_instant(as_of, "as_of", "20(b)")
    report = replay(store_or_path, as_of=instant)
    rules = report.rules
    if rules is None:
        first = next(_events(store_or_path), None)
        starts = (
            "it holds no events"
            if first is None
            else f"its first event was recorded at {format_instant(first.recorded_at)}"
        )
        raise InvalidInput(
            problems=[
                Problem(
                    ("99",),
                    f"the log holds no program as of {format_instant(instant)}: {starts}",
                    "Report as of an instant after the program started (as_of, --as-of).",
                    "as_of",
                )
            ]
        )
    state = report.state
    assert state is not None  # noqa: S101 - replay always returns its read models
    events: dict[str, list[Event]] = {}
    returns: list[Event] = []
    for event in _events(store_or_path):
        if event.recorded_at > instant:
            continue
        stream = event.stream_id
        if event.type == EventType.FUNDS_RETURNED and stream.startswith(CYCLE_STREAM_PREFIX):
            returns.append(event)
        if stream in _NOT_GRANTS or stream.startswith(("employer:", CYCLE_STREAM_PREFIX)):
            continue
        events.setdefault(stream, []).append(event)
    return ProgramLog(
        as_of=instant,
        rules=rules,
        grants=dict(report.grants),
        events={gid: tuple(found) for gid, found in events.items() if gid in report.grants},
        employers=dict(state.employers),
        applications={g: a for g, a in state.applications.items() if g in report.grants},
        appropriations={n: c.appropriation for n, c in state.cycles.items()},
        replay_findings=len(report.findings),
        returns=tuple(returns),
    )


def _readable(
    source: Program | Store | str | Path,
) -> tuple[Store | str | Path, Clock | None]:
    """What to read, and the clock of a Program (``None`` for a store or a log)."""
    if isinstance(source, Store | str | Path):
        return source, None
    store, clock = getattr(source, "store", None), getattr(source, "clock", None)
    if isinstance(store, Store) and isinstance(clock, Clock):
        return store, clock
    raise InvalidInput(
        problems=[
            Problem(
                ("20(b)", "35(c)"),
                f"cannot read a program from {type(source).__name__}",
                "Pass a Program, a Store or the path of an exported log.",
                "source",
            )
        ]
    )


def _events(source: Store | str | Path) -> Iterator[Event]:
    if isinstance(source, Store):
        yield from source.all_events()
        return
    for line in read_lines(source):
        try:
            yield event_from_record(json.loads(line.record))
        except (ValueError, TypeError, KeyError, ChoiceWorkflowError):
            continue  # unreadable: the replay counted it among its findings
