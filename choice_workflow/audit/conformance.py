"""The conformance side of verify: each recorded event judged as the command that
wrote it, through the same registry the live path runs.

For every event: the command that writes its type (exactly one), the stream it belongs
in, the recorded role against the command's roles, then the command recovered from the
event and decided again under the recorded Rules, at the recorded instant, with the
context loaded from the read models as the log stood just before it (the same loaders
the live path uses, over a :class:`~choice_workflow.projections.state.ProjectionState`).
A refusal is a finding with the refusal's cites; a payload field that differs from
the decision's is a finding with that field's cites.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from choice_workflow.audit.findings import Kind
from choice_workflow.audit.integrity import Report
from choice_workflow.commands.registry import Registry
from choice_workflow.commands.spec import CommandSpec, Env, Target, target_of
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.counties import CountyTable, table_for
from choice_workflow.errors import (
    ChoiceWorkflowError,
    InvalidInput,
    RulesMismatch,
    TransitionRefused,
)
from choice_workflow.events import (
    CYCLE_STREAM_PREFIX,
    EMPLOYER_STREAM_PREFIX,
    Event,
    format_instant,
    payloads,
)
from choice_workflow.projections.state import ProjectionState
from choice_workflow.rules import Rules
from choice_workflow.store.base import Item

_READ_ERRORS = (
    ChoiceWorkflowError,
    KeyError,
    TypeError,
    ValueError,
    ArithmeticError,
    AttributeError,
    LookupError,
)


class Conformance:
    """Judges each recorded command again."""

    def __init__(self, registry: Registry, find: Report, counties: CountyTable | None) -> None:
        self.registry = registry
        self._find = find
        self.given = counties
        """The county table the caller gave (None: the shipped table the Rules name)."""
        self.counties = counties if counties is not None else CountyTable.illinois()
        self._envs: dict[int, Env] = {}
        self.judged = 0
        """How many recorded commands were decided again."""

    def judge(
        self, item: Item, event: Event, state: ProjectionState, rules: Rules,
        *, pending: list[Pending],
    ) -> Any:  # fmt: skip
        """The findings of one event, judged against ``state`` (the log before it),
        appended to ``pending`` with what the judgement read: verify reports them once
        the whole log is read, unless a break of a stream the judgement rests on (found
        before or after it) explains them. Returns the command recovered from the event
        (None when it was not judged), whose decoded parts the fold then reuses."""
        found: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

        def buffered(*args: Any, **kwargs: Any) -> int:
            found.append((args, kwargs))
            return 0

        real = self._find
        self._find = buffered
        try:
            command = self._judge(item, event, state, rules)
            if found:
                # What did the judgement read? Judged again (it is pure) through a view
                # that notes it: only where there is something to report.
                reads = _Reads(state, event.stream_id)
                self._find = lambda *args, **kwargs: 0
                self._judge(item, event, reads, rules, count=False)  # type: ignore[arg-type]  # a recording view
                pending.append(
                    Pending(item.position, frozenset(reads.streams),
                            reads.all_grants or reads.everything, frozenset(reads.missing),
                            tuple(found), record=item.record)
                )  # fmt: skip
        finally:
            self._find = real
        return command

    def _judge(
        self, item: Item, event: Event, state: ProjectionState, rules: Rules, *, count: bool = True
    ) -> Any:
        spec = self.registry.by_event_type.get(event.type)
        if spec is None:
            if target_of(event.stream_id) is not Target.GRANT:  # the fold reports a grant's
                self._find(
                    Kind.ILLEGAL_TRANSITION, f"no command writes {event.type!r}", event, item, ()
                )
            return None
        if target_of(event.stream_id) is not spec.target:
            self._find(
                Kind.ILLEGAL_TRANSITION,
                f"{event.type} belongs in a {spec.target.value} stream, not {event.stream_id}",
                event, item, spec.cites,
            )  # fmt: skip
            return None
        try:
            role = Role(event.actor_role)
        except ValueError:
            self._find(Kind.NOT_PERMITTED, f"unknown role {event.actor_role!r}", event, item, ())
            return None
        refused = spec.role_refusal(role)
        if refused is not None:
            self._find(Kind.NOT_PERMITTED, refused.reason, event, item, spec.cites)
            return None
        row = spec.transition
        grant = state.grant(event.stream_id) if row is not None else None
        if row is not None and (
            (grant is None) != (not row.sources)
            or (grant is not None and grant.state not in row.sources)
        ):
            return None  # the fold reports the illegal transition
        self.judged += count
        return self._decide(item, event, spec, role, state, rules)

    def use_counties(self, rules: Rules) -> str | None:
        """Judge by the county table ``rules`` name (15(d)); what is wrong when it is
        neither the one given nor a shipped one (the given or default table is used)."""
        try:
            self.counties = table_for(rules.county_table, self.given)
        except RulesMismatch as exc:
            return f"{exc.reason}: employers are placed by the table at hand"
        self._envs.clear()
        return None

    def env(self, rules: Rules) -> Env:
        """The commands' environment under ``rules``: those Rules and the county table."""
        env = self._envs.get(id(rules))
        if env is None:
            env = self._envs[id(rules)] = Env(rules=rules, counties=self.counties)
        return env

    def _not_of_its_class(self, item: Item, event: Event, spec: CommandSpec) -> bool:
        """Report (and say so) a payload that is not of its class. Asked only where the
        event is not what its decision writes (a payload equal to the decision's is of
        its class: the decisions write their classes' JSON, a tested law)."""
        try:
            payloads.read(event.type, event.payload, event.schema_version, cls=spec.payload_class)
        except (payloads.PayloadError, *_READ_ERRORS) as exc:
            self._find(Kind.MALFORMED, f"the payload is not a {event.type}: {exc}", event, item, ())
            return True
        return False

    def _unjudgeable(self, item: Item, event: Event, spec: CommandSpec, exc: Exception) -> None:
        """A recorded command that cannot be decided again: its payload is not of its
        class (said so), or else what failed is named."""
        if not self._not_of_its_class(item, event, spec):
            self._find(
                Kind.MALFORMED, f"the recorded command cannot be judged: {exc!r}", event, item, ()
            )

    def _decide(
        self, item: Item, event: Event, spec: CommandSpec, role: Role, state: ProjectionState,
        rules: Rules,
    ) -> Any:  # fmt: skip
        try:
            command = spec.recover(event, state)
            current = spec.state(state, command)
            owner = spec.owner(command, current)
            actor = Actor(
                event.actor_id, role, employer_id=(owner or "?") if role is Role.EMPLOYER else None
            )
            context = spec.load(command, current, state, self.env(rules), actor)
        except _READ_ERRORS as exc:
            self._unjudgeable(item, event, spec, exc)
            return None
        if spec.permission is not None:
            denied = spec.permission(actor, command, current, context)
            if denied is not None:
                self._find(Kind.NOT_PERMITTED, denied.reason, event, item, denied.cites)
        try:
            emit = spec.decide(command, current, context, rules, event.recorded_at)
        except (TransitionRefused, InvalidInput) as refused:
            if not self._not_of_its_class(item, event, spec):
                for problem in refused.problems:
                    self._find(Kind.GUARD_FAILED, problem.reason, event, item, problem.cites)
            return command
        except ChoiceWorkflowError as refused:
            if not self._not_of_its_class(item, event, spec):
                self._find(Kind.GUARD_FAILED, refused.reason, event, item, refused.cites)
            return command
        except _READ_ERRORS as exc:
            self._unjudgeable(item, event, spec, exc)
            return command
        if emit.occurred_at is None and event.occurred_at < event.recorded_at:
            self._find(
                Kind.TIME_IMPLAUSIBLE,
                f"{spec.name} happens when it is recorded, not at {format_instant(event.occurred_at)}",
                event, item, (),
            )  # fmt: skip
        elif emit.occurred_at is not None and emit.occurred_at != event.occurred_at:
            self._find(
                Kind.GUARD_FAILED,
                "the recorded occurred_at is not the command's",
                event,
                item,
                spec.cites,
            )
        if spec.compare_payload:
            if emit.payload != event.payload and self._not_of_its_class(item, event, spec):
                return command
            self._payload(item, event, spec, emit.payload)
        elif self._not_of_its_class(item, event, spec):
            return command
        return command

    def _payload(
        self, item: Item, event: Event, spec: CommandSpec, decided: Mapping[str, Any]
    ) -> bool:
        """Whether the recorded payload differs from the decision's (a finding a field)."""
        recorded = event.payload
        differs = False
        for key in sorted(set(recorded) | set(decided)):
            if key in spec.restated or (key not in recorded and key in spec.legacy_optional):
                continue
            mine, theirs = decided.get(key, _ABSENT), recorded.get(key, _ABSENT)
            if mine is theirs or mine == theirs or _plain(mine) == _plain(theirs):
                continue
            differs = True
            template = spec.payload_reasons.get(key)
            reason = (
                f"{spec.name}: the recorded {key} is {_brief(theirs)}; the command gives {_brief(mine)}"
                if template is None
                else template.format(recorded=theirs, decided=mine, p=recorded)
            )
            cites = spec.payload_cites.get(key, spec.cites)
            self._find(Kind.GUARD_FAILED, reason, event, item, cites)
        return differs


class _Absent:
    def __repr__(self) -> str:
        return "absent"


_ABSENT = _Absent()


def _plain(value: Any) -> Any:
    """A payload value as JSON would read it back (tuples as lists, proxies as dicts)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _brief(value: Any) -> str:
    text = repr(_plain(value)) if value is not _ABSENT else "absent"
    return text if len(text) <= 80 else text[:77] + "..."


@attrs.frozen
class Pending:
    """The findings of one judgement, held until the whole log is read, with what the
    judgement read (streams, every grant, anything at all) and which of those streams
    the log did not have."""

    position: int
    streams: frozenset[str]
    all_grants: bool
    """It read what folds every grant (a cycle's ledger, an employer's grants, a read
    model as a whole)."""
    missing: frozenset[str]
    found: tuple[tuple[tuple[Any, ...], dict[str, Any]], ...]
    folded: str = ""
    """The stream whose fold failed here (a finding of the fold, not of a judgement):
    when the failure rests on a break, that stream's state rests on it from here on."""
    record: bytes = b""
    """The recorded event's bytes: a grant it names is one it may rest on."""


class _Reads:
    """A view of the state that notes which streams a judgement reads, and which of
    them the log does not have."""

    def __init__(self, state: ProjectionState, own: str) -> None:
        self._state = state
        self._own = own
        self.streams: set[str] = set()
        self.missing: set[str] = set()
        self.all_grants = False
        self.everything = False

    def _noted(self, stream: str, value: Any) -> Any:
        self.streams.add(stream)
        if value is None and stream != self._own:
            self.missing.add(stream)
        return value

    def grant(self, grant_id: str) -> Any:
        return self._noted(grant_id, self._state.grant(grant_id))

    def application(self, grant_id: str) -> Any:
        return self._noted(grant_id, self._state.application(grant_id))

    def employer(self, employer_id: str) -> Any:
        return self._noted(
            f"{EMPLOYER_STREAM_PREFIX}{employer_id}", self._state.employer(employer_id)
        )

    def cycle(self, number: int, *, lock: bool = False) -> Any:
        self.all_grants = True  # the ledger folds the cycle's grants
        return self._noted(f"{CYCLE_STREAM_PREFIX}{number}", self._state.cycle(number, lock=lock))

    def grants(self, *args: Any, **kwargs: Any) -> Any:
        self.all_grants = True
        return self._state.grants(*args, **kwargs)

    def grants_of_employer(self, employer_id: str) -> Any:
        self.all_grants = True
        self.streams.add(f"{EMPLOYER_STREAM_PREFIX}{employer_id}")
        return self._state.grants_of_employer(employer_id)

    def stream(self, stream_id: str) -> Any:
        self.streams.add(stream_id)
        return self._state.stream(stream_id)

    def stream_types(self, stream_id: str) -> Any:
        self.streams.add(stream_id)
        return self._state.stream_types(stream_id)

    def stream_heads(self) -> Any:
        self.all_grants = True
        return self._state.stream_heads()

    def lock_employer(self, employer_id: str) -> None:
        self._state.lock_employer(employer_id)

    def lock_for_seal(self) -> None:
        self._state.lock_for_seal()

    def __getattr__(self, name: str) -> Any:
        self.everything = True  # a read model as a whole: it may rest on any stream
        return getattr(self._state, name)
