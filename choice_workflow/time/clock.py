"""Clocks: the only place the library reads the time.

A command's instant is its Program's Clock; there is no ``at=`` for a command's own
time, so nobody can backdate an acceptance. Tests and simulations use
:class:`ManualClock` (or freezegun, which :class:`SystemClock` follows).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol, runtime_checkable

import pendulum

from choice_workflow.errors import ClockError
from choice_workflow.time.instants import ensure_instant, plus, zone

__all__ = [
    "Clock",
    "ManualClock",
    "SystemClock",
]


@runtime_checkable
class Clock(Protocol):
    """Tells the current instant."""

    def now(self) -> pendulum.DateTime:
        """The current instant, aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock (follows freezegun when a test freezes time)."""

    def now(self) -> pendulum.DateTime:
        """The current instant, aware, in UTC."""
        return ensure_instant(dt.datetime.now(dt.UTC))

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that moves only when told to, never backwards. Thread-safe.

    >>> clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    >>> clock.advance(hours=48).in_timezone("America/Chicago").isoformat()
    '2030-07-03T09:00:00-05:00'
    """

    def __init__(self, start: dt.datetime) -> None:
        self._now = ensure_instant(start, "start")
        self._lock = threading.Lock()

    def now(self) -> pendulum.DateTime:
        """The clock's current instant, in UTC."""
        return self._now

    def advance(
        self,
        delta: dt.timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        microseconds: int = 0,
    ) -> pendulum.DateTime:
        """Move forward by elapsed time (a timedelta, pendulum Duration or keywords).

        Days are 24 elapsed hours here, whatever the daylight-saving calendar says; use
        :meth:`advance_calendar` for "the same wall-clock time tomorrow".
        """
        step = (delta or dt.timedelta(0)) + dt.timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds, microseconds=microseconds
        )
        if step < dt.timedelta(0):
            raise ClockError(
                reason="a ManualClock cannot go backwards", hint="Advance by a positive duration."
            )
        with self._lock:
            self._now = plus(self._now, step)
            return self._now

    def advance_calendar(
        self, *, years: int = 0, months: int = 0, days: int = 0, tz: str = "America/Chicago"
    ) -> pendulum.DateTime:
        """Move forward on the calendar of ``tz``: the same wall-clock time ``days``
        (``months``, ``years``) later there, however many hours that is across a
        daylight-saving change (23 or 25 for a day). :meth:`advance` counts elapsed
        hours instead."""
        for name, value in (("years", years), ("months", months), ("days", days)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ClockError(
                    reason=f"{name} must be a whole number >= 0, not {value!r}",
                    hint="A ManualClock moves forward by whole calendar steps.",
                )
        with self._lock:
            local = self._now.in_timezone(zone(tz))
            self._now = local.add(years=years, months=months, days=days).in_timezone("UTC")
            return self._now

    def move_to(self, instant: dt.datetime) -> pendulum.DateTime:
        """Move forward to ``instant`` (aware); moving backwards is refused."""
        target = ensure_instant(instant, "instant")
        with self._lock:
            if target < self._now:
                raise ClockError(
                    reason=f"a ManualClock cannot go back from {self._now.isoformat()} to {target.isoformat()}",
                    hint="Create a new clock to start over.",
                )
            self._now = target
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"
