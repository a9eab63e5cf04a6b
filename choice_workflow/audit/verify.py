"""Replay and verify: one streaming pass over the stored log.

Replay folds every grant's events through the one transition table (compiled lookups,
never a ``transitions`` Machine per event) and returns the rebuilt grants. Verify also
checks each stream's hash chain and versions over the stored bytes, re-runs every
recorded command's guards at its recorded instant under the recorded Rules, checks
every seal (and, given one, the published root), and compares the database's
projections with the replay. Every problem is a :class:`~choice_workflow.audit.findings.Finding`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pendulum

from choice_workflow.actors import Actor, Role
from choice_workflow.audit.chain import GENESIS, head_leaf, link, merkle_root
from choice_workflow.audit.findings import Finding, Kind
from choice_workflow.audit.jsonl import parse_record, read_lines
from choice_workflow.errors import ChoiceWorkflowError, InvalidInput
from choice_workflow.events import (
    CYCLE_STREAM_PREFIX,
    PROGRAM_STREAM,
    SEAL_STREAM,
    SECURITY_STREAM,
    Event,
    EventType,
    canonical_json,
    event_from_record,
    parse_instant,
)
from choice_workflow.lifecycle.context import Command, Context, approval_context
from choice_workflow.lifecycle.grant import Grant, IllegalHistory, evolve, from_us, to_us
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE, TransitionTable
from choice_workflow.rules import Rules
from choice_workflow.time.instants import ensure_instant

if TYPE_CHECKING:
    from choice_workflow.allocation import Cycle
    from choice_workflow.domain.application import Application
    from choice_workflow.domain.employer import Employer
    from choice_workflow.store.base import Store

Source = "Store | str | Path | Iterable[Item]"


@attrs.frozen
class Item:
    """One stored event as verify reads it: the bytes that were hashed and their link."""

    position: int
    record: bytes
    prev_hash: str
    hash: str
    columns: Mapping[str, Any] | None = None
    """What a SQL store keeps beside the record (stream_id, version, ...), to compare."""


@attrs.frozen
class CorrectionNote:
    """A correction or amendment verify met: where it is, what it changed, who and why."""

    stream_id: str
    version: int
    position: int
    kind: str
    """``Corrected`` or ``ApplicationAmended``."""
    corrects: int | None
    """The version of the corrected event (None for an amendment)."""
    fields: tuple[str, ...]
    actor_id: str
    reason: str


@attrs.frozen
class Report:
    """What a replay or a verify found."""

    grants: Mapping[str, Grant]
    findings: tuple[Finding, ...]
    rules: Rules | None
    events: int
    streams: int
    seals: int
    last_root: str | None
    cycles: Mapping[int, Cycle] = attrs.field(factory=dict)
    """The cycles and their ledgers as the log leaves them (15(a), 15(f))."""
    corrections: tuple[CorrectionNote, ...] = ()
    """Every correction and amendment in the log (facts corrected by later events;
    not findings: the log keeps both)."""

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings


def replay(
    source: Store | str | Path | Iterable[Item], *, as_of: dt.datetime | None = None
) -> Report:
    """Rebuild every grant from the log (a store, a JSON Lines file, or items), up to
    ``as_of`` (an aware instant; events recorded after it are left out). Findings are
    those the fold itself meets: illegal transitions and unreadable records."""
    return _Engine(check=False, as_of=as_of).run(_items(source))


def verify(
    source: Store | str | Path | Iterable[Item],
    *,
    expected_root: str | None = None,
    as_of: dt.datetime | None = None,
    guards: bool = True,
) -> Report:
    """Check the whole log: chains, versions, guards, Rules, seals, projections.

    ``expected_root`` is a published seal root (hex): a log with no seal of that root is
    a ``root_mismatch`` finding. ``guards=False`` checks integrity and folds the grants
    without re-running the Act's guards (faster; for a log already verified once).
    """
    from choice_workflow.store.base import Store

    engine = _Engine(check=True, as_of=as_of, guards=guards)
    report = engine.run(_items(source))
    extra: list[Finding] = []
    if expected_root is not None and expected_root.lower() not in engine.roots:
        extra.append(
            Finding(
                Kind.ROOT_MISMATCH,
                f"no seal in the log has the published root {expected_root}",
            )
        )
    if isinstance(source, Store) and as_of is None:
        extra += _compare_projections(source, report.grants)
        extra += _compare_cycles(source, engine.cycles)
    return attrs.evolve(report, findings=report.findings + tuple(extra))


def _items(source: Store | str | Path | Iterable[Item]) -> Iterator[Item]:
    from choice_workflow.store.base import Store

    if isinstance(source, Store):
        audit_rows = getattr(source, "audit_items", None)
        if audit_rows is not None:
            yield from audit_rows()
            return
        for s in source.stored_events():
            yield Item(s.position, s.record, s.prev_hash, s.hash)
        return
    if isinstance(source, str | Path):
        for line in read_lines(source):
            yield Item(line.position, line.record, line.prev_hash, line.hash)
        return
    yield from source


def _compare_projections(store: Store, grants: Mapping[str, Grant]) -> list[Finding]:
    with store.transaction() as tx:
        stored = {g.id: g for g in tx.grants()}
    found = []
    for gid in sorted(set(stored) | set(grants)):
        mine, theirs = grants.get(gid), stored.get(gid)
        if mine != theirs:
            found.append(
                Finding(
                    Kind.PROJECTION_MISMATCH,
                    f"the grants table says {_brief(theirs)}, the log says {_brief(mine)}",
                    gid,
                    0 if mine is None else mine.version,
                )
            )
    return found


def _compare_cycles(store: Store, cycles: Mapping[int, Cycle]) -> list[Finding]:
    """15(a), 15(f): each cycle's ledger and waitlist in the database against the replay."""
    with store.transaction() as tx:
        stored = {n: tx.cycle(n) for n in range(1, 10)}
    found = []
    for number in sorted({n for n, c in stored.items() if c is not None} | set(cycles)):
        mine, theirs = cycles.get(number), stored.get(number)
        if mine != theirs:
            found.append(
                Finding(
                    Kind.PROJECTION_MISMATCH,
                    f"the cycles table disagrees with the log for cycle {number}",
                    f"cycle:{number}",
                    cites=("15(a)",),
                )
            )
    return found


def _brief(g: Grant | None) -> str:
    return "nothing" if g is None else f"{g.state.value} at version {g.version}"


_COLUMN_KEYS = (
    "stream_id",
    "version",
    "type",
    "schema_version",
    "actor_id",
    "actor_role",
    "command_id",
)


class _Engine:
    """The state of one pass."""

    def __init__(
        self,
        *,
        check: bool,
        as_of: dt.datetime | None,
        guards: bool = True,
        table: TransitionTable = GRANT_LIFECYCLE,
    ) -> None:
        self.check = check
        self.guards = guards
        self.as_of_us = None if as_of is None else to_us(ensure_instant(as_of, "as_of"))
        self.table = table
        self.findings: list[Finding] = []
        self.heads: dict[str, tuple[int, str]] = {}
        self.grants: dict[str, Grant] = {}
        self.by_employer: dict[str, list[str]] = {}
        self.employers: dict[str, Employer] = {}
        self.pending_apps: dict[str, Application] = {}
        self.rules: Rules | None = None
        self.cycles: dict[int, Cycle] = {}
        self.roots: set[str] = set()
        self.seals = 0
        self.events = 0
        self.last_root: str | None = None
        self.corrections: list[CorrectionNote] = []
        self.decoded: tuple[Event, Application] | None = None
        """The application of the Applied event the guards just read (decoded once)."""
        self.kinds: dict[str, str] = {}
        """Per grant, the type of each event by version, one character each (what a
        correction or a termination's evidence references)."""

    def run(self, items: Iterable[Item]) -> Report:
        for item in items:
            self._one(item)
        return Report(
            grants=dict(self.grants),
            findings=tuple(self.findings),
            rules=self.rules,
            events=self.events,
            streams=len(self.heads),
            seals=self.seals,
            last_root=self.last_root,
            cycles=dict(self.cycles),
            corrections=tuple(self.corrections),
        )

    def _find(
        self, kind: Kind, message: str, event: Event | None, item: Item, cites: tuple[str, ...] = ()
    ) -> None:
        stream, version = ("", 0) if event is None else (event.stream_id, event.version)
        self.findings.append(Finding(kind, message, stream, version, item.position, cites))

    def _one(self, item: Item) -> None:
        try:
            raw = parse_record(item.record)  # strict: duplicate keys, NaN, depth refused
            event = event_from_record(raw)
        except (
            ValueError, TypeError, KeyError, RecursionError, ArithmeticError, ChoiceWorkflowError
        ) as exc:  # fmt: skip
            if self.check:
                self.findings.append(
                    Finding(Kind.MALFORMED, f"unreadable record: {exc}", position=item.position)
                )
            return
        if self.as_of_us is not None and to_us(event.recorded_at) > self.as_of_us:
            return
        self.events += 1
        if self.check:
            self._integrity(item, event, raw)
        if event.stream_id == PROGRAM_STREAM:
            self._program(item, event)
        elif event.stream_id.startswith("employer:"):
            if self.guards:  # employers are read only to re-run the guards
                self._employer(item, event)
        elif event.stream_id == SEAL_STREAM:
            self._seal(item, event)
        elif event.stream_id.startswith(CYCLE_STREAM_PREFIX):
            self._cycle(item, event)
        elif event.stream_id != SECURITY_STREAM:
            self._grant(item, event)

    # -- integrity -----------------------------------------------------------------

    def _integrity(self, item: Item, event: Event, raw: dict[str, Any]) -> None:
        last_version, last_hash = self.heads.get(event.stream_id, (0, GENESIS))
        if item.prev_hash != last_hash or link(item.prev_hash, item.record) != item.hash:
            self._find(Kind.BROKEN_CHAIN, "the hash chain of the stream breaks here", event, item)
        if event.version == last_version:
            self._find(
                Kind.DUPLICATE_VERSION, f"version {event.version} appears twice", event, item
            )
        elif event.version < last_version:
            self._find(
                Kind.OUT_OF_ORDER, f"version {event.version} follows {last_version}", event, item
            )
        elif event.version > last_version + 1:
            self._find(
                Kind.STREAM_GAP,
                f"versions {last_version + 1}-{event.version - 1} are missing",
                event,
                item,
            )
        self.heads[event.stream_id] = (max(event.version, last_version), item.hash)
        if self.guards and item.record != _canonical(raw):
            self._find(Kind.MALFORMED, "the record is not in canonical form", event, item)
        if event.occurred_at > event.recorded_at:
            self._find(
                Kind.TIME_IMPLAUSIBLE, "the event occurred after it was recorded", event, item
            )
        if item.columns is not None:
            for key in _COLUMN_KEYS:
                if str(item.columns[key]) != str(
                    raw.get(key, 1 if key == "schema_version" else None)
                ):
                    self._find(
                        Kind.COLUMN_MISMATCH, f"column {key} disagrees with the record", event, item
                    )
            upcast = raw.get("schema_version", 1) != event.schema_version
            for key, field, parsed in (
                ("occurred_us", "occurred_at", event.occurred_at),
                ("recorded_us", "recorded_at", event.recorded_at),
            ):
                # The event's own instants are the record's, parsed once already,
                # unless an upcaster rewrote the record.
                instant = parse_instant(str(raw[field])) if upcast else parsed
                if int(item.columns[key]) != to_us(instant):
                    self._find(
                        Kind.COLUMN_MISMATCH, f"column {key} disagrees with the record", event, item
                    )

    # -- program, employers, seals -----------------------------------------------------

    def _program(self, item: Item, event: Event) -> None:
        if event.type != EventType.PROGRAM_STARTED:
            return
        try:
            rules = Rules.from_canonical(dict(event.payload["rules"]))
        except (ChoiceWorkflowError, KeyError, TypeError, ValueError) as exc:
            self._find(
                Kind.RULES_MISMATCH,
                f"the recorded Rules cannot be read: {exc}",
                event,
                item,
                ("99",),
            )
            return
        # The fingerprint is of the Rules as recorded: settings added by later versions
        # (filled with their defaults when read) do not change an old log's fingerprint.
        recorded = hashlib.sha256(canonical_json(dict(event.payload["rules"]))).hexdigest()
        if self.check and recorded != event.payload.get("fingerprint"):
            self._find(
                Kind.RULES_MISMATCH,
                "the recorded Rules do not match their fingerprint",
                event,
                item,
                ("99",),
            )
        if self.rules is None:
            self.rules = rules

    def _employer(self, item: Item, event: Event) -> None:
        from choice_workflow.domain.employer import employer_from_data

        try:
            employer = employer_from_data(event.payload["employer"])
        except (InvalidInput, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            if self.check:
                self._find(Kind.MALFORMED, f"unreadable employer: {exc}", event, item)
            return
        self.employers[employer.id] = employer

    def _seal(self, item: Item, event: Event) -> None:
        self.seals += 1
        root = str(event.payload.get("root", ""))
        self.last_root = root
        if not self.check:
            return
        heads = event.payload.get("heads")
        actual = sorted((s, v, h) for s, (v, h) in self.heads.items() if s != SEAL_STREAM)
        try:
            recorded = [(str(s), int(v), str(h)) for s, v, h in heads]  # type: ignore[union-attr]  # checked by the except
        except (TypeError, ValueError):
            self._find(Kind.SEAL_MISMATCH, "the seal's heads cannot be read", event, item)
            return
        if recorded != actual:
            differ = sorted({s for s, _, _ in set(recorded) ^ set(actual)})
            self._find(
                Kind.SEAL_MISMATCH,
                f"the seal's heads differ from the log for {', '.join(differ[:5])}",
                event,
                item,
            )
        if merkle_root([head_leaf(*h) for h in recorded]).hex() != root:
            self._find(Kind.SEAL_MISMATCH, "the seal's root does not match its heads", event, item)
        else:
            self.roots.add(root)

    def _cycle(self, item: Item, event: Event) -> None:
        from choice_workflow.allocation import Cycle, waitlist_from_data

        p = event.payload
        try:
            number = int(p["cycle"])
            if event.type == EventType.CYCLE_OPENED:
                close = p.get("applications_close")
                self.cycles[number] = Cycle(
                    number,
                    to_us(parse_instant(str(p["opens_at"]))),
                    None if close is None else to_us(parse_instant(str(close))),
                    Decimal(str(p["appropriation"])),
                )
            elif event.type == EventType.APPROPRIATION_SET:
                self.cycles[number] = attrs.evolve(
                    self.cycles[number], appropriation=Decimal(str(p["appropriation"]))
                )
            elif event.type == EventType.AWARDS_SELECTED:
                self.cycles[number] = attrs.evolve(
                    self.cycles[number], waitlist=waitlist_from_data(p["waitlist"]), referred=()
                )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            if self.check:
                self._find(Kind.MALFORMED, f"unreadable cycle event: {exc}", event, item)
            return
        cycle = self.cycles.get(number)
        if self.check and cycle is not None and not cycle.balanced():
            self._find(
                Kind.GUARD_FAILED,
                f"cycle {number}'s ledger exceeds its appropriation",
                event,
                item,
                ("15(a)",),
            )

    def _ledger(self, item: Item, event: Event, before: Grant | None, after: Grant) -> None:
        from choice_workflow.allocation import apply_delta, ledger_delta

        cycle = self.cycles.get(after.cycle)
        if event.type == EventType.REFERRED and cycle is not None:
            self.cycles[after.cycle] = attrs.evolve(cycle, referred=(*cycle.referred, after.id))
        reserved, disbursed = ledger_delta(before, after)
        if not reserved and not disbursed:
            return
        if cycle is None:
            if self.check:
                self._find(
                    Kind.GUARD_FAILED,
                    f"cycle {after.cycle} was never opened",
                    event,
                    item,
                    ("15(a)", "15(f)"),
                )
            return
        cycle = apply_delta(cycle, reserved, disbursed)
        self.cycles[after.cycle] = cycle
        if self.check and not cycle.balanced():
            self._find(
                Kind.GUARD_FAILED,
                f"cycle {after.cycle} would hold more than its appropriation",
                event,
                item,
                ("15(a)",),
            )

    # -- grants ------------------------------------------------------------------

    def _grant(self, item: Item, event: Event) -> None:
        spec = self.table.by_event_type.get(event.type)
        grant = self.grants.get(event.stream_id)
        if self.check and self.guards and spec is not None and self.rules is not None:
            self._guards(item, event, grant)
        try:
            updated = evolve(grant, event)
        except (IllegalHistory, KeyError, ValueError, TypeError, ArithmeticError) as exc:
            self._find(Kind.ILLEGAL_TRANSITION, str(exc), event, item)
            return
        self.grants[updated.id] = updated
        self.kinds[updated.id] = self.kinds.get(updated.id, "") + _CODE[event.type]
        if event.type in (EventType.CORRECTED, EventType.AMENDED):
            self._note(item, event)
        self._ledger(item, event, grant, updated)
        if grant is None:
            self.by_employer.setdefault(updated.employer_id, []).append(updated.id)
            if self.guards and self.check:
                self._remember_application(item, event)
        elif event.type == EventType.APPROVED or updated.is_final:
            self.pending_apps.pop(updated.id, None)
        elif event.type == EventType.AMENDED and updated.id in self.pending_apps:
            amended = self._amended(event)
            if amended is not None:
                self.pending_apps[updated.id] = amended
            elif self.check:
                self._find(Kind.MALFORMED, "the amendment's changes cannot be read", event, item)

    def _note(self, item: Item, event: Event) -> None:
        from choice_workflow.lifecycle.corrections import change_of

        _, corrects, fields = change_of(event)
        self.corrections.append(
            CorrectionNote(
                event.stream_id,
                event.version,
                item.position,
                event.type,
                corrects,
                fields,
                event.actor_id,
                str(event.payload.get("reason", "")),
            )
        )

    def _amended(self, event: Event) -> Application | None:
        """The application as an amendment leaves it (None when it cannot be read)."""
        from choice_workflow.domain.application import application_from_data, application_to_data

        before = self.pending_apps.get(event.stream_id)
        changes = event.payload.get("changes")
        if before is None or not isinstance(changes, Mapping):
            return None
        data = application_to_data(before)
        data.update(changes)
        try:
            return application_from_data(data)
        except (InvalidInput, KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
            return None

    def _stream_types(self, stream_id: str) -> tuple[str, ...]:
        return tuple(_TYPE_OF[c] for c in self.kinds.get(stream_id, ""))

    def _remember_application(self, item: Item, event: Event) -> None:
        from choice_workflow.domain.application import application_from_data

        decoded, self.decoded = self.decoded, None
        if decoded is not None and decoded[0] is event:  # read once, by the guards
            self.pending_apps[event.stream_id] = decoded[1]
            return
        try:
            self.pending_apps[event.stream_id] = application_from_data(event.payload["application"])
        except (InvalidInput, KeyError) as exc:
            if self.check:
                self._find(Kind.MALFORMED, f"unreadable application: {exc}", event, item)

    def _guards(self, item: Item, event: Event, grant: Grant | None) -> None:
        assert self.rules is not None  # noqa: S101 - checked by the caller
        spec = self.table.by_event_type[event.type]
        try:
            role = Role(event.actor_role)
        except ValueError:
            self._find(Kind.NOT_PERMITTED, f"unknown role {event.actor_role!r}", event, item)
            return
        if role not in spec.roles:
            self._find(
                Kind.NOT_PERMITTED,
                f"role {role.value} may not {spec.trigger}",
                event,
                item,
                spec.cites,
            )
        elif event.type == EventType.CORRECTED:
            kind = event.payload.get("corrects_type")
            recorder = self.table.by_event_type.get(str(kind))
            if recorder is not None and role not in recorder.roles:
                self._find(
                    Kind.NOT_PERMITTED,
                    f"role {role.value} does not record a {kind}, so it may not correct one",
                    event,
                    item,
                    ("20(a)(1)",),
                )
        if (grant is None) != (not spec.sources) or (
            grant is not None and grant.state not in spec.sources
        ):
            return  # the fold reports the illegal transition
        try:
            params, context = self._recorded_command(event, grant, item.position)
            owner = grant.employer_id if grant else str(params.get("employer_id", ""))
            actor = Actor(
                event.actor_id, role, employer_id=(owner or "?") if role is Role.EMPLOYER else None
            )
            command = Command(spec.trigger, event.stream_id, actor, event.command_id, params)
            problems = [
                problem
                for guard in spec.guards
                for problem in guard(grant, command, context, self.rules, event.recorded_at)
            ]
        except (ChoiceWorkflowError, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            self._find(
                Kind.MALFORMED, f"the recorded command cannot be judged: {exc!r}", event, item
            )
            return
        for problem in problems:
            self._find(Kind.GUARD_FAILED, problem.reason, event, item, problem.cites)

    def _recorded_command(
        self, event: Event, grant: Grant | None, position: int = 0
    ) -> tuple[dict[str, Any], Context]:
        """The params and the context the command had, rebuilt from the log."""
        from choice_workflow.domain.application import application_from_data

        assert self.rules is not None  # noqa: S101 - checked by the caller
        p = event.payload
        params: dict[str, Any] = {}
        context = Context()
        if event.type == EventType.APPLIED:
            employer_id = str(p["employer_id"])
            params = {"employer_id": employer_id, "cycle": p.get("cycle", 1)}
            cycle = self.cycles.get(params["cycle"]) if isinstance(params["cycle"], int) else None
            close = (
                None
                if cycle is None or cycle.applications_close_us is None
                else from_us(cycle.applications_close_us)
            )
            application = application_from_data(p["application"])
            self.decoded = (event, application)
            context = Context(
                employer=self.employers.get(employer_id),
                application=application,
                required_other=self.rules.required_other,
                applications_close=close,
            )
        elif event.type == EventType.APPROVED and grant is not None:
            params = {"amount": Decimal(str(p["amount"]))}
            context = approval_context(
                grant,
                employer=self.employers.get(grant.employer_id),
                application=self.pending_apps.get(grant.id),
                employers_grants=(
                    self.grants[g] for g in self.by_employer.get(grant.employer_id, ())
                ),
                cycle=self.cycles.get(grant.cycle),
                cycle_one=self.cycles.get(1),
                rules=self.rules,
            )
        elif event.type == EventType.NOTICE_CONFIRMED:
            params = {
                "channel": p["channel"],
                "confirmed_at": parse_instant(str(p["confirmed_at"])),
            }
            if grant is not None and "to" in p:
                self._check_notice(event, grant, position)
            self._check_accept_by(event, params["confirmed_at"], position)
        elif event.type == EventType.TRANSITION_BEGUN:
            params = {"started_at": parse_instant(str(p["started_at"]))}
        elif event.type in (EventType.ENDORSED, EventType.DISBURSED):
            params = {"amount": Decimal(str(p["amount"]))}
        elif event.type == EventType.REPAYMENT_RECEIVED:
            params = {"amount": Decimal(str(p["amount"])), "received_at": event.occurred_at}
        elif event.type == EventType.AMENDED and grant is not None:
            params = {"reason": p.get("reason"), "changes": p["changes"]}
            context = Context(
                employer=self.employers.get(grant.employer_id),
                application=self._amended(event),
                required_other=self.rules.required_other,
            )
        elif event.type == EventType.CORRECTED and grant is not None:
            replacement = p["replacement"]
            params = {
                "reason": p.get("reason"),
                "corrects": p["corrects"],
                "fields": tuple(sorted(replacement)),
                "replacement": dict(replacement),
                "latest": _replacement_latest(p.get("corrects_type"), replacement),
            }
            context = Context(stream_types=self._stream_types(grant.id))
            if p.get("corrects_type") != _type_at(context.stream_types, p["corrects"]):
                self.findings.append(
                    Finding(
                        Kind.GUARD_FAILED,
                        f"the correction says it corrects a {p.get('corrects_type')}, "
                        f"but version {p['corrects']} is not one",
                        event.stream_id,
                        event.version,
                        position,
                        ("20(a)(1)",),
                    )
                )
        elif event.type == EventType.TERMINATED and grant is not None:
            self._check_retention(event, position)
            repay = p.get("repay")
            params = {
                "reason": p.get("reason"),
                "cause": p.get("cause", "other"),
                "repay": None if repay is None else Decimal(str(repay)),
                "evidence": tuple(p.get("evidence", ())),
            }
            context = Context(stream_types=self._stream_types(grant.id))
        elif event.type == EventType.NOTICE_SENT and grant is not None:
            params = {"channel": p["channel"]}
            context = Context(employer=self.employers.get(grant.employer_id))
            self._check_notice(event, grant, position)
        elif event.type == EventType.CLOSED_OUT and grant is not None:
            params = {"unspent": Decimal(str(p.get("unspent", "0.00")))}
            self._check_retention(event, position)
        elif event.type in _RECORDS:
            params = _records_params(event)
        else:
            params = {
                k: v for k, v in p.items() if k in ("reason", "description", "evaluation", "notes")
            }
            if "evaluation" in params:
                params["evaluation"] = dict(params["evaluation"])
        return params, context

    def _check_notice(self, event: Event, grant: Grant, position: int) -> None:
        """15(i): a notice goes to the employer's contact in force when it is sent (or
        confirmed), and a sent notice's digest is that of the notice as it stood."""
        from choice_workflow.notices import build_notice

        assert self.rules is not None  # noqa: S101 - checked by the caller
        employer = self.employers.get(grant.employer_id)
        if employer is None:
            return
        p = event.payload
        channel = str(p.get("channel"))
        in_force = getattr(employer, channel, None)
        problems = []
        if p.get("to") != in_force:
            problems.append(
                f"the notice went to {p.get('to')!r}; the {channel} in force was {in_force!r}"
            )
        if event.type == EventType.NOTICE_SENT and grant.amount is not None:
            expected = build_notice(grant, employer, self.rules).digest()
            if p.get("sha256") != expected:
                problems.append("the recorded digest is not that of the notice as it stood")
        for reason in problems:
            self.findings.append(
                Finding(
                    Kind.GUARD_FAILED,
                    reason,
                    event.stream_id,
                    event.version,
                    position,
                    ("15(i)",),
                )
            )

    def _check_retention(self, event: Event, position: int) -> None:
        """2 CFR 200.334: the recorded retention date is the close-out (or termination)
        plus the Rules' retention years, on the local calendar."""
        from choice_workflow.time.instants import zone

        assert self.rules is not None  # noqa: S101 - checked by the caller
        recorded = event.payload.get("retain_until")
        local = event.occurred_at.in_timezone(zone(self.rules.timezone))
        expected = local.add(years=self.rules.retention_years)
        if recorded is None or parse_instant(str(recorded)) != expected:
            self.findings.append(
                Finding(
                    Kind.GUARD_FAILED,
                    f"retain_until {recorded} is not {self.rules.retention_years} years "
                    f"after the grant ended ({expected.isoformat()})",
                    event.stream_id,
                    event.version,
                    position,
                    ("2 CFR 200.334",),
                )
            )

    def _check_accept_by(
        self, event: Event, confirmed_at: pendulum.DateTime, position: int
    ) -> None:
        from choice_workflow.rules import WindowStart
        from choice_workflow.time.calendar import acceptance_deadline

        assert self.rules is not None  # noqa: S101 - checked by the caller
        recorded = event.payload.get("accept_by")
        if self.rules.acceptance_window_starts is not WindowStart.NOTICE:
            return
        grant = self.grants.get(event.stream_id)
        if grant is not None and grant.accepted_us is not None:
            return  # a notice confirmed after the acceptance opens no window
        expected = acceptance_deadline(confirmed_at, self.rules)
        if recorded is None or parse_instant(str(recorded)) != expected:
            self.findings.append(
                Finding(
                    Kind.GUARD_FAILED,
                    f"accept_by {recorded} is not 48 hours after the confirmed notice ({expected.isoformat()})",
                    event.stream_id,
                    event.version,
                    position,
                    ("15(j)",),
                )
            )


def _type_at(types: tuple[str, ...], version: object) -> str | None:
    if isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= len(types):
        return types[version - 1]
    return None


def _replacement_latest(kind: object, replacement: Mapping[str, Any]) -> dt.date | None:
    """The latest date among a correction's replacement records (the future check);
    None when they do not read (the guard reports that)."""
    try:
        if kind == EventType.HEADCOUNT_RECORDED and "headcount" in replacement:
            return dt.date.fromisoformat(str(replacement["headcount"]["quarter_start"]))
        key = "paid_on" if kind == EventType.WAGES_RECORDED else "period_end"
        days = [dt.date.fromisoformat(str(r[key])) for r in replacement.get("records", ())]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return max(days, default=None)


_CODE = {t.event_type: chr(0x41 + i) for i, t in enumerate(GRANT_LIFECYCLE.transitions)}
"""Each grant event type as one character (verify keeps a grant's types in a str)."""
_TYPE_OF = {c: t for t, c in _CODE.items()}

_RECORDS = frozenset(
    {EventType.WAGES_RECORDED, EventType.HEADCOUNT_RECORDED, EventType.PERFORMANCE_RECORDED}
)


def _records_params(event: Event) -> dict[str, Any]:
    """The params of a record command: how many records and the latest date."""
    p = event.payload
    if event.type == EventType.HEADCOUNT_RECORDED:
        return {"latest": dt.date.fromisoformat(str(p["headcount"]["quarter_start"])), "count": 1}
    key = "paid_on" if event.type == EventType.WAGES_RECORDED else "period_end"
    days = [dt.date.fromisoformat(str(r[key])) for r in p["records"]]
    return {"latest": max(days, default=None), "count": len(days)}


def _canonical(raw: dict[str, Any]) -> bytes:
    return json.dumps(
        raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()
