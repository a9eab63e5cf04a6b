"""Instants: aware datetimes only, normalised to UTC for storage."""

from __future__ import annotations

import datetime as dt
import functools

import pendulum

from choice_workflow.errors import InvalidInput, Problem

UTC = pendulum.UTC


@functools.lru_cache(maxsize=32)
def zone(name: str) -> pendulum.Timezone:
    """The time zone ``name``, loaded once (pendulum reads the zone file on every
    ``pendulum.timezone(name)``: about 200 us each)."""
    return pendulum.timezone(name)


def ensure_instant(value: object, field: str = "instant", cite: str = "99") -> pendulum.DateTime:
    """Return ``value`` as an aware pendulum DateTime in UTC.

    A naive datetime, a date without a time or anything else is refused with a
    :class:`~choice_workflow.errors.InvalidInput` that says how to fix it.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(
                problems=[
                    Problem(
                        (cite,),
                        f"naive datetime {value.isoformat()} has no time zone",
                        "Pass an aware instant, e.g. pendulum.datetime(2030, 7, 1, tz='America/Chicago').",
                        field,
                    )
                ]
            )
        if isinstance(value, pendulum.DateTime) and value.tzinfo is UTC:
            return value
        try:
            value.astimezone(dt.UTC)
        except OverflowError:
            raise InvalidInput(
                problems=[
                    Problem(
                        (cite,),
                        f"{value.isoformat()} is out of range in UTC",
                        "Use an instant between years 1 and 9999.",
                        field,
                    )
                ]
            ) from None
        # The instant is the one the value's own utcoffset() names: pendulum.instance
        # reads a wall time in a spring-forward gap with the opposite fold (PEP 495), an
        # hour off, so convert with the stdlib first. The result carries pendulum.UTC,
        # not the stdlib timezone.utc: an instance that keeps timezone.utc loses its
        # tzinfo on "+ timedelta" (pendulum 3.3).
        return utc_instant(dt.datetime.astimezone(value, dt.UTC))
    raise InvalidInput(
        problems=[
            Problem(
                (cite,),
                f"expected an aware datetime, got {type(value).__name__}",
                "Pass an aware instant, e.g. pendulum.datetime(2030, 7, 1, tz='America/Chicago').",
                field,
            )
        ]
    )


def utc_instant(value: dt.datetime) -> pendulum.DateTime:
    """A stdlib datetime already in UTC as a pendulum instant in UTC, built field by
    field: a seventh of the cost of pendulum's own conversions (a hot path of commands
    and replay)."""
    return pendulum.DateTime(
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond, tzinfo=UTC,
    )  # fmt: skip


def plus(instant: pendulum.DateTime, delta: dt.timedelta) -> pendulum.DateTime:
    """``instant + delta`` in elapsed time, in UTC (stdlib arithmetic on the UTC
    instant: elapsed time has no wall clock, and pendulum's ``add`` costs ten times
    as much)."""
    utc = dt.datetime.astimezone(ensure_instant(instant), dt.UTC)
    return utc_instant(dt.datetime.__add__(utc, delta))


def to_utc(value: dt.datetime) -> pendulum.DateTime:
    """An aware instant in UTC (naive input refused)."""
    return ensure_instant(value)


def to_local(value: dt.datetime, tz: str = "America/Chicago") -> pendulum.DateTime:
    """An aware instant shown in ``tz`` (America/Chicago by default)."""
    return ensure_instant(value).in_timezone(tz)


_EPOCH_STD = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_us(instant: dt.datetime) -> int:
    """An aware instant as integer microseconds since the Unix epoch."""
    # stdlib subtraction: pendulum's returns an Interval, which is slower and does not
    # floor-divide by a timedelta.
    td = dt.datetime.__sub__(instant, _EPOCH_STD)
    return (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds


def from_us(us: int) -> pendulum.DateTime:
    """Integer microseconds since the Unix epoch as a pendulum instant in UTC."""
    return utc_instant(_EPOCH_STD + dt.timedelta(microseconds=us))


def log_text(value: dt.datetime) -> str:
    """An instant as the audit log writes it: fixed-width UTC ISO 8601 with
    microseconds, ``2030-07-01T05:00:00.000000Z`` (docs/audit-format.md)."""
    u = dt.datetime.astimezone(value, dt.UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
        f"{u.second:02d}.{u.microsecond:06d}Z"
    )
