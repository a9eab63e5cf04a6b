"""Fault injection for crash-safety tests (private).

``CHOICE_WORKFLOW_FAULT=point:n`` makes the process kill itself with SIGKILL the n-th
time it reaches ``point`` in the store's write path (n defaults to 1). Unset, a check
costs one dict lookup. Points: ``after_event_insert``, ``after_command_insert``,
``after_projection``, ``before_commit``.

``CHOICE_WORKFLOW_PAUSE=point:seconds[,point:seconds...]`` makes the process wait that
long each time it reaches ``point`` (``after_read``: a command has read its state and
context and not yet written; ``after_claim``: the sweep holds a lapsed approval; or one of
the points above), so that processes started together all read before any writes, or one
holds its transaction open while another runs: the race tests hit every race on every
run, not by luck. :func:`set_pauses` sets them in a running process (a racer of its own).
"""

from __future__ import annotations

import os
import signal
import time

POINTS = ("after_event_insert", "after_command_insert", "after_projection", "before_commit")


def _armed() -> dict[str, int]:
    spec = os.environ.get("CHOICE_WORKFLOW_FAULT", "")
    if not spec:
        return {}
    point, _, count = spec.partition(":")
    return {point: int(count or 1)}


def _paused(spec: str) -> dict[str, float]:
    pauses = {}
    for part in filter(None, spec.split(",")):
        point, _, seconds = part.partition(":")
        pauses[point] = float(seconds or 1)
    return pauses


_ARMED = _armed()
_PAUSED = _paused(os.environ.get("CHOICE_WORKFLOW_PAUSE", ""))
_SEEN: dict[str, int] = {}


def set_pauses(spec: str) -> None:
    """Pause at the points of ``spec`` (the form of ``CHOICE_WORKFLOW_PAUSE``) from now on."""
    _PAUSED.clear()
    _PAUSED.update(_paused(spec))


def reach(point: str) -> None:
    """Kill this process here when the armed fault says so (or pause, when asked to)."""
    pause(point)
    if not _ARMED or point not in _ARMED:
        return
    _SEEN[point] = _SEEN.get(point, 0) + 1
    if _SEEN[point] == _ARMED[point]:
        os.kill(os.getpid(), signal.SIGKILL)


def pause(point: str) -> None:
    """Wait here when the armed pause says so (race tests only)."""
    if _PAUSED and point in _PAUSED:
        time.sleep(_PAUSED[point])
