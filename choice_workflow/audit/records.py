"""A grant's records package for the archive (2 CFR 200.334; 30 ILCS 708).

``export_grant`` writes one directory: the grant's events, its employer's, the Rules in
force and its cycles' (JSON Lines, the export format of docs/audit-format.md, so
``verify --log`` re-runs the Act's guards on the package alone), the grant stream's
chain head recomputed from the stored bytes and the last seal that recorded it, the
notice of award as it stands (text and HTML) and each notice sent, rendered again as it
stood when sent and checked against the digest the log recorded, the grant's summary
(state, money, corrections, evaluation, wage findings, retention) and a manifest with
the SHA-256 of every file. It is written to a new directory, never over files.

Retention is about what an agency may move to its archive, never about the log:
nothing is deleted from the events table.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from choice_workflow.audit.jsonl import HEADER, line_of
from choice_workflow.audit.package_proofs import package_proofs
from choice_workflow.domain.employer import employer_from_data
from choice_workflow.errors import ChainBroken, PackageRefused, UnknownGrant
from choice_workflow.events import (
    CYCLE_STREAM_PREFIX,
    PROGRAM_STREAM,
    SEAL_STREAM,
    EventType,
    format_instant,
    money_text,
)
from choice_workflow.events.chain import GENESIS, link
from choice_workflow.notices import build_notice
from choice_workflow.projections.grants import evolve

if TYPE_CHECKING:
    from choice_workflow.domain.grant import Grant
    from choice_workflow.notices import NoticeOfAward
    from choice_workflow.service.program import Program
    from choice_workflow.store.base import StoredEvent

__all__ = [
    "PACKAGE_FORMAT",
    "PACKAGE_VERSION",
    "ChainBroken",
    "PackageRefused",
    "RecordsPackage",
    "export_grant",
]


PACKAGE_FORMAT = "choice_workflow-records"
PACKAGE_VERSION = 1


@attrs.frozen
class RecordsPackage:
    """What :func:`export_grant` wrote."""

    directory: Path
    files: tuple[str, ...]
    events: int
    head_version: int
    head_hash: str
    sealed_root: str | None


def export_grant(program: Program, grant_id: str, directory: str | Path) -> RecordsPackage:
    """Write the records package of ``grant_id`` into ``directory`` (created; files in
    it are replaced). Refuses (:class:`ChainBroken`) when the grant's chain does not
    verify, so that an archive never holds an unverified package."""
    grant = program.grant(grant_id)  # UnknownGrant for an unknown id
    # The grant's stream, its employer's, the Rules in force and its cycles: enough for
    # `verify --log events.jsonl` to re-run the Act's guards on the package alone.
    wanted = {
        grant_id,
        f"employer:{grant.employer_id}",
        PROGRAM_STREAM,
        *(f"{CYCLE_STREAM_PREFIX}{n}" for n in range(1, grant.cycle + 1)),
    }
    mine: list[StoredEvent] = []
    seal: dict[str, Any] | None = None
    for stored in program.store.stored_events():
        sid = stored.event.stream_id
        if sid in wanted:
            mine.append(stored)
        elif sid == SEAL_STREAM:
            heads = {str(h[0]): (int(h[1]), str(h[2])) for h in stored.event.payload["heads"]}
            if grant_id in heads:
                version, digest = heads[grant_id]
                seal = {
                    "root": stored.event.payload["root"],
                    "position": stored.position,
                    "sealed_at": format_instant(stored.event.recorded_at),
                    "version": version,
                    "hash": digest,
                }
    own = [s for s in mine if s.event.stream_id == grant_id]
    if not own:
        raise UnknownGrant(grant_id=grant_id)
    head = GENESIS
    for number, stored in enumerate(own, start=1):
        if stored.event.version != number or stored.prev_hash != head:
            raise ChainBroken(reason=f"grant {grant_id}: the chain breaks at version {number}")
        head = link(head, stored.record)
        if head != stored.hash:
            raise ChainBroken(
                reason=f"grant {grant_id}: the hash of version {number} does not verify"
            )
    if seal is not None and (seal["version"], seal["hash"]) not in {
        (s.event.version, s.hash) for s in own
    }:
        raise ChainBroken(reason=f"grant {grant_id}: the last seal's head is not in the stream")

    out = Path(directory)
    if out.is_symlink() or (out.exists() and (not out.is_dir() or any(out.iterdir()))):
        raise PackageRefused(
            reason=f"{out} exists and is not an empty directory",
            hint="Give a new directory: a records package is never written over files.",
        )
    files: dict[str, bytes] = {}
    files["events.jsonl"] = HEADER + b"".join(line_of(s) for s in mine)
    files["chain.json"] = _json(
        {
            "stream_id": grant_id,
            "version": own[-1].event.version,
            "hash": own[-1].hash,
            "verified": True,
            "last_seal": seal,
            "sealed_at_head": seal is not None and seal["version"] == own[-1].event.version,
        }
    )
    if grant.amount is not None:
        notice = program.notice_of_award(grant_id)
        files["notice.txt"] = notice.text().encode()
        files["notice.html"] = notice.html().encode()
    sent = _sent_notices(program, mine, grant_id)
    for version, notice, _ in sent:
        files[f"notice-sent-v{version}.txt"] = notice.text().encode()
        files[f"notice-sent-v{version}.html"] = notice.html().encode()
    summary = _summary(program, grant_id)
    summary["notices_sent"] = [
        {"version": version, "sha256": notice.digest(), "matches_the_log": matches}
        for version, notice, matches in sent
    ]
    files["grant.json"] = _json(summary)
    files["proofs.json"] = _json(package_proofs(program, mine))
    manifest = {
        "format": PACKAGE_FORMAT,
        "version": PACKAGE_VERSION,
        "grant_id": grant_id,
        "generated_at": format_instant(program.clock.now()),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files["manifest.json"] = _json(manifest)
    _write_all(out, files)
    return RecordsPackage(
        out,
        (*sorted(set(files) - {"manifest.json"}), "manifest.json"),
        len(mine),
        own[-1].event.version,
        own[-1].hash,
        None if seal is None else str(seal["root"]),
    )


def _sent_notices(
    program: Program, events: list[StoredEvent], grant_id: str
) -> list[tuple[int, NoticeOfAward, bool]]:
    """15(i): each notice sent, rendered again from the grant and the employer as they
    stood when it was sent, with whether its digest is the one the log recorded."""

    grant: Grant | None = None
    employer = None
    found = []
    for stored in events:
        event = stored.event
        if event.stream_id.startswith("employer:") and "employer" in event.payload:
            employer = employer_from_data(event.payload["employer"])
        elif event.stream_id == grant_id:
            if event.type == EventType.NOTICE_SENT and grant is not None and employer is not None:
                notice = build_notice(grant, employer, program.rules)
                found.append(
                    (event.version, notice, notice.digest() == event.payload.get("sha256"))
                )
            grant = evolve(grant, event)
    return found


def _summary(program: Program, grant_id: str) -> dict[str, Any]:
    grant = program.grant(grant_id)
    retention = program.retention(grant_id)
    evaluation = program.evaluation(grant_id)
    amount = grant.amount
    return {
        "grant_id": grant.id,
        "employer_id": grant.employer_id,
        "cycle": grant.cycle,
        "state": grant.state.value,
        "amount": None if amount is None else money_text(amount),
        "disbursed": money_text(grant.disbursed),
        "termination_cause": grant.cause,
        "receivable": money_text(grant.receivable),
        "repaid": money_text(grant.repaid),
        "corrections": [
            {
                "version": c.version,
                "corrects": c.corrects,
                "fields": list(c.fields),
                "actor_id": c.actor_id,
                "reason": c.reason,
                "at": format_instant(c.occurred_at),
            }
            for c in program.corrections(grant_id)
        ],
        "amendments": sum(1 for e in program.events(grant_id) if e.type == EventType.AMENDED),
        "evaluation": None
        if evaluation is None
        else {"data": dict(evaluation.payload)["evaluation"], "corrected": evaluation.corrected},
        "wage_findings": len(program.wage_findings(grant_id))
        if grant.transition_start_us is not None
        else None,
        "retention": {
            "closed_at": None
            if retention.closed_at is None
            else format_instant(retention.closed_at),
            "retain_until": None
            if retention.retain_until is None
            else format_instant(retention.retain_until),
            "on_hold": retention.on_hold,
            "may_archive": retention.may_archive,
        },
    }


def _write_all(out: Path, files: dict[str, bytes]) -> None:
    """Write every file into a fresh directory beside ``out`` and rename it into place:
    a failed export leaves nothing half written, and nothing is written through a link."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, data in files.items():
            with (partial / name).open("xb") as handle:  # never through an existing file
                handle.write(data)
        if out.exists():
            out.rmdir()  # empty (checked before)
        os.replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
