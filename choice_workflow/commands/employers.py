"""The commands of an employer's stream: registration, updates of its facts, and the
audited change of its contact (Section 10, 15(i))."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from choice_workflow.commands.spec import CommandSpec, Emit, Env, Target, View
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.counties import CountyTable
from choice_workflow.domain.employer import Employer, employer_from_data, employer_to_data
from choice_workflow.domain.state import State
from choice_workflow.errors import InvalidInput, Problem, UnknownEmployer
from choice_workflow.events import Event
from choice_workflow.lifecycle.context import Context
from choice_workflow.rules import Rules

_OFFICE = frozenset({Role.DEPARTMENT, Role.DIRECTOR})


def employer_stream(employer_id: str) -> str:
    """The stream id of an employer's events."""
    return f"employer:{employer_id}"


@attrs.frozen
class RegisterEmployer:
    """Record an employer and its certificate data."""

    name: ClassVar[str] = "register_employer"
    employer: Employer

    @property
    def employer_id(self) -> str:
        """The employer's id."""
        return str(getattr(self.employer, "id", ""))


@attrs.frozen
class UpdateEmployer:
    """Record changed facts of a registered employer (certificate, CRP funding, ...)."""

    name: ClassVar[str] = "update_employer"
    employer: Employer

    @property
    def employer_id(self) -> str:
        """The employer's id."""
        return str(getattr(self.employer, "id", ""))


@attrs.frozen
class ChangeContact:
    """15(i): change an employer's address of record and/or email, with the reason."""

    name: ClassVar[str] = "change_contact"
    employer_id: str
    reason: str
    address_of_record: str | None = None
    email: str | None = None

    @property
    def contact(self) -> dict[str, str]:
        """The channels that change, with their new values."""
        pairs = (("address_of_record", self.address_of_record), ("email", self.email))
        return {k: v for k, v in pairs if v is not None}


def _employer_state(view: View, command: Any) -> Employer | None:
    return view.employer(command.employer_id)


def _with_counties(command: Any, state: Any, view: View, env: Env, actor: Actor) -> Context:
    return Context(actor=actor, extra={"counties": env.counties})


def _update_context(command: Any, state: Any, view: View, env: Env, actor: Actor) -> Context:
    """The county table; and every cycle where the employer waits is held (in order),
    since its stratum places its applications in the cycle's queue (15(d), 15(j))."""
    waiting = {g.cycle for g in view.grants_of_employer(command.employer_id)
               if g.state is State.APPLIED}  # fmt: skip
    for number in sorted(waiting):
        view.cycle(number, lock=True)
    return _with_counties(command, state, view, env, actor)


def _placed(employer: Employer, context: Context) -> None:
    """15(d): the employer's county is one of the table in force (an unknown one is
    refused with the closest names: it would skew the equitable distribution)."""
    counties: CountyTable = context.extra["counties"]
    counties.lookup(getattr(employer, "county", ""))


def _register(
    command: RegisterEmployer, current: Employer | None, context: Context, rules: Rules, now: Any
) -> Emit:
    _placed(command.employer, context)
    if current is not None:
        raise InvalidInput(
            problems=[
                Problem(
                    ('10 "Eligible employer"',),
                    f"employer {command.employer_id} is already registered",
                    "Use update_employer to change its facts.",
                    "id",
                )
            ]
        )
    return Emit({"employer": employer_to_data(command.employer)})


def _update(
    command: UpdateEmployer, current: Employer | None, context: Context, rules: Rules, now: Any
) -> Emit:
    if current is None:
        raise UnknownEmployer(employer_id=command.employer_id)
    new = command.employer
    _placed(new, context)
    if (current.address_of_record, current.email) != (new.address_of_record, new.email):
        raise InvalidInput(
            problems=[
                Problem(
                    ("15(i)",),
                    "the address of record and email are the notice channels: "
                    "their changes are recorded with the previous values and a reason",
                    "Use change_contact(employer_id, actor, reason=..., email=...).",
                    "email",
                )
            ]
        )
    return Emit({"employer": employer_to_data(new)})


def contact_problems(command: ChangeContact) -> list[Problem]:
    """What is wrong with a contact change as given (empty: nothing)."""
    new = command.contact
    problems = [
        Problem(("15(i)",), f"{k} must be non-empty text", f"Pass the new {k}.", k)
        for k, v in new.items()
        if not isinstance(v, str) or not v.strip()
    ]
    if not new:
        problems.append(
            Problem(("15(i)",), "nothing to change", "Pass address_of_record and/or email.")
        )
    if not isinstance(command.reason, str) or not command.reason.strip():
        problems.append(
            Problem(
                ("15(i)",), "a contact change states its reason", "Pass reason='...'.", "reason"
            )
        )
    if "email" in new and isinstance(new["email"], str) and "@" not in new["email"]:
        problems.append(
            Problem(("15(i)",), "the email has no @", "Pass an email address.", "email")
        )
    return problems


def _change_contact(
    command: ChangeContact, current: Employer | None, context: Context, rules: Rules, now: Any
) -> Emit:
    problems = contact_problems(command)
    if problems:
        raise InvalidInput(problems=problems)
    if current is None:
        raise UnknownEmployer(employer_id=command.employer_id)
    new = command.contact
    updated = attrs.evolve(
        current,
        address_of_record=new.get("address_of_record", current.address_of_record),
        email=new.get("email", current.email),
    )
    return Emit(
        {
            "previous": {k: getattr(current, k) for k in new},
            "contact": new,
            "reason": str(command.reason),
            "employer": employer_to_data(updated),
        }
    )


def _employer_id(event: Event) -> str:
    return event.stream_id.removeprefix("employer:")


def _recover_contact(event: Event, view: View) -> ChangeContact:
    contact = event.payload["contact"]
    return ChangeContact(
        _employer_id(event), event.payload["reason"],
        contact.get("address_of_record"), contact.get("email"),
    )  # fmt: skip


def _employer_result(events: Any, after: Any) -> Employer:
    return employer_from_data(events[-1].payload["employer"])


def _employer_spec(
    name: str, command: type[Any], event_type: str, decide: Any, recover: Any, **kw: Any
) -> CommandSpec:
    return CommandSpec(
        name=name, command=command, event_type=event_type, target=Target.EMPLOYER,
        stream=lambda c: employer_stream(c.employer_id), state=_employer_state,
        decide=decide, recover=recover, result=_employer_result, projection="employers", **kw,
    )  # fmt: skip


REGISTER_EMPLOYER = _employer_spec(
    "register_employer", RegisterEmployer, "EmployerRegistered", _register,
    lambda e, v: RegisterEmployer(employer_from_data(e.payload["employer"], keep=True)),
    roles=_OFFICE, cites=('10 "Eligible employer"', "15(d)"), load=_with_counties,
    description="The Department or the Director registers an employer and its certificate "
    "data; its county must be in the county table in force (15(d)).",
)  # fmt: skip
UPDATE_EMPLOYER = _employer_spec(
    "update_employer", UpdateEmployer, "EmployerUpdated", _update,
    lambda e, v: UpdateEmployer(employer_from_data(e.payload["employer"], keep=True)),
    roles=_OFFICE, cites=('10 "Eligible employer"', "15(d)"), load=_update_context,
    description="The Department or the Director records changed facts of an employer "
    "(its county, if changed, in the county table in force).",
)  # fmt: skip
CHANGE_CONTACT = _employer_spec(
    "change_contact", ChangeContact, "ContactChanged", _change_contact, _recover_contact,
    roles=_OFFICE | {Role.EMPLOYER}, cites=("15(i)",), own_only=True,
    owner=lambda c, state: c.employer_id,
    description="The Department, the Director or the employer itself changes the address "
    "of record or email a notice goes by, with the previous values and the reason.",
)  # fmt: skip

SPECS = (REGISTER_EMPLOYER, UPDATE_EMPLOYER, CHANGE_CONTACT)
