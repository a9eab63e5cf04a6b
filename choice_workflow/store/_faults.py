"""Fault injection for crash-safety tests (private).

``CHOICE_WORKFLOW_FAULT=point:n`` makes the process kill itself with SIGKILL the n-th
time it reaches ``point`` in the store's write path (n defaults to 1). Unset, a check
costs one dict lookup. Points: ``after_event_insert``, ``after_command_insert``,
``after_projection``, ``before_commit``.

``CHOICE_WORKFLOW_PAUSE=point:seconds`` makes the process wait that long each time it
reaches ``point`` (``after_read``: a command has read its state and context and not yet
written), so that processes started together all read before any writes: the race
tests hit every race on every run, not by luck.
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


def _paused() -> dict[str, float]:
    spec = os.environ.get("CHOICE_WORKFLOW_PAUSE", "")
    if not spec:
        return {}
    point, _, seconds = spec.partition(":")
    return {point: float(seconds or 1)}


_ARMED = _armed()
_PAUSED = _paused()
_SEEN: dict[str, int] = {}


def reach(point: str) -> None:
    """Kill this process here when the armed fault says so."""
    if not _ARMED or point not in _ARMED:
        return
    _SEEN[point] = _SEEN.get(point, 0) + 1
    if _SEEN[point] == _ARMED[point]:
        os.kill(os.getpid(), signal.SIGKILL)


def pause(point: str) -> None:
    """Wait here when the armed pause says so (race tests only)."""
    if _PAUSED and point in _PAUSED:
        time.sleep(_PAUSED[point])
