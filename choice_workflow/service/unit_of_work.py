"""The unit of work: the one place that runs a command.

For every command of the registry, and only here: the idempotency check (a command id
is bound to the command, actor and parameters it was first used with), the role check
(a refused role is logged to the security stream), the state and the context, the
decision, the clock check (no command is recorded before what its stream or the last
seal already holds), the append under the stream's version, the projections, the
follow-up commands (the next applicant of 15(j)), one retry policy for conflicts (never
inside a caller's transaction) and the record of a refused attempt (never dropped
silently).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pendulum

from choice_workflow.commands.program import RecordRefusal
from choice_workflow.commands.referral import FollowUp, next_applicant, releases
from choice_workflow.commands.registry import REGISTRY, Registry
from choice_workflow.commands.spec import CommandSpec, Env, Target
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.application import Application
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.errors import (
    ChoiceWorkflowError,
    ClockError,
    ConcurrencyConflict,
    IdempotencyKeyReused,
    InvalidInput,
    NotPermitted,
    Problem,
    TransitionRefused,
)
from choice_workflow.events import SEAL_STREAM, SECURITY_STREAM, Event, format_instant
from choice_workflow.lifecycle.compiled import judge
from choice_workflow.lifecycle.machine import LifecycleMachine
from choice_workflow.projections.grants import fold
from choice_workflow.projections.projector import Projected, Projector
from choice_workflow.store import _faults
from choice_workflow.store.base import Store, StreamHead, Transaction
from choice_workflow.time.clock import Clock
from choice_workflow.time.instants import from_us, to_us

RETRIES = 8
"""How many times a command that lost a race is run again (optimistic concurrency)."""
REFUSAL_RETRIES = 50
"""How many times the record of a refused attempt is tried before the caller is told
it could not be written."""
_LOCKED = frozenset({Target.EMPLOYER, Target.CYCLE, Target.PROGRAM, Target.SECURITY})
"""Shared streams whose writers queue behind a lock (PostgreSQL advisory locks)."""
_REMEMBERED = 10_000


def new_id(prefix: str = "") -> str:
    """A new unique id (a command id, a grant id's tail); the one place ids are drawn."""
    return f"{prefix}{uuid.uuid4()}"


@attrs.frozen
class Outcome:
    """What a command did: its events (its own and those of its follow-ups), the
    result the Program returns, and whether it was written now (False: the command id
    was seen before and the first result is returned)."""

    events: tuple[Event, ...]
    result: Any
    written: bool


class _Judged:
    """Applications this process judged complete at apply or amend (15(b)), bounded:
    an approval whose inputs are equal does not judge them again."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, Application, Employer | None]] = {}

    def get(self, grant_id: str) -> tuple[int, Application, Employer | None] | None:
        return self._seen.get(grant_id)

    def remember(self, grant: Grant, application: Application, employer: Employer | None) -> None:
        if len(self._seen) >= _REMEMBERED:
            self._seen.pop(next(iter(self._seen)))
        self._seen[grant.id] = (grant.applied_us, application, employer)


class UnitOfWork:
    """Runs the commands of a registry on a store, with a clock and the Rules."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        env: Env,
        *,
        registry: Registry = REGISTRY,
        machine: LifecycleMachine | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self._judged = _Judged()
        self.env = attrs.evolve(env, judged=self._judged.get)
        self.registry = registry
        self.machine = machine
        self.projector = Projector(env.rules)
        self.conflicts = 0
        """How many commands lost a race and were run again."""

    # -- running -----------------------------------------------------------------------

    def run(self, command: object, actor: Actor, command_id: str | None = None) -> Outcome:
        """Run ``command`` for ``actor`` in one transaction (retried after a lost race
        when the store owns its transactions)."""
        if not isinstance(actor, Actor):
            raise InvalidInput(
                problems=[Problem((), f"expected an Actor, got {type(actor).__name__}", "Pass Actor(id, Role...).", "actor")]
            )  # fmt: skip
        spec = self.registry.of(command)
        cid = command_id if command_id is not None else new_id()
        if actor.role not in spec.roles:
            # Refused before anything is looked up: an unknown grant or employer
            # reveals nothing to a role the command never allows.
            raise self._refused(actor, spec, spec.stream_of(command), _role_problem(spec, actor))
        attempts = RETRIES if self.store.owns_transactions else 1
        for attempt in range(attempts):
            now = self.clock.now()
            try:
                with self.store.transaction() as tx:
                    return self._once(tx, spec, command, actor, cid, now)
            except ConcurrencyConflict:
                self.conflicts += 1
                if attempt == attempts - 1:
                    raise
            except NotPermitted as refused:
                raise self._refused(actor, spec, spec.stream_of(command), refused) from None
            except (TransitionRefused, InvalidInput, LookupError) as refused:
                # A first attempt of this very command may have committed meanwhile
                # (a retry racing it): its result, not a refusal of what succeeded.
                earlier = self._earlier(spec, command, actor, cid)
                if earlier is not None:
                    return earlier
                raise refused from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(
        self, tx: Transaction, spec: CommandSpec, command: Any, actor: Actor, cid: str,
        now: pendulum.DateTime,
    ) -> Outcome:  # fmt: skip
        stream = spec.stream_of(command)
        if spec.target in _LOCKED:
            tx.lock_stream(stream)
        first = tx.command_events(cid)
        if first is not None:
            return self._replayed(tx, spec, command, actor, first)
        events, result = self._execute(tx, spec, command, actor, cid, now)
        return Outcome(events, result, True)

    def run_in(
        self, tx: Transaction, command: object, actor: Actor, command_id: str,
        now: pendulum.DateTime,
    ) -> Outcome:  # fmt: skip
        """Run ``command`` inside ``tx``, a transaction the caller holds (the sweep,
        which claims each lapsed approval first); no retry, no refusal record."""
        return self._once(tx, self.registry.of(command), command, actor, command_id, now)

    def _execute(
        self, tx: Transaction, spec: CommandSpec, command: Any, actor: Actor, cid: str,
        now: pendulum.DateTime, *, quiet: bool = False,
    ) -> tuple[tuple[Event, ...], Any]:  # fmt: skip
        """Decide, append and project one command in ``tx``; then its follow-ups."""
        stream = spec.stream_of(command)
        head = tx.head(stream)  # read before the state: a later writer conflicts
        heads = {stream: head}
        self._check_clock(tx, heads, now)
        state = spec.state(tx, command)
        if state is None and spec.missing is not None:
            raise spec.missing(command)
        owner = spec.owner(command, state)
        if (
            spec.own_only
            and actor.role is Role.EMPLOYER
            and owner is not None
            and actor.employer_id != owner
        ):
            raise NotPermitted(
                command=spec.name, actor=actor.id, role=actor.role.value,
                reason=f"employer {actor.employer_id} may not act on another employer's grant",
                hint="An employer acts on its own grants only.",
            )  # fmt: skip
        context = spec.load(command, state, tx, self.env, actor)
        if spec.permission is not None:
            denied = spec.permission(actor, command, state, context)
            if denied is not None:
                raise NotPermitted(
                    command=spec.name,
                    actor=actor.id,
                    role=actor.role.value,
                    reason=denied.reason,
                    hint=denied.hint,
                )
        rules = self.env.rules
        _faults.pause("after_read")
        if self.machine is not None and spec.transition is not None:
            self.machine.step(spec.transition, state, command, context, rules, now)
        try:
            emit = spec.decide(command, state, context, rules, now)
        except TransitionRefused:
            if quiet:
                return (), None
            raise
        version = 1 if head is None else head.version + 1
        event = Event(
            spec.event_type, stream, version, emit.occurred_at or now, now, actor.id,
            actor.role.value, cid, emit.payload,
        )  # fmt: skip
        tx.append([event], heads=heads)
        known = _known(command)
        projected = self.projector.apply(event, tx, known=known)
        self._check_ledger(spec, event, projected)
        if isinstance(known.get("application"), Application) and projected.grant is not None:
            self._judged.remember(projected.grant, known["application"], context.employer)
        result = spec.result((event,), _after(projected))
        written = [event]
        for follow in self._follow_ups(tx, event, projected):
            follow_spec = self.registry.of(follow.command)
            more, _ = self._execute(
                tx, follow_spec, follow.command, Actor.system(), cid + follow.suffix, now,
                quiet=follow.quiet,
            )  # fmt: skip
            written += more
        return tuple(written), result

    def _follow_ups(self, tx: Transaction, event: Event, projected: Projected) -> list[FollowUp]:
        after, cycle = projected.grant, projected.cycle
        if after is None or cycle is None or not releases(event.type, projected.before, after):
            return []
        return next_applicant(tx, cycle, after, self.env)

    def check_role(self, name: str, actor: Actor, *, command: str, target: str) -> None:
        """Refuse (and log) an actor whose role may not run the command ``name``; for
        jobs that run it for many targets (the sweep)."""
        spec = self.registry.by_name[name]
        if actor.role not in spec.roles:
            refusal = _role_problem(spec, actor)
            failure = self.record_refusal(actor, command, target, refusal.reason)
            reason = (
                refusal.reason
                if failure is None
                else f"{refusal.reason} (the attempt could not be logged: {failure})"
            )
            raise NotPermitted(
                command=command,
                actor=actor.id,
                role=actor.role.value,
                reason=reason,
                hint=refusal.hint,
            )

    def refusals(self, command: object, actor: Actor) -> tuple[Problem, ...]:
        """Every reason ``command`` would be refused for ``actor`` now (empty: it would
        run); writes nothing. An unknown grant or employer is raised as such."""
        spec = self.registry.of(command)
        if actor.role not in spec.roles:
            return (_role_problem(spec, actor),)
        now = self.clock.now()
        with self.store.transaction() as tx:
            state = spec.state(tx, command)
            if state is None and spec.missing is not None:
                raise spec.missing(command)
            owner = spec.owner(command, state)
            if (
                spec.own_only
                and actor.role is Role.EMPLOYER
                and owner is not None
                and actor.employer_id != owner
            ):
                return (
                    Problem((), f"employer {actor.employer_id} may not act on another employer's grant",
                            "An employer acts on its own grants only.", "actor"),
                )  # fmt: skip
            context = spec.load(command, state, tx, self.env, actor)
        if spec.permission is not None:
            denied = spec.permission(actor, command, state, context)
            if denied is not None:
                return (denied,)
        if spec.transition is not None:
            return judge(spec.transition, state, command, context, self.env.rules, now)
        try:
            spec.decide(command, state, context, self.env.rules, now)
        except (TransitionRefused, InvalidInput) as refused:
            return refused.problems
        return ()

    # -- the checks of every command ---------------------------------------------------

    def _check_clock(
        self, tx: Transaction, heads: Mapping[str, StreamHead | None], now: pendulum.DateTime
    ) -> None:
        """A command's instant never precedes what its stream, or the last seal, holds."""
        now_us = to_us(now)
        seal = heads.get(SEAL_STREAM) if SEAL_STREAM in heads else tx.head(SEAL_STREAM)
        checks = [*heads.items(), (SEAL_STREAM, seal)]
        for stream, head in checks:
            if head is not None and head.recorded_us > now_us:
                which = "the last seal" if stream == SEAL_STREAM else f"stream {stream}"
                raise ClockError(
                    reason=f"the clock reads {format_instant(now)}, but {which} already holds "
                    f"version {head.version} recorded at {format_instant(from_us(head.recorded_us))}",
                    hint="The clock of this process is behind the database: check the "
                    "machine's time (NTP), or a test's ManualClock; nothing was written.",
                )

    def _check_ledger(self, spec: CommandSpec, event: Event, projected: Projected) -> None:
        """15(a): reserved and paid never exceed the cycle's appropriation."""
        cycle = projected.cycle
        if cycle is None or cycle.balanced():
            return
        raise TransitionRefused(
            command=spec.name, grant_id=event.stream_id,
            problems=[Problem(("15(a)",), f"cycle {cycle.number} would hold ${cycle.reserved + cycle.disbursed:,.2f} "
                     f"of ${cycle.appropriation:,.2f} appropriated", "Subject to appropriation: reduce the amount.")],
        )  # fmt: skip

    # -- idempotency ---------------------------------------------------------------------

    def _replayed(
        self,
        tx: Transaction,
        spec: CommandSpec,
        command: Any,
        actor: Actor,
        first: tuple[Event, ...],
    ) -> Outcome:
        """The first result of a command id seen before, if it is this very command."""
        head = first[0]
        same_spec = self.registry.by_event_type.get(head.type)
        matches = (
            same_spec is spec
            and (head.actor_id, head.actor_role) == (actor.id, actor.role.value)
            and _same(spec, command, head, tx)
        )
        if not matches:
            raise IdempotencyKeyReused(
                command_id=head.command_id,
                first_use=f"{head.type} of {head.stream_id} v{head.version} by {head.actor_id} "
                f"({head.actor_role}) at {format_instant(head.recorded_at)}",
            )
        mine = [e for e in first if e.stream_id == head.stream_id]
        return Outcome(first, spec.result(tuple(mine), _state_after(spec, mine, tx)), False)

    def _earlier(self, spec: CommandSpec, command: Any, actor: Actor, cid: str) -> Outcome | None:
        with self.store.transaction() as tx:
            first = tx.command_events(cid)
            return None if first is None else self._replayed(tx, spec, command, actor, first)

    # -- refused attempts ----------------------------------------------------------------

    def _refused(
        self, actor: Actor, spec: CommandSpec, target: str, refusal: Problem | NotPermitted
    ) -> NotPermitted:
        """Record a refused attempt, in a transaction of its own; the NotPermitted to
        raise (saying so when the record could not be written)."""
        reason = refusal.why if isinstance(refusal, NotPermitted) else refusal.reason
        hint = refusal.hint
        error = refusal if isinstance(refusal, NotPermitted) else NotPermitted(
            command=spec.name, actor=actor.id, role=actor.role.value, reason=reason, hint=hint
        )  # fmt: skip
        failure = self.record_refusal(actor, spec.name, target, reason)
        if failure is None:
            return error
        return NotPermitted(
            command=spec.name, actor=actor.id, role=actor.role.value,
            reason=f"{reason} (the attempt could not be logged: {failure})", hint=hint,
        )  # fmt: skip

    def record_refusal(self, actor: Actor, command: str, target: str, reason: str) -> str | None:
        """Write a refused attempt to the security stream; None when written, else why
        it could not be."""
        record = RecordRefusal(command, target, reason, actor.employer_id)
        spec = self.registry.of(record)
        cause = "unknown"
        for _ in range(REFUSAL_RETRIES if self.store.owns_transactions else 1):
            try:
                with self.store.transaction() as tx:
                    tx.lock_stream(SECURITY_STREAM)
                    self._execute(tx, spec, record, actor, new_id("refused:"), self.clock.now())
                return None
            except ConcurrencyConflict as exc:
                cause = exc.reason
            except ChoiceWorkflowError as exc:
                return exc.reason
        return cause


def _role_problem(spec: CommandSpec, actor: Actor) -> Problem:
    allowed = ", ".join(sorted(r.value for r in spec.roles))
    return Problem(
        (), f"role {actor.role.value} may not {spec.name}", f"Allowed: {allowed}.", "actor"
    )


def _same(spec: CommandSpec, command: Any, event: Event, tx: Transaction) -> bool:
    if spec.same is not None:
        return bool(spec.same(command, event, tx))
    try:
        return bool(spec.recover(event, tx) == command)
    except (ChoiceWorkflowError, KeyError, TypeError, ValueError, ArithmeticError):
        return False


def _known(command: Any) -> dict[str, Any]:
    """What the command itself holds of its event's payload, decoded already."""
    known: dict[str, Any] = {}
    for key in ("application", "employer"):
        value = getattr(command, key, None)
        if value is not None:
            known[key] = value
    return known


def _after(projected: Projected) -> Any:
    return projected.grant or projected.employer or projected.cycle


def _state_after(spec: CommandSpec, events: list[Event], tx: Transaction) -> Any:
    """The state a command left, read back for a command id seen before."""
    last = events[-1]
    if spec.target is Target.GRANT:
        return fold(e for e in tx.stream(last.stream_id) if e.version <= last.version)
    if spec.target is Target.EMPLOYER:
        return tx.employer(last.stream_id.removeprefix("employer:"))
    if spec.target is Target.CYCLE:
        return tx.cycle(int(last.payload["cycle"]))
    return None


Runner = Callable[[object, Actor, str | None], Outcome]
