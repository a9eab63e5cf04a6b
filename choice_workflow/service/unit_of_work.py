"""The unit of work: the one place that runs a command.

For every command of the registry, and only here: the idempotency check (a command id
is bound to the command, actor and parameters it was first used with), the role check
(a refused role is logged to the security stream), the state and the context, the
decision, the clock check (no command is recorded before what its stream or the last
seal already holds), the append under the stream's version, the projections, the
follow-up commands (the next applicant of 15(j)), one retry policy for conflicts and lost
connections (never inside a caller's transaction) and the record of a refused attempt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pendulum

from choice_workflow.commands.program import RecordRefusal
from choice_workflow.commands.referral import cascade, releases
from choice_workflow.commands.registry import REGISTRY, Registry
from choice_workflow.commands.spec import CommandSpec, Env, Target, decoded_of, target_of
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.application import Application
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.errors import (
    ChoiceWorkflowError,
    ClockError,
    ConcurrencyConflict,
    ConnectionLost,
    IdempotencyKeyReused,
    InvalidInput,
    NotPermitted,
    Problem,
    TransitionRefused,
)
from choice_workflow.events import (
    EMPLOYER_STREAM_PREFIX,
    SEAL_STREAM,
    SECURITY_STREAM,
    Event,
    EventType,
    format_instant,
    payloads,
)
from choice_workflow.lifecycle.compiled import judge
from choice_workflow.lifecycle.machine import LifecycleMachine
from choice_workflow.projections.grants import fold
from choice_workflow.projections.projector import Projected, Projector
from choice_workflow.service.ids import RESERVED, usable
from choice_workflow.service.session import Session
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
_RESERVED_IDS = ("forfeit:", "refused:", "program-started:")
"""The command ids the library draws itself (the sweep, refused attempts, the start)."""
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
        cid = new_id() if command_id is None else command_id
        stream = spec.stream_of(command)
        if target_of(stream) is not spec.target:
            raise InvalidInput(
                problems=[Problem(spec.cites, f"{stream!r} is not the id of a {spec.target.value} stream",
                                  f"{spec.name} writes a {spec.target.value} stream.", "stream")]
            )  # fmt: skip
        if not _named_well(spec, stream):
            raise InvalidInput(
                problems=[Problem(spec.cites, f"the id in {stream[:60]!r} is not usable",
                                  "Use 1-100 letters, digits, '.', '_' or '-', starting with "
                                  "a letter or a digit.", "id")]
            )  # fmt: skip
        role = spec.role_refusal(actor.role)
        if role is not None:
            # Refused before anything is looked up: an unknown grant or employer
            # reveals nothing to a role the command never allows.
            raise self._refused(actor, spec, stream, role)
        attempts = RETRIES if self.store.owns_transactions else 1
        clock_checked = attempts == 1
        for attempt in range(attempts):
            try:
                with self.store.transaction() as tx:
                    return self._once(tx, spec, command, actor, cid)
            except (ConcurrencyConflict, ConnectionLost):
                self.conflicts += 1  # a lost race or connection: run again, by the same id
                if attempt == attempts - 1:
                    raise
            except ClockError:
                # A writer may have got in between this command's reading of the clock
                # and of its stream: run once more, with the clock read anew. A clock
                # that is behind the log stays behind, and its error is raised.
                if clock_checked or attempt == attempts - 1:
                    raise
                clock_checked = True
            except NotPermitted as refused:
                raise self._refused(actor, spec, stream, refused) from None
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
        now: pendulum.DateTime | None = None,
    ) -> Outcome:  # fmt: skip
        stream = spec.stream_of(command)
        if spec.target in _LOCKED:
            tx.lock_stream(stream)
        elif spec.target is Target.SEAL:
            tx.lock_for_seal()  # before the clock: every event it covers is in the log
        first = tx.command_events(cid)
        if first is not None:
            return self._replayed(tx, spec, command, actor, first)
        # The command's instant, read once it holds its locks: a writer that queued
        # ahead of it is already in the log it checks its instant against.
        instant = self.clock.now() if now is None else now
        events, result = self._execute(Session(tx), spec, command, actor, cid, instant)
        return Outcome(events, result, True)

    def run_in(
        self, tx: Transaction, command: object, actor: Actor, command_id: str,
        now: pendulum.DateTime,
    ) -> Outcome:  # fmt: skip
        """Run ``command`` inside ``tx``, a transaction the caller holds (the sweep,
        which claims each lapsed approval first); no retry, no refusal record."""
        return self._once(tx, self.registry.of(command), command, actor, command_id, now)

    def _execute(
        self, tx: Session, spec: CommandSpec, command: Any, actor: Actor, cid: str,
        now: pendulum.DateTime, *, quiet: bool = False,
    ) -> tuple[tuple[Event, ...], Any]:  # fmt: skip
        """Decide, append and project one command in ``tx``; then its follow-ups."""
        stream = spec.stream_of(command)
        # The heads are read before the state: a writer after them conflicts.
        heads = tx.heads([stream, SEAL_STREAM]) if stream != SEAL_STREAM else tx.heads([stream])
        self._check_clock(tx, spec, heads, now)
        state = spec.state(tx, command)
        if state is None and spec.missing is not None:
            raise spec.missing(command)
        if state is not None and spec.transition is not None and not spec.transition.sources:
            # A new grant's id already taken: whoever holds it, an input to change, not
            # an attempt on another employer's grant.
            raise InvalidInput(
                problems=[Problem(spec.cites, f"grant id {stream!r} exists",
                                  "Use a new grant id, or leave grant_id out for a new one.",
                                  "grant_id")]
            )  # fmt: skip
        own = spec.owner_refusal(actor, spec.owner(command, state))
        if own is not None:
            raise NotPermitted(
                command=spec.name, actor=actor.id, role=actor.role.value, reason=own.reason,
                hint=own.hint,
            )  # fmt: skip
        context = spec.load(command, state, tx, self.env, actor)
        if spec.permission is not None:
            denied = spec.permission(actor, command, state, context)
            if denied is not None:
                raise NotPermitted(
                    command=spec.name, actor=actor.id, role=actor.role.value,
                    reason=denied.reason, hint=denied.hint,
                )  # fmt: skip
        rules = self.env.rules
        _faults.pause("after_read")
        try:
            if self.machine is not None and spec.transition is not None:
                self.machine.step(spec.transition, state, command, context, rules, now)
            emit = spec.decide(command, state, context, rules, now)
        except (TransitionRefused, InvalidInput):
            if quiet:
                return (), None
            raise
        head = heads[stream]
        if (
            isinstance(state, Grant)
            and spec.transition is not None
            and spec.transition.dest is not None
            and spec.transition.dest.is_final
        ):
            # An end that may return funds: the cycle is held before the event takes its
            # place in the log, so that what the return leads to (15(j)) is decided in
            # the log's order, after every release placed before it.
            tx.cycle(state.cycle, lock=True)
        event = Event(
            spec.event_type, stream, 1 if head is None else head.version + 1,
            emit.occurred_at or now, now, actor.id, actor.role.value, cid, emit.payload,
            payloads.CURRENT.get(spec.event_type, 1),
        )  # fmt: skip
        tx.append([event], heads={stream: head})
        known = decoded_of(command)
        projected = self.projector.apply(event, tx, known=known)
        self._check_ledger(spec, event, projected)
        if isinstance(known.get("application"), Application) and projected.grant is not None:
            self._judged.remember(projected.grant, known["application"], context.employer)
        result = spec.result((event,), _after(projected))
        written = [event]
        after, cycle = projected.grant, projected.cycle
        if (
            after is not None
            and cycle is not None
            and releases(event.type, projected.before, after, self.env.rules)
        ):
            written += cascade(
                tx, cycle, after, self.env, now,
                lambda f: self._execute(tx, self.registry.of(f.command), f.command,
                                        Actor.system(), cid + f.suffix, now, quiet=f.quiet)[0],
            )  # fmt: skip
        return tuple(written), result

    def check_role(self, name: str, actor: Actor, *, command: str, target: str) -> None:
        """Refuse (and log) an actor whose role may not run the command ``name``; for
        jobs that run it for many targets (the sweep)."""
        refusal = self.registry.by_name[name].role_refusal(actor.role)
        if refusal is not None:
            failure = self.record_refusal(actor, command, target, refusal.reason)
            reason = (
                refusal.reason
                if failure is None
                else f"{refusal.reason} (the attempt could not be logged: {failure})"
            )
            raise NotPermitted(
                command=command, actor=actor.id, role=actor.role.value, reason=reason,
                hint=refusal.hint,
            )  # fmt: skip

    def refusals(self, command: object, actor: Actor) -> tuple[Problem, ...]:
        """Every reason ``command`` would be refused for ``actor`` now (empty: it would
        run); writes nothing. An unknown grant or employer is raised as such."""
        spec = self.registry.of(command)
        role = spec.role_refusal(actor.role)
        if role is not None:
            return (role,)
        now = self.clock.now()
        with self.store.transaction() as tx:
            state = spec.state(tx, command)
            if state is None and spec.missing is not None:
                raise spec.missing(command)
            own = spec.owner_refusal(actor, spec.owner(command, state))
            if own is not None:
                return (own,)
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
        self, tx: Session, spec: CommandSpec, heads: Mapping[str, StreamHead | None],
        now: pendulum.DateTime,
    ) -> None:  # fmt: skip
        """A command's instant never precedes what its stream, or the last seal, holds;
        a seal's never precedes anything it covers."""
        now_us = to_us(now)
        for stream, head in heads.items():
            if head is not None and head.recorded_us > now_us:
                which = "the last seal" if stream == SEAL_STREAM else f"stream {stream}"
                raise _behind(now, f"{which} already holds version {head.version} recorded at "
                              f"{format_instant(from_us(head.recorded_us))}")  # fmt: skip
        if spec.target is Target.SEAL:
            newest = tx.newest_recorded_us()
            if newest > now_us:
                raise _behind(now, f"the log holds an event recorded at {format_instant(from_us(newest))}, "
                              "which the seal would cover")  # fmt: skip

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
            # Whom and what it was used for is told to the office and to the one who
            # used it first, never to another employer.
            told = actor.role is not Role.EMPLOYER or actor.id == head.actor_id
            first_use = (
                f"{head.type} of {head.stream_id} v{head.version} by {head.actor_id} "
                f"({head.actor_role}) at {format_instant(head.recorded_at)}"
                if told else "another command"
            )  # fmt: skip
            raise IdempotencyKeyReused(command_id=head.command_id, first_use=first_use)
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
                    self._execute(
                        Session(tx), spec, record, actor, new_id("refused:"), self.clock.now()
                    )
                return None
            except ConcurrencyConflict as exc:
                cause = exc.reason
            except ChoiceWorkflowError as exc:
                return exc.reason
        return cause


def _same(spec: CommandSpec, command: Any, event: Event, tx: Transaction) -> bool:
    if spec.same is not None:
        return bool(spec.same(command, event, tx))
    try:
        return bool(spec.recover(event, tx) == command)
    except (ChoiceWorkflowError, KeyError, TypeError, ValueError, ArithmeticError):
        return False


def _behind(now: pendulum.DateTime, what: str) -> ClockError:
    return ClockError(
        reason=f"the clock reads {format_instant(now)}, but {what}",
        hint="The clock of this process is behind the database: check the machine's time "
        "(NTP), or a test's ManualClock; nothing was written.",
    )


def checked_command_id(command_id: object) -> str:
    """A caller's command id: non-empty text of at most 200 characters, without ``#``
    (the library's own follow-ups add ``#...`` to the id of what they follow) and not
    in the library's own namespaces."""
    if (
        not isinstance(command_id, str) or not command_id or len(command_id) > 200
        or "#" in command_id or command_id.startswith(_RESERVED_IDS)
    ):  # fmt: skip
        raise InvalidInput(
            problems=[Problem((), f"command id {command_id!r} is not usable",
                              "Pass 1-200 characters without '#', not starting with "
                              f"{', '.join(repr(p) for p in _RESERVED_IDS)}.", "command_id")]
        )  # fmt: skip
    return command_id


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


def _named_well(spec: CommandSpec, stream: str) -> bool:
    """A command that begins a grant's or an employer's stream names it with a usable
    id (:mod:`choice_workflow.service.ids`); any other command names one that exists."""
    if spec.transition is not None and not spec.transition.sources:
        return usable(stream) and stream not in RESERVED
    if spec.event_type == EventType.EMPLOYER_REGISTERED:
        return usable(stream.removeprefix(EMPLOYER_STREAM_PREFIX))
    return True
