"""Tools for testing code built on choice_workflow.

- :class:`StoreContract`: the contract suite every store backend must pass;
- scenario helpers (:mod:`choice_workflow.testing.scenarios`): ``register_and_apply``,
  ``approve_and_accept``, ``advance_past_deadline``, ``run_cycle`` and ``Actors``;
  and to every later state (:mod:`choice_workflow.testing.journeys`): ``grant_in``,
  ``to_transitioning``, ``to_evaluated``, ``to_closed``, ``to_terminated``,
  ``to_forfeited``;
- the pytest plugin (:mod:`choice_workflow.testing.plugin`), registered by entry point:
  the ``cw_clock``, ``cw_store``, ``cw_program`` and ``cw_actors`` fixtures.

The names load on first use, so that loading the plugin stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from choice_workflow.testing.contract import StoreContract
    from choice_workflow.testing.journeys import (
        grant_in,
        to_closed,
        to_evaluated,
        to_forfeited,
        to_terminated,
        to_transitioning,
    )
    from choice_workflow.testing.scenarios import (
        Actors,
        ScenarioError,
        advance_past_deadline,
        approve_and_accept,
        register_and_apply,
        run_cycle,
    )

__all__ = [
    "Actors",
    "ScenarioError",
    "StoreContract",
    "advance_past_deadline",
    "approve_and_accept",
    "grant_in",
    "register_and_apply",
    "run_cycle",
    "to_closed",
    "to_evaluated",
    "to_forfeited",
    "to_terminated",
    "to_transitioning",
]

_HOMES = {
    "StoreContract": "choice_workflow.testing.contract",
    **dict.fromkeys(
        (
            "Actors",
            "ScenarioError",
            "advance_past_deadline",
            "approve_and_accept",
            "register_and_apply",
            "run_cycle",
        ),
        "choice_workflow.testing.scenarios",
    ),
    **dict.fromkeys(
        (
            "grant_in",
            "to_closed",
            "to_evaluated",
            "to_forfeited",
            "to_terminated",
            "to_transitioning",
        ),
        "choice_workflow.testing.journeys",
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
