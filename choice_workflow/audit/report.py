"""What a replay or a verify returns: the rebuilt read models, the findings, and
what was checked (:func:`~choice_workflow.audit.verify.verify`)."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from choice_workflow.audit.checkpoints import SealCheckpoint
from choice_workflow.audit.findings import Finding
from choice_workflow.domain.cycle import Cycle
from choice_workflow.domain.grant import Grant
from choice_workflow.projections.state import ProjectionState
from choice_workflow.rules import Rules


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
    judged: int = 0
    """How many recorded commands verify decided again."""
    checkpoints: tuple[SealCheckpoint, ...] = ()
    """Every seal's checkpoint of the log's tree, as verify read it (signed or not)."""
    state: ProjectionState | None = attrs.field(default=None, eq=False, repr=False)
    """Every read model as the log leaves them (employers, applications, awards)."""

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings
