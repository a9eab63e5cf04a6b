"""The commands of a grant cycle's stream: its opening, its appropriation and the
selection of its awards (15(a), 15(d), 15(e), 15(f))."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pendulum

from choice_workflow.commands.spec import CommandSpec, Emit, Env, Target, View
from choice_workflow.domain import application as _application
from choice_workflow.domain import eligibility as _eligibility
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.application import Application
from choice_workflow.domain.cycle import Cycle
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.money import dollar_text
from choice_workflow.domain.selection import (
    Candidate,
    Selection,
    select_awards,
    selection_from_data,
    stratum_of,
)
from choice_workflow.domain.state import State
from choice_workflow.errors import InvalidInput, Problem, TransitionRefused
from choice_workflow.events import (
    CYCLE_STREAM_PREFIX,
    Event,
    format_instant,
    money_text,
    parse_instant,
)
from choice_workflow.lifecycle.context import Context, prior_grants
from choice_workflow.rules import Rules
from choice_workflow.time.calendar import cycle_two_earliest, first_award_instant
from choice_workflow.time.instants import from_us, zone

_DIRECTOR = frozenset({Role.DIRECTOR})


def cycle_stream(number: int) -> str:
    """The stream id of cycle ``number``."""
    return f"{CYCLE_STREAM_PREFIX}{number}"


@attrs.frozen
class OpenCycle:
    """15(a), 15(f): the Director opens cycle 1 or 2 with its appropriation."""

    name: ClassVar[str] = "open_cycle"
    number: int
    appropriation: Decimal
    opens_at: pendulum.DateTime
    applications_close: pendulum.DateTime | None = None


@attrs.frozen
class SetAppropriation:
    """15(a): the Director sets a cycle's appropriation."""

    name: ClassVar[str] = "set_appropriation"
    number: int
    appropriation: Decimal


@attrs.frozen
class SelectAwards:
    """15(d), 15(e): rank the cycle's eligible, complete applications."""

    name: ClassVar[str] = "select_awards"
    number: int


def default_opening(number: int, first: Cycle | None, rules: Rules) -> pendulum.DateTime:
    """15(a), 15(f): the earliest opening of cycle ``number``: the first award date for
    cycle 1 (and for cycle 2 while cycle 1 is not open), else cycle 1's opening plus 2
    years."""
    if number == 1 or first is None:
        return first_award_instant(rules)
    return cycle_two_earliest(from_us(first.opens_us), rules)


def _number_problem(number: object, rules: Rules) -> Problem | None:
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= rules.cycles:
        return Problem(
            ("15(f)",), f"the Act provides {rules.cycles} grant cycles, not {number!r}",
            "Open cycle 1 or 2.", "number",
        )  # fmt: skip
    return None


def cycle_state(view: View, command: Any) -> Cycle | None:
    """The cycle a command names (``command.number``), locked; None when not open."""
    number = command.number
    if not isinstance(number, int) or isinstance(number, bool):
        return None
    return view.cycle(number, lock=True)


def _cycle_one(command: Any, state: Any, view: View, env: Env, actor: Actor) -> Context:
    return Context(actor=actor, cycle=view.cycle(1) if command.number != 1 else state)


def _open(
    command: OpenCycle, current: Cycle | None, context: Context, rules: Rules, now: Any
) -> Emit:
    number = command.number
    bad = _number_problem(number, rules)
    if bad is not None:
        raise InvalidInput(problems=[bad])
    problems = []
    if current is not None:
        problems.append(
            Problem(("15(f)",), f"cycle {number} is already open", "Set its appropriation instead.")
        )
    first = context.cycle
    cite = "15(a)" if number == 1 else "15(f)"
    if number != 1 and first is None:
        problems.append(Problem(("15(f)",), "cycle 2 follows cycle 1", "Open cycle 1 first."))
    earliest = default_opening(number, first, rules)
    if command.opens_at < earliest:
        problems.append(
            Problem(
                (cite,),
                f"cycle {number} may open no earlier than {earliest.in_timezone(zone(rules.timezone)).isoformat()}",
                "Choose a later opening.",
                "opens_at",
            )
        )
    if command.appropriation < 0:
        problems.append(
            Problem(
                ("15(a)",), "an appropriation cannot be negative", "Use an amount of at least 0.",
                "appropriation",
            )
        )  # fmt: skip
    if problems:
        raise TransitionRefused(
            command="open_cycle", grant_id=cycle_stream(number), problems=problems
        )
    close = command.applications_close
    return Emit(
        {
            "cycle": number,
            "opens_at": format_instant(command.opens_at),
            "appropriation": money_text(command.appropriation),
            "applications_close": None if close is None else format_instant(close),
        }
    )


def _not_open(name: str, number: int) -> TransitionRefused:
    return TransitionRefused(
        command=name, grant_id=cycle_stream(number),
        problems=[Problem(("15(f)",), f"cycle {number} is not open", "Open it first.")],
    )  # fmt: skip


def _appropriate(
    command: SetAppropriation, current: Cycle | None, context: Context, rules: Rules, now: Any
) -> Emit:
    if current is None:
        raise _not_open("set_appropriation", command.number)
    money = command.appropriation
    if not attrs.evolve(current, appropriation=money).balanced():
        raise TransitionRefused(
            command="set_appropriation",
            grant_id=cycle_stream(command.number),
            problems=[
                Problem(
                    ("15(a)",),
                    f"{dollar_text(money)} is less than the {dollar_text(current.reserved + current.disbursed)} already held and paid",
                    "Subject to appropriation: keep at least what is committed.",
                    "amount",
                )
            ],
        )
    return Emit({"cycle": command.number, "appropriation": money_text(money)})


def _candidates(command: SelectAwards, state: Any, view: View, env: Env, actor: Actor) -> Context:
    """15(d), 15(e): the cycle's applied grants with their employers, applications and
    other grants; which of them are eligible and complete is the decision's to judge,
    at the selection's instant."""
    if state is None:
        return Context(actor=actor)
    candidates = []
    for g in view.grants(State.APPLIED):
        if g.cycle != command.number:
            continue
        employer, application = view.employer(g.employer_id), view.application(g.id)
        if employer is None or application is None:
            continue
        prior = prior_grants(g.id, view.grants_of_employer(g.employer_id))
        candidates.append((g, employer, application, prior))
    return Context(
        actor=actor, cycle=state, extra={"candidates": tuple(candidates), "counties": env.counties}
    )


def selection_of(
    command: SelectAwards, current: Cycle, context: Context, rules: Rules, now: pendulum.DateTime
) -> Selection:
    """The selection a cycle's candidates give at ``now``."""
    chosen = [
        Candidate(g.id, g.amount_requested, *stratum_of(employer, context.extra["counties"], rules),
                  g.applied_us)
        for g, employer, application, prior in context.extra.get("candidates", ())
        if selectable(g, employer, application, prior, rules, now)
    ]  # fmt: skip
    return select_awards(command.number, chosen, current.available, rules)


def selectable(
    grant: Grant, employer: Employer, application: Application, prior: Any, rules: Rules,
    now: pendulum.DateTime,
) -> bool:  # fmt: skip
    """15(d), 15(b), Section 10: whether an applied grant competes for funds at ``now``:
    its employer eligible, its application complete."""
    if not _eligibility.check_eligibility(
        employer, at=now, rules=rules, prior_grants=prior
    ).eligible:
        return False
    problems = _application.validate_application(
        application, employer=employer, at=grant.applied_at, rules=rules,
        required_other=rules.required_other,
    )  # fmt: skip
    return not any(p.is_error for p in problems)


def _select(
    command: SelectAwards,
    current: Cycle | None,
    context: Context,
    rules: Rules,
    now: pendulum.DateTime,
) -> Emit:
    if current is None:
        raise _not_open("select_awards", command.number)
    return Emit(selection_of(command, current, context, rules, now).to_data())


def _recover_open(event: Event, view: View) -> OpenCycle:
    p = event.payload
    close = p.get("applications_close")
    return OpenCycle(
        int(p["cycle"]), Decimal(str(p["appropriation"])), parse_instant(str(p["opens_at"])),
        None if close is None else parse_instant(str(close)),
    )  # fmt: skip


def _cycle_result(events: Any, after: Any) -> Cycle:
    assert isinstance(after, Cycle)  # noqa: S101 - the unit of work gives the cycle after
    return after


def _cycle_spec(
    name: str, command: type[Any], event_type: str, decide: Any, recover: Any, **kw: Any
) -> CommandSpec:
    kw.setdefault("result", _cycle_result)
    return CommandSpec(
        name=name, command=command, event_type=event_type, target=Target.CYCLE,
        stream=lambda c: cycle_stream(c.number), state=cycle_state, decide=decide,
        recover=recover, roles=_DIRECTOR, projection="cycles", **kw,
    )  # fmt: skip


OPEN_CYCLE = _cycle_spec(
    "open_cycle", OpenCycle, "CycleOpened", _open, _recover_open, load=_cycle_one,
    cites=("15(a)", "15(f)"),
    description="The Director opens cycle 1 (no earlier than July 1, 2030) or cycle 2 (no "
    "earlier than cycle 1's opening plus 2 years) with its appropriation.",
)  # fmt: skip
SET_APPROPRIATION = _cycle_spec(
    "set_appropriation", SetAppropriation, "AppropriationSet", _appropriate,
    lambda e, v: SetAppropriation(int(e.payload["cycle"]), Decimal(str(e.payload["appropriation"]))),
    cites=("15(a)",),
    description="The Director sets a cycle's appropriation, never below what it holds and paid.",
)  # fmt: skip
SELECT_AWARDS = _cycle_spec(
    "select_awards", SelectAwards, "AwardsSelected", _select,
    lambda e, v: SelectAwards(int(e.payload["cycle"])), load=_candidates,
    cites=("15(d)", "15(e)"), result=lambda events, after: selection_from_data(events[-1].payload),
    description="The Director ranks the cycle's eligible, complete applications into "
    "proposed awards and a waitlist, by stratum (15(d), 15(e)).",
)  # fmt: skip

SPECS = (OPEN_CYCLE, SET_APPROPRIATION, SELECT_AWARDS)
