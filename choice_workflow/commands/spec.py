"""The declaration of a command: what it is, who may run it, what it writes and how.

A :class:`CommandSpec` holds everything the unit of work and verify need to run or
re-judge a command: its typed command class, the roles and the own-employer rule, its
cites, the event type it writes and the stream, the loader of the read-only context it
needs (over a :class:`View`, so that the store and verify's replay load it alike), and
the pure ``decide(command, state, context, rules, now)`` that returns the event's
payload or refuses. ``recover(event, view)`` is decide's inverse: the command an event
records (the law ``recover(decide(c)) == c`` is tested for every command).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import attrs
import pendulum

from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.application import Application
from choice_workflow.domain.counties import CountyTable
from choice_workflow.domain.cycle import Cycle
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.errors import Problem
from choice_workflow.events import Event, payloads, stream_kind
from choice_workflow.events.tree import TreeHead
from choice_workflow.lifecycle.context import Context
from choice_workflow.lifecycle.table import Transition
from choice_workflow.rules import Rules


class Target(enum.Enum):
    """The kind of stream a command writes (:func:`~choice_workflow.events.stream_kind`)."""

    GRANT = "grant"
    EMPLOYER = "employer"
    CYCLE = "cycle"
    PROGRAM = "program"
    SEAL = "seal"
    SECURITY = "security"


class View(Protocol):
    """The reads a context loader may make: the store's transaction implements it, and
    so does verify's replay (:class:`~choice_workflow.projections.state.ProjectionState`)."""

    def grant(self, grant_id: str) -> Grant | None: ...
    def grants(self, state: State | None = None) -> list[Grant]: ...
    def grants_of_employer(self, employer_id: str) -> list[Grant]: ...
    def employer(self, employer_id: str) -> Employer | None: ...
    def application(self, grant_id: str) -> Application | None: ...
    def cycle(self, number: int, *, lock: bool = False) -> Cycle | None: ...
    def stream(self, stream_id: str) -> list[Event]: ...
    def stream_types(self, stream_id: str) -> tuple[str, ...]: ...
    def stream_heads(self) -> list[tuple[str, int, str]]: ...
    def lock_employer(self, employer_id: str) -> None: ...
    def lock_for_seal(self) -> None: ...
    def tree_head(self) -> TreeHead | None: ...


def target_of(stream_id: str) -> Target:
    """The kind of stream ``stream_id`` is."""
    return Target(stream_kind(stream_id))


@attrs.frozen
class Env:
    """What a context loader knows besides the store: the Rules in force, the county
    table of 15(d), and the applications the service already judged complete."""

    rules: Rules
    counties: CountyTable
    judged: Callable[[str], tuple[int, Application, Employer | None] | None] = lambda _: None
    """Grant id -> (submission instant, application, employer) judged complete (15(b))
    by this process; verify knows none and judges every application again."""


@attrs.frozen
class Emit:
    """What a decision writes: an event's payload and, for a fact that happened outside
    the system, its own instant (``occurred_at``; None: the command's instant)."""

    payload: Mapping[str, Any]
    occurred_at: pendulum.DateTime | None = None


Decide = Callable[[Any, Any, Context, Rules, pendulum.DateTime], Emit]
Load = Callable[[Any, Any, View, Env, Actor], Context]
Recover = Callable[[Event, View], Any]
Result = Callable[[Sequence[Event], Any], Any]


def no_context(command: Any, state: Any, view: View, env: Env, actor: Actor) -> Context:
    """The context of a command that needs nothing but its state and who runs it."""
    return Context(actor=actor)


def no_state(view: View, command: Any) -> None:
    """The state of a command that has none (a refused attempt)."""
    return None


@attrs.frozen(kw_only=True)
class CommandSpec:
    """One command of the registry (DESIGN.md "The command layer")."""

    name: str
    command: type[Any]
    event_type: str
    target: Target
    roles: frozenset[Role]
    cites: tuple[str, ...]
    stream: Callable[[Any], str]
    """The stream the command's event goes to."""
    state: Callable[[View, Any], Any]
    """The command's own state: the grant, the employer, the cycle, the recorded Rules."""
    decide: Decide
    recover: Recover
    result: Result
    """What the command returns, from its events and its state after them (the grant,
    the employer, the cycle; None for the others)."""
    load: Load = no_context
    own_only: bool = False
    """An employer actor may run it for its own employer only."""
    owner: Callable[[Any, Any], str | None] = lambda command, state: None
    """The employer a command acts for (its grant's, its application's, its own)."""
    missing: Callable[[Any], Exception] | None = None
    """The error when the command needs a state that does not exist (an unknown grant)."""
    permission: Callable[[Actor, Any, Any, Context], Problem | None] | None = None
    """A permission that depends on the context (who records what a correction
    corrects), checked with the roles: a refusal is ``NotPermitted`` and logged."""
    transition: Transition | None = None
    """The row of the grant's transition table (grant commands only)."""
    projection: str = "none"
    """The read models the event updates, or ``none``."""
    payload_cites: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """The cites of a payload field a decision derives (a deadline, a contact, a
    digest): what verify cites when the recorded field differs from the decision."""
    payload_reasons: Mapping[str, str] = attrs.field(factory=dict)
    """A finding's message for a payload field that differs, as a format string of
    ``recorded``, ``decided`` and the recorded payload ``p``."""
    restated: frozenset[str] = frozenset()
    """Payload fields that only restate the state the event was judged in (the window's
    end an acceptance was judged by): not compared by verify, whose findings are on the
    event that set them."""
    legacy_optional: frozenset[str] = frozenset()
    """Payload fields the library added after logs were written without them: verify
    accepts their absence (never a different value)."""
    payload: type[Any] | None = None
    """The class of the event's payload (:mod:`choice_workflow.events.payloads`); None:
    the library's own class of the event type."""
    compare_payload: bool = True
    """Whether verify compares the recorded payload with the decision's; False where the
    integrity side checks it (a seal's heads and root, the Rules and their
    fingerprint as recorded)."""
    no_cite: str = ""
    """Why a command with no cites rests on no clause of the Act (the log's integrity)."""
    same: Callable[[Any, Event, View], bool] | None = None
    """Whether ``command`` is the command ``event`` recorded (idempotency keys); None:
    ``recover(event, view) == command``."""
    description: str = ""

    def stream_of(self, command: Any) -> str:
        """The stream ``command`` writes."""
        return self.stream(command)

    def role_refusal(self, role: Role) -> Problem | None:
        """Why ``role`` may never run this command (None: it may)."""
        if role in self.roles:
            return None
        allowed = ", ".join(sorted(r.value for r in self.roles))
        return Problem(
            (), f"role {role.value} may not {self.name}", f"Allowed: {allowed}.", "actor"
        )

    def owner_refusal(self, actor: Actor, owner: str | None) -> Problem | None:
        """Why ``actor``, an employer, may not run this command for ``owner`` (None: it
        may, or the rule does not apply)."""
        if not self.own_only or actor.role is not Role.EMPLOYER or owner is None:
            return None
        if actor.employer_id == owner:
            return None
        return Problem(
            (), f"employer {actor.employer_id} may not act on another employer's grant",
            "An employer acts on its own grants only.", "actor",
        )  # fmt: skip

    @property
    def payload_class(self) -> type[Any] | None:
        """The class of the payload this command's event carries (at the current
        schema version: what events are read as)."""
        if self.payload is not None:
            return self.payload
        return payloads.payload_class(self.event_type, payloads.CURRENT.get(self.event_type, 1))


def decoded_of(command: Any) -> dict[str, Any]:
    """What a command holds of its event's payload already decoded (its application,
    its employer), for the projector, which would otherwise decode it again."""
    known: dict[str, Any] = {}
    for key in ("application", "employer"):
        value = getattr(command, key, None)
        if value is not None:
            known[key] = value
    return known
