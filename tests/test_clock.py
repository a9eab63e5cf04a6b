"""Clocks: the manual clock of tests and simulations, and the system clock."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pendulum
import pytest
from freezegun import freeze_time

from choice_workflow.errors import ChoiceWorkflowError, ClockError, InvalidInput
from choice_workflow.time import Clock, ManualClock, SystemClock

CHICAGO = ZoneInfo("America/Chicago")
START = dt.datetime(2030, 7, 1, 9, tzinfo=CHICAGO)


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="fast_thread_switching")
def fixture_fast_thread_switching() -> Iterator[None]:
    """Switch threads as often as the interpreter allows, so that a race shows."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def in_chicago(instant: dt.datetime) -> str:
    return instant.astimezone(CHICAGO).isoformat()


def assert_aware_utc(instant: dt.datetime) -> None:
    assert isinstance(instant, pendulum.DateTime)
    assert dt.timedelta(0) == instant.utcoffset()
    assert dt.timedelta(0) == (instant + dt.timedelta(hours=1)).utcoffset()


# -- ManualClock ----------------------------------------------------------------------------


def test_a_manual_clock_starts_where_it_is_told_in_utc(clock: ManualClock) -> None:
    assert START == clock.now()
    assert "2030-07-01T14:00:00+00:00" == clock.now().isoformat()
    assert_aware_utc(clock.now())


def test_a_manual_clock_does_not_move_by_itself(clock: ManualClock) -> None:
    assert clock.now() == clock.now()
    assert START == clock.now()


def test_a_manual_clock_refuses_a_naive_start() -> None:
    with pytest.raises(InvalidInput) as info:
        ManualClock(dt.datetime(2030, 7, 1, 9))  # noqa: DTZ001 - the naive start is the point
    assert "time zone" in str(info.value)


@pytest.mark.cite("15(j)")
def test_advancing_48_hours_moves_48_elapsed_hours(clock: ManualClock) -> None:
    moved = clock.advance(hours=48)
    assert "2030-07-03T09:00:00-05:00" == in_chicago(moved)
    assert moved == clock.now()
    assert_aware_utc(moved)


def test_a_day_is_24_elapsed_hours_even_across_the_fall_change() -> None:
    clock = ManualClock(dt.datetime(2030, 11, 2, 12, tzinfo=CHICAGO))
    assert "2030-11-03T11:00:00-06:00" == in_chicago(clock.advance(days=1))


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        pytest.param(dt.timedelta(minutes=90), "2030-07-01T10:30:00-05:00", id="timedelta"),
        pytest.param(
            pendulum.duration(hours=2, minutes=30), "2030-07-01T11:30:00-05:00", id="duration"
        ),
        pytest.param(pendulum.duration(days=2), "2030-07-03T09:00:00-05:00", id="duration-days"),
        pytest.param(dt.timedelta(0), "2030-07-01T09:00:00-05:00", id="zero"),
    ],
)
def test_a_manual_clock_advances_by_a_timedelta_or_a_pendulum_duration(
    clock: ManualClock, step: dt.timedelta, expected: str
) -> None:
    assert expected == in_chicago(clock.advance(step))
    assert expected == in_chicago(clock.now())
    assert_aware_utc(clock.now())


def test_a_manual_clock_advances_by_keywords_and_a_step_together(clock: ManualClock) -> None:
    clock.advance(dt.timedelta(hours=1), days=1, hours=2, minutes=3, seconds=4, microseconds=5)
    assert (
        START + dt.timedelta(days=1, hours=3, minutes=3, seconds=4, microseconds=5) == clock.now()
    )


def test_advancing_by_nothing_leaves_the_clock_where_it_was(clock: ManualClock) -> None:
    assert START == clock.advance()


@pytest.mark.parametrize(
    "backwards",
    [
        pytest.param({"hours": -1}, id="keyword"),
        pytest.param({"delta": dt.timedelta(microseconds=-1)}, id="timedelta"),
        pytest.param({"delta": dt.timedelta(hours=1), "hours": -2}, id="net-negative"),
    ],
)
def test_a_manual_clock_never_advances_backwards(
    clock: ManualClock, backwards: dict[str, Any]
) -> None:
    with pytest.raises(ClockError) as info:
        clock.advance(**backwards)
    assert START == clock.now()
    assert info.value.hint


def test_move_to_jumps_forward_to_an_aware_instant(clock: ManualClock) -> None:
    target = dt.datetime(2031, 1, 15, 8, tzinfo=CHICAGO)
    assert target == clock.move_to(target)
    assert target == clock.now()
    assert "2031-01-15T14:00:00+00:00" == clock.now().isoformat()
    assert_aware_utc(clock.now())


def test_move_to_the_same_instant_is_allowed(clock: ManualClock) -> None:
    assert START == clock.move_to(START.astimezone(dt.UTC))


def test_move_to_an_earlier_instant_is_refused_and_the_clock_stays(clock: ManualClock) -> None:
    clock.advance(hours=1)
    with pytest.raises(ClockError) as info:
        clock.move_to(START + dt.timedelta(minutes=59))
    assert START + dt.timedelta(hours=1) == clock.now()
    assert "back" in str(info.value)


def test_move_to_refuses_a_naive_instant(clock: ManualClock) -> None:
    with pytest.raises(InvalidInput):
        clock.move_to(dt.datetime(2031, 1, 1))  # noqa: DTZ001 - the naive target is the point
    assert START == clock.now()


def test_a_clock_error_is_an_error_of_the_library() -> None:
    assert issubclass(ClockError, ChoiceWorkflowError)


@pytest.mark.usefixtures("fast_thread_switching")
def test_advancing_from_8_threads_loses_no_step(clock: ManualClock) -> None:
    threads, rounds = 8, 2_000
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(seconds: int) -> None:
        try:
            barrier.wait()
            for _ in range(rounds):
                clock.advance(seconds=seconds)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(k + 1,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [] == errors
    total = sum(rounds * (k + 1) for k in range(threads))
    assert START + dt.timedelta(seconds=total) == clock.now()
    assert_aware_utc(clock.now())


# -- SystemClock ----------------------------------------------------------------------------


def test_the_system_clock_tells_the_real_time_in_utc() -> None:
    before = dt.datetime.now(dt.UTC)
    now = SystemClock().now()
    after = dt.datetime.now(dt.UTC)
    assert before <= now <= after
    assert_aware_utc(now)


def test_the_system_clock_follows_freezegun() -> None:
    with freeze_time("2030-07-01 05:00:00") as frozen:
        assert dt.datetime(2030, 7, 1, 5, tzinfo=dt.UTC) == SystemClock().now()
        assert_aware_utc(SystemClock().now())
        frozen.tick(dt.timedelta(hours=48))
        assert "2030-07-03T00:00:00-05:00" == in_chicago(SystemClock().now())


def test_the_system_clock_follows_freezegun_frozen_at_an_aware_instant() -> None:
    # The second 01:30 of the fall change: 07:30 UTC.
    instant = dt.datetime(2030, 11, 3, 1, 30, fold=1, tzinfo=CHICAGO)
    with freeze_time(instant):
        now = SystemClock().now()
    assert "2030-11-03T07:30:00+00:00" == now.isoformat()


def test_both_clocks_are_clocks(clock: ManualClock) -> None:
    def read(source: Clock) -> pendulum.DateTime:
        return source.now()

    assert isinstance(clock, Clock)
    assert isinstance(SystemClock(), Clock)
    assert not isinstance(object(), Clock)
    assert START == read(clock)


def test_clocks_say_what_they_are(clock: ManualClock) -> None:
    assert "SystemClock()" == repr(SystemClock())
    assert "ManualClock(2030-07-01T14:00:00+00:00)" == repr(clock)
