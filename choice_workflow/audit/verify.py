"""Replay and verify: one streaming pass over the stored log.

Replay folds every event into the read models (the same folds as the live path:
:mod:`choice_workflow.projections`) and returns the rebuilt grants and cycles. Verify
also checks the log's integrity (:mod:`~choice_workflow.audit.integrity`), decides every
recorded command again through the registry (:mod:`~choice_workflow.audit.conformance`),
checks every seal (and, given one, the published root), and compares the database's
read models with the rebuilt ones. Every problem is a
:class:`~choice_workflow.audit.findings.Finding`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from choice_workflow.audit.conformance import Conformance, Pending
from choice_workflow.audit.findings import Finding, Kind
from choice_workflow.audit.integrity import Integrity
from choice_workflow.audit.jsonl import log_items, read_record
from choice_workflow.audit.report import CorrectionNote, Report
from choice_workflow.audit.returns import Returns
from choice_workflow.commands.registry import REGISTRY, Registry
from choice_workflow.commands.spec import Target, decoded_of, target_of
from choice_workflow.domain.counties import CountyTable
from choice_workflow.domain.grant import Grant
from choice_workflow.errors import ChoiceWorkflowError, IllegalHistory, TransitionRefused
from choice_workflow.events import (
    CYCLE_STREAM_PREFIX,
    EMPLOYER_STREAM_PREFIX,
    PROGRAM_STREAM,
    SEAL_STREAM,
    Event,
    EventType,
    event_from_record,
)
from choice_workflow.events.checkpoint import Verifier
from choice_workflow.lifecycle.corrections import change_of
from choice_workflow.projections.projector import Projector, projection_of
from choice_workflow.projections.state import ProjectionState
from choice_workflow.rules import Rules
from choice_workflow.store.base import Item, Store
from choice_workflow.time.instants import ensure_instant, to_us

__all__ = ["CorrectionNote", "Item", "Report", "replay", "verify"]

_UNREADABLE = (
    ValueError, TypeError, KeyError, RecursionError, ArithmeticError, AttributeError,
    ChoiceWorkflowError,
)  # fmt: skip


def replay(
    source: Store | str | Path | Iterable[Item], *, as_of: dt.datetime | None = None
) -> Report:
    """Rebuild every read model from the log (a store, a JSON Lines file, or items), up
    to ``as_of`` (an aware instant; events recorded after it are left out). Findings are
    those the fold itself meets: illegal transitions and unreadable records."""
    return _Pass(check=False, as_of=as_of).run(_items(source))


def verify(
    source: Store | str | Path | Iterable[Item],
    *,
    expected_root: str | None = None,
    as_of: dt.datetime | None = None,
    guards: bool = True,
    registry: Registry = REGISTRY,
    counties: CountyTable | None = None,
    keys: Iterable[Verifier] = (),
) -> Report:
    """Check the whole log: chains, versions, instants, seals, the Rules, every recorded
    command decided again, and the database's read models.

    ``expected_root`` is a published seal root (hex): a log with no seal of that root is
    a ``root_mismatch`` finding. ``guards=False`` checks integrity and folds the log
    without deciding the commands again and without the check of canonical form (the
    record's bytes as RFC 8785 writes them, no float anywhere): faster, for a log
    already verified once.
    ``registry`` and ``counties`` are the commands and the county table the program
    ran with (the library's own by default). ``keys`` are the Department's verifier
    keys: every seal's checkpoint must then carry a signature of one of them.
    """
    engine = _Pass(
        check=True, as_of=as_of, guards=guards, registry=registry, counties=counties, keys=keys
    )
    report = engine.run(_items(source))
    extra: list[Finding] = []
    if expected_root is not None and expected_root.lower() not in engine.integrity.roots:
        extra.append(
            Finding(
                Kind.ROOT_MISMATCH, f"no seal in the log has the published root {expected_root}"
            )
        )
    if isinstance(source, Store) and as_of is None:
        extra += _compare(
            source, engine.state, records=engine.records, cut=set(engine.integrity.cut)
        )
    return attrs.evolve(report, findings=report.findings + tuple(extra))


def _items(source: Store | str | Path | Iterable[Item]) -> Iterator[Item]:
    if isinstance(source, Store):
        audit_rows = getattr(source, "audit_items", None)
        if audit_rows is not None:
            yield from audit_rows()
            return
        for s in source.stored_events():
            yield Item(s.position, s.record, s.prev_hash, s.hash)
        return
    if isinstance(source, str | Path):
        yield from log_items(source)
        return
    yield from source


def _compare(
    store: Store, state: ProjectionState, *, records: bool, cut: set[str]
) -> list[Finding]:
    """The database's read models against the fold of the log (rows the log lacks
    included); the employers and applications only when they were folded. What a
    broken stream feeds is not compared: its events were not folded (``not_judged``)."""
    found: list[Finding] = []
    with store.transaction() as tx:
        rows = tx.rows()
        stored = {g.id: g for g in tx.grants()}
        cycles = {n: tx.cycle(n) for n in rows.cycles | set(state.cycles)}
        employers = (
            {e: tx.employer(e) for e in rows.employers | set(state.employers)} if records else {}
        )
        applications = (
            {g: tx.application(g) for g in rows.applications | set(state.applications)}
            if records
            else {}
        )
    for gid in sorted((set(stored) | set(state.grant_map)) - cut):
        mine, theirs = state.grant_map.get(gid), stored.get(gid)
        if mine != theirs:
            found.append(
                Finding(
                    Kind.PROJECTION_MISMATCH,
                    f"the grants table says {_brief(theirs)}, the log says {_brief(mine)}",
                    gid,
                    0 if mine is None else mine.version,
                )
            )
    # The cycles and the awards fold the grants' events: not compared after a break of
    # a grant or a cycle (the employers and applications are, stream by stream).
    ledgers = not any(target_of(s) in (Target.GRANT, Target.CYCLE) for s in cut)
    for number in sorted(cycles) if ledgers else ():
        row, folded = cycles[number], state.cycles.get(number)
        if folded is not None and row is not None and row.referred and not row.offers:
            # A row written before offers were kept (a plain list of referred grants).
            row = attrs.evolve(row, offers=folded.offers)
        if folded != row:
            found.append(
                Finding(
                    Kind.PROJECTION_MISMATCH,
                    f"the cycles table disagrees with the log for cycle {number}",
                    f"cycle:{number}",
                    cites=("15(a)",),
                )
            )
    for eid in sorted(e for e in employers if f"employer:{e}" not in cut):
        if employers[eid] != state.employers.get(eid):
            found.append(
                Finding(
                    Kind.PROJECTION_MISMATCH,
                    "the employers table disagrees with the log",
                    f"employer:{eid}",
                )
            )
    for gid in sorted(set(applications) - cut):
        if applications[gid] != state.applications.get(gid):
            found.append(
                Finding(
                    Kind.PROJECTION_MISMATCH,
                    "the applications table disagrees with the log",
                    gid,
                    cites=("15(b)",),
                )
            )
    if ledgers and dict(rows.awards) != state.awards:
        differ = sorted(set(rows.awards.items()) ^ set(state.awards.items()))
        found.append(
            Finding(
                Kind.PROJECTION_MISMATCH,
                f"the awards table disagrees with the log for {', '.join(e for e, _ in differ[:5])}",
                cites=("15(g)", "10(3)"),
            )
        )
    return found


def _brief(g: Grant | None) -> str:
    return "nothing" if g is None else f"{g.state.value} at version {g.version}"


class _Pass:
    """The state of one pass over the log."""

    def __init__(
        self,
        *,
        check: bool,
        as_of: dt.datetime | None,
        guards: bool = True,
        registry: Registry = REGISTRY,
        counties: CountyTable | None = None,
        keys: Iterable[Verifier] = (),
    ) -> None:
        self.check = check
        self.guards = guards
        self.as_of_us = None if as_of is None else to_us(ensure_instant(as_of, "as_of"))
        self.findings: list[Finding] = []
        self.state = ProjectionState()
        self.integrity = Integrity(self._find, canonical=check and guards, keys=keys)
        self.conformance = Conformance(registry, self._find, counties)
        self.rules: Rules | None = None
        self.rules_fingerprint: object = None
        self.records = guards or not check
        """Whether the employers and applications are folded: for the commands' contexts
        and the reports; not by an integrity check alone (``guards=False``)."""
        self.projector: Projector | None = None
        self.events = 0
        self.corrections: list[CorrectionNote] = []
        self.pending: list[Pending] = []
        """The Act's findings, held until the whole log is read (:meth:`_settle`)."""
        self.returns = Returns()

    def run(self, items: Iterable[Item]) -> Report:
        for item in items:
            self._one(item)
        env = None if self.rules is None else self.conformance.env(self.rules)
        for item, event, message in self.returns.finish(self.state, env):
            self._hold(item, event, Kind.GUARD_FAILED, message, ("15(j)",), ledger=True)
        self._settle()
        self.findings += self.integrity.summaries()
        return Report(
            grants=dict(self.state.grant_map),
            findings=tuple(self.findings),
            rules=self.rules,
            events=self.events,
            streams=len(self.state.heads),
            seals=self.integrity.seals,
            last_root=self.integrity.last_root,
            cycles=dict(self.state.cycles),
            corrections=tuple(self.corrections),
            judged=self.conformance.judged,
            checkpoints=tuple(self.integrity.checkpoints.seen),
            state=self.state,
        )

    def _find(
        self, kind: Kind, message: str, event: Event | None, item: Item,
        cites: tuple[str, ...] = (), *, cause: int | None = None,
    ) -> int:  # fmt: skip
        stream, version = ("", 0) if event is None else (event.stream_id, event.version)
        self.findings.append(
            Finding(kind, message, stream, version, item.position, cites, item.line, cause)
        )
        return len(self.findings) - 1

    def _one(self, item: Item) -> None:
        damaged = None
        if item.damage:  # one finding per line, whatever is wrong with it
            damaged = len(self.findings)
            self.findings.append(
                Finding(
                    Kind.DAMAGED_LINE,
                    "; ".join(item.damage),
                    position=item.position,
                    line=item.line,
                )
            )
        if item.damage and not item.record:
            if self.check and damaged is not None:
                self.integrity.lost(item, damaged)
            return  # nothing of the line could be read
        try:
            raw, canonical = read_record(item.record)  # strict: duplicates, NaN, depth refused
            event = event_from_record(raw)
        except _UNREADABLE as exc:
            if self.check:
                index = len(self.findings)
                self.findings.append(
                    Finding(
                        Kind.MALFORMED,
                        f"unreadable record: {exc}",
                        position=item.position,
                        line=item.line,
                    )
                )
                self.integrity.lost(item, index)
            return
        if self.as_of_us is not None and to_us(event.recorded_at) > self.as_of_us:
            return
        self.events += 1
        linked = True
        if self.check:
            linked = self.integrity.check(item, event, raw, canonical=canonical)
            if self.integrity.repeated:
                return  # the same event twice: reported, read once
            if event.stream_id == SEAL_STREAM:
                self.integrity.seal(item, event, check=True, damaged=bool(self.findings))
            self.integrity.rules(item, event)
        elif event.stream_id == SEAL_STREAM:
            self.integrity.seal(item, event, check=False)
        if event.type == EventType.PROGRAM_STARTED and event.stream_id == PROGRAM_STREAM:
            # The Rules: of the program stream's first start, even if that stream is
            # broken; never of a start in another stream (a forgery's Rules).
            self._start(item, event)
        if self.check and event.stream_id in self.integrity.cut:
            # The state this event follows is not the log's: judging or folding it
            # would report the break again at every later event.
            if not self.integrity.broke_here:
                self.integrity.skipped(event)
            self.state.observe(event, item.hash)
            return
        command = None
        if self.check and self.guards and linked:
            if self.rules is None:
                self.integrity.unruled(event)
            else:
                command = self.conformance.judge(
                    item, event, self.state, self.rules, pending=self.pending
                )
        self.state.observe(event, item.hash)
        self._fold(item, event, decoded_of(command))

    def _settle(self) -> None:
        """Report each held judgement's findings, unless a break of what it read (found
        before it or after it) explains them: then it counts as not judged, under the
        break. The first judgement that needed a stream the log does not have is
        reported; the later ones count under it."""
        integrity = self.integrity
        integrity.settle()
        for held in self.pending:
            cause = integrity.cause_for(
                held.streams, held.all_grants, held.position, missing=held.missing,
                record=held.record,
            )  # fmt: skip
            if cause is not None:
                integrity.dependent(cause)
                if held.folded:
                    integrity.tainted.setdefault(held.folded, (held.position, cause))
                continue
            first = len(self.findings)
            for args, kwargs in held.found:
                self._find(*args, **kwargs)
            for stream in held.missing:
                integrity.absent.setdefault(stream, first)
        self.pending = []

    def _hold(
        self, item: Item, event: Event, kind: Kind, message: str, cites: tuple[str, ...],
        *, ledger: bool = False,
    ) -> None:  # fmt: skip
        """A finding of the fold, held like a judgement's: it rests on its own stream,
        and, with ``ledger``, on the cycle's ledger (which folds every grant)."""
        if not self.check:
            return
        found: tuple[tuple[tuple[Any, ...], dict[str, Any]], ...] = (
            ((kind, message, event, item, cites), {}),
        )
        streams = {event.stream_id}
        grant = self.state.grant_map.get(event.stream_id)
        if grant is not None:
            streams.add(f"{CYCLE_STREAM_PREFIX}{grant.cycle}")
            streams.add(f"{EMPLOYER_STREAM_PREFIX}{grant.employer_id}")
        self.pending.append(
            Pending(
                item.position,
                frozenset(streams),
                ledger,
                frozenset(),
                found,
                event.stream_id,
                record=item.record,
            )
        )

    def _start(self, item: Item, event: Event) -> None:
        if self.rules is not None:
            # A second start of the program: the log is judged by the first; a second one
            # with other Rules is said (it would change what the Act allows).
            if event.payload.get("fingerprint") != self.rules_fingerprint:
                self._find(
                    Kind.RULES_MISMATCH,
                    "a second program start with other Rules: the log is judged by the first",
                    event, item, ("99",),
                )  # fmt: skip
            return
        self.rules_fingerprint = event.payload.get("fingerprint")
        try:
            self.rules = Rules.from_canonical(dict(event.payload["rules"]))
        except (ChoiceWorkflowError, KeyError, TypeError, ValueError) as exc:
            self._find(
                Kind.RULES_MISMATCH,
                f"the recorded Rules cannot be read: {exc}",
                event,
                item,
                ("99",),
            )
            return
        problem = self.conformance.use_counties(self.rules)
        if problem is not None:
            self._find(Kind.RULES_MISMATCH, problem, event, item, ("15(d)",))
        self.projector = Projector(self.rules, records=self.records)

    def _fold(self, item: Item, event: Event, known: Mapping[str, Any]) -> None:
        projector = self.projector
        if projector is None:  # events before the program's start: the Act's own Rules
            projector = self.projector = Projector(Rules.illinois(), records=self.records)
        kind = projection_of(event.stream_id, event.type)
        if self.check and self.guards:
            env = None if self.rules is None else self.conformance.env(self.rules)
            self.returns.follow_up(item, event, self.state, env)
        if kind == "none":
            return
        try:
            projected = projector.apply(event, self.state, known=known)
        except TransitionRefused as refused:
            for problem in refused.problems:
                self._hold(
                    item, event, Kind.GUARD_FAILED, problem.reason, problem.cites, ledger=True
                )
            return
        except (IllegalHistory, *_UNREADABLE) as exc:
            if kind == "grants" and self.check:
                self._hold(item, event, Kind.ILLEGAL_TRANSITION, str(exc), ())
            elif kind == "grants":
                self._find(Kind.ILLEGAL_TRANSITION, str(exc), event, item)
            elif self.check:
                self._find(Kind.MALFORMED, f"unreadable {kind[:-1]} event: {exc}", event, item)
            return
        if projected.grant is not None:
            self.state.note_type(event)
            if self.check and self.guards:
                self.returns.folded(item, event, projected, self.rules)
            if event.type in (EventType.CORRECTED, EventType.AMENDED):
                self._note(item, event)
        cycle = projected.cycle
        if self.check and cycle is not None and not cycle.balanced():
            self._hold(
                item, event, Kind.GUARD_FAILED,
                f"cycle {cycle.number} would hold more than its appropriation", ("15(a)",),
                ledger=True,
            )  # fmt: skip

    def _note(self, item: Item, event: Event) -> None:
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
