"""What the Program checks of a command's input alone, before it runs: types, ids,
plain JSON. Every problem is an :class:`~choice_workflow.errors.InvalidInput` naming
the field."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from choice_workflow.domain.performance import PerformanceRecord
from choice_workflow.domain.recorded import headcount_to_data, performance_to_data, wage_to_data
from choice_workflow.domain.wages import Headcount, WageRecord
from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.events import canonical_json, no_floats, stream_kind
from choice_workflow.service.ids import RESERVED, usable
from choice_workflow.service.unit_of_work import new_id

_T = TypeVar("_T")


def problem(cite: str, reason: str, hint: str, field: str = "") -> Problem:
    """One problem with one cite."""
    return Problem((cite,), reason, hint, field)


def checked(value: object, kind: type[_T], field: str) -> _T:
    """``value`` when it is a ``kind``, else InvalidInput."""
    if not isinstance(value, kind):
        raise InvalidInput(
            problems=[problem("20(a)(1)", f"expected a {kind.__name__}, got {type(value).__name__}",
                     f"Build a {kind.__name__}.", field)]
        )  # fmt: skip
    return value


def grant_id(value: str | None, command_id: str | None = None) -> str:
    """A usable grant id. None: a new one, or, for a command with its own id, the one
    that id gives (so that a retry of the same ``apply`` names the same grant)."""
    if value is None:
        tail = new_id() if command_id is None else hashlib.sha256(command_id.encode()).hexdigest()
        value = "G-" + tail.replace("-", "")[:12]
    gid = value
    if (
        not isinstance(gid, str)
        or not usable(gid)
        or gid in RESERVED
        or stream_kind(gid) != "grant"
    ):
        raise InvalidInput(
            problems=[problem("15(b)", f"grant id {str(gid)[:40]!r} is not usable",
                     "Use 1-100 letters, digits, '.', '_' or '-', starting with a letter or "
                     "a digit, other than 'program', 'seal' or 'security' (or leave grant_id "
                     "out for a new one).", "grant_id")]
        )  # fmt: skip
    return gid


def employer_id(value: object) -> None:
    """An employer's id must be usable as a stream's name (:data:`ID_PATTERN`)."""
    if not usable(value):
        raise InvalidInput(
            problems=[problem('10 "Eligible employer"', f"employer id {str(value)[:40]!r} is not usable",
                     "Use 1-100 letters, digits, '.', '_' or '-', starting with a letter or "
                     "a digit.", "employer.id")]
        )  # fmt: skip


def optional(value: object, kind: type, field: str) -> None:
    """A query's filter: None or a ``kind``."""
    if value is not None and not isinstance(value, kind):
        raise InvalidInput(
            problems=[Problem((), f"{field} must be a {kind.__name__} or None, not {value!r}",
                              f"Pass a {kind.__name__}, or leave {field} out.", field)]
        )  # fmt: skip


def count(value: Any, field: str, low: int, high: int | None = None, *, none: bool = True) -> Any:
    """A whole number from ``low`` (to ``high``): a position, a page's limit, a batch;
    None passes where ``none`` allows it."""
    if value is None and none:
        return None
    if (
        not isinstance(value, int) or isinstance(value, bool) or value < low
        or (high is not None and value > high)
    ):  # fmt: skip
        bound = f"from {low} to {high:,}" if high is not None else f"of at least {low}"
        raise InvalidInput(
            problems=[Problem((), f"{field} must be an integer {bound}, not {value!r}",
                              f"Pass an integer {bound}.", field)]
        )  # fmt: skip
    return value


def whole_cycle(value: object) -> None:
    """A cycle number must be a whole number (1 or 2: the guard says which)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(
            problems=[
                problem("15(f)", f"cycle {value!r} is not a whole number", "Use 1 or 2.", "cycle")
            ]
        )


def plain(evaluation: object) -> Any:
    """An evaluation as plain JSON data, or InvalidInput."""
    data = dict(evaluation) if isinstance(evaluation, Mapping) else evaluation
    try:
        no_floats(data)
        canonical_json(data)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            problems=[problem("20(a)(1)", f"the evaluation is not plain JSON data: {exc}",
                     "Use str, int, bool, None, lists and dicts; amounts as strings.", "evaluation")]
        ) from None  # fmt: skip
    return data


def replacement(
    *,
    wages: Sequence[WageRecord] | None,
    final: bool | None,
    headcount: Headcount | None,
    performance: Sequence[PerformanceRecord] | None,
    description: str | None,
    notes: str | None,
    evaluation: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The replaced fields of a correction, as the event records them."""
    out: dict[str, Any] = {}
    if wages is not None:
        out["records"] = [wage_to_data(checked(r, WageRecord, "wages")) for r in wages]
    if final is not None:
        out["final"] = checked(final, bool, "final")
    if headcount is not None:
        out["headcount"] = headcount_to_data(checked(headcount, Headcount, "headcount"))
    if performance is not None:
        if wages is not None:
            raise InvalidInput(
                problems=[problem("20(a)(1)", "a correction replaces wages or performance records, not both",
                         "Correct each event on its own.", "performance")]
            )  # fmt: skip
        out["records"] = [
            performance_to_data(checked(r, PerformanceRecord, "performance")) for r in performance
        ]
    if description is not None:
        out["description"] = str(description)
    if notes is not None:
        out["notes"] = str(notes)
    if evaluation is not None:
        out["evaluation"] = plain(evaluation)
    return out
