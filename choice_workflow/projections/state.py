"""Every read model in memory, as the log builds it: what verify, an import and the
reports fold the log into, and the view the commands' context loaders read when
verify decides each recorded command again."""

from __future__ import annotations

from collections.abc import Iterable

from choice_workflow.domain.application import Application
from choice_workflow.domain.cycle import Cycle
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.state import State
from choice_workflow.events import PROGRAM_STREAM, Event
from choice_workflow.events.tree import TreeHead
from choice_workflow.projections.projector import Projected, Projector
from choice_workflow.rules import Rules
from choice_workflow.time.instants import to_us

_CODE_OF: dict[str, str] = {}
_TYPE_OF: dict[str, str] = {}
"""Each event type met, as one character, and back."""


class ProjectionState:
    """The read models (grants, employers, applications, cycles, awards) and each
    stream's head, folded from events in log order."""

    def __init__(self) -> None:
        self.grant_map: dict[str, Grant] = {}
        self.by_employer: dict[str, list[str]] = {}
        self.employers: dict[str, Employer] = {}
        self.applications: dict[str, Application] = {}
        self.cycles: dict[int, Cycle] = {}
        self.awards: dict[str, str] = {}
        self.heads: dict[str, tuple[int, str, int]] = {}
        """Stream id -> (version, hash, latest recorded instant in microseconds)."""
        self.kinds: dict[str, str] = {}
        """A grant's event types by version (what corrections and evidence reference),
        one character each: a long log's history costs a byte an event, not an object."""
        self.program: list[Event] = []
        """The events of the program stream (the Rules in force)."""

    # -- the view ----------------------------------------------------------------------

    def grant(self, grant_id: str) -> Grant | None:
        return self.grant_map.get(grant_id)

    def grants(self, state: State | None = None) -> list[Grant]:
        """Grants, all or in one state, ordered by id."""
        found = self.grant_map
        return [found[k] for k in sorted(found) if state is None or found[k].state is state]

    def grants_of_employer(self, employer_id: str) -> list[Grant]:
        return [self.grant_map[g] for g in sorted(self.by_employer.get(employer_id, ()))]

    def employer(self, employer_id: str) -> Employer | None:
        return self.employers.get(employer_id)

    def application(self, grant_id: str) -> Application | None:
        return self.applications.get(grant_id)

    def cycle(self, number: int, *, lock: bool = False) -> Cycle | None:
        return self.cycles.get(number)

    def stream(self, stream_id: str) -> list[Event]:
        """The events of the program stream (the only stream kept whole in memory)."""
        if stream_id != PROGRAM_STREAM:
            raise LookupError(f"the events of {stream_id} are not kept in memory")
        return list(self.program)

    def stream_types(self, stream_id: str) -> tuple[str, ...]:
        return tuple(_TYPE_OF[c] for c in self.kinds.get(stream_id, ""))

    def stream_heads(self) -> list[tuple[str, int, str]]:
        return sorted((s, v, h) for s, (v, h, _) in self.heads.items())

    def lock_employer(self, employer_id: str) -> None:
        return None

    def lock_for_seal(self) -> None:
        return None

    def tree_head(self) -> TreeHead | None:
        # The read models hold no records: verify checks a seal's checkpoint against
        # its own tree of the log (audit/integrity.py).
        return None

    # -- the writes of the projector ---------------------------------------------------

    def put_grant(self, grant: Grant, *, new: bool = False) -> None:
        if grant.id not in self.grant_map:
            self.by_employer.setdefault(grant.employer_id, []).append(grant.id)
        self.grant_map[grant.id] = grant

    def put_employer(self, employer: Employer) -> None:
        self.employers[employer.id] = employer

    def put_application(self, grant_id: str, application: Application) -> None:
        self.applications[grant_id] = application

    def put_cycle(self, cycle: Cycle) -> None:
        self.cycles[cycle.number] = cycle

    def record_award(self, employer_id: str, grant_id: str) -> None:
        self.awards.setdefault(employer_id, grant_id)

    # -- folding -------------------------------------------------------------------------

    def observe(self, event: Event, hash_hex: str) -> None:
        """Record an event's place in its stream (its head, its type by version)."""
        latest = self.heads.get(event.stream_id, (0, "", 0))[2]
        self.heads[event.stream_id] = (
            max(event.version, self.heads.get(event.stream_id, (0, "", 0))[0]),
            hash_hex,
            max(latest, to_us(event.recorded_at)),
        )
        if event.stream_id == PROGRAM_STREAM:
            self.program.append(event)

    def note_type(self, event: Event) -> None:
        """Keep a grant event's type at its version (after the fold accepted it)."""
        code = _CODE_OF.get(event.type)
        if code is None:
            code = _CODE_OF[event.type] = chr(0x100 + len(_CODE_OF))
            _TYPE_OF[code] = event.type
        self.kinds[event.stream_id] = self.kinds.get(event.stream_id, "") + code


def folded(events: Iterable[Event], rules: Rules) -> ProjectionState:
    """The read models of ``events`` (a whole, intact log, oldest first)."""
    state = ProjectionState()
    projector = Projector(rules)
    for event in events:
        state.observe(event, "")
        projected: Projected = projector.apply(event, state)
        if projected.grant is not None:
            state.note_type(event)
    return state
