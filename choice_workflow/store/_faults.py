"""Fault injection for crash-safety tests (private).

``CHOICE_WORKFLOW_FAULT=point:n`` makes the process kill itself with SIGKILL the n-th
time it reaches ``point`` in the store's write path (n defaults to 1). Unset, a check
costs one dict lookup. Points: ``after_event_insert``, ``after_command_insert``,
``after_projection``, ``before_commit``.
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_event_insert", "after_command_insert", "after_projection", "before_commit")


def _armed() -> dict[str, int]:
    spec = os.environ.get("CHOICE_WORKFLOW_FAULT", "")
    if not spec:
        return {}
    point, _, count = spec.partition(":")
    return {point: int(count or 1)}


_ARMED = _armed()
_SEEN: dict[str, int] = {}


def reach(point: str) -> None:
    """Kill this process here when the armed fault says so."""
    if not _ARMED or point not in _ARMED:
        return
    _SEEN[point] = _SEEN.get(point, 0) + 1
    if _SEEN[point] == _ARMED[point]:
        os.kill(os.getpid(), signal.SIGKILL)
