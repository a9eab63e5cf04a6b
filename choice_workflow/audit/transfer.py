"""Import of an exported JSON Lines log into an empty store.

The file is verified as a whole first (a streaming pass in constant memory); a log
with any integrity finding is refused and nothing is written. Then, in one
transaction, every event is written with its stored bytes and hashes unchanged, and
the projections are rebuilt from the replay.
"""

from __future__ import annotations

import json
from pathlib import Path

from choice_workflow.audit.findings import INTEGRITY
from choice_workflow.audit.jsonl import read_lines
from choice_workflow.audit.verify import Report, verify
from choice_workflow.errors import ChoiceWorkflowError
from choice_workflow.events import event_from_record
from choice_workflow.store.base import Store, StoredEvent


class ImportRefused(ChoiceWorkflowError):
    """The log cannot be imported; nothing was written."""


def import_log(path: str | Path, store: Store, *, expected_root: str | None = None) -> Report:
    """Import the log at ``path`` into the empty ``store``; return the verify report.

    Raises :class:`ImportRefused` when the store is not empty or the log has an
    integrity finding (a broken chain, a gap, a bad seal, ...), and
    :class:`~choice_workflow.audit.jsonl.LogFormatError` for a file that is not a log.
    """
    from choice_workflow.domain.application import application_from_data
    from choice_workflow.domain.employer import employer_from_data

    report = verify(path, expected_root=expected_root)
    broken = [f for f in report.findings if f.kind in INTEGRITY]
    if broken:
        raise ImportRefused(
            f"the log has {len(broken)} integrity finding(s), first: {broken[0]}",
            hint="Run verify on the file; import only an intact log.",
        )
    if next(iter(store.stored_events()), None) is not None:
        raise ImportRefused("the store already holds events", hint="Import into an empty database.")
    with store.transaction() as tx:
        for line in read_lines(path):
            event = event_from_record(json.loads(line.record))
            tx.restore(StoredEvent(line.position, event, line.record, line.prev_hash, line.hash))
            if event.stream_id.startswith("employer:"):
                tx.put_employer(employer_from_data(event.payload["employer"]))
            elif event.type == "Applied":
                tx.put_application(
                    event.stream_id, application_from_data(event.payload["application"])
                )
        for grant in report.grants.values():
            tx.put_grant(grant, new=True)
            counted = (
                grant.approved_us
                if report.rules is None or report.rules.award_counts.value == "approved"
                else grant.accepted_us
            )
            if counted is not None:
                tx.record_award(grant.employer_id, grant.id)
        for cycle in report.cycles.values():
            tx.put_cycle(cycle)
    return report
