"""A second judge of a log's grant lifecycle, written from docs/audit-format.md and the
document of ``choice-workflow rules --json`` only: standard library, no import of
choice_workflow.

For every event of a grant stream: a command writes its type; the recorded role is one
the command allows; the grant is in one of the command's source states (or has no
event yet, for the command that creates a grant), and moves to its destination; an
approved amount is within the bounds; an acceptance is recorded within the window that
the notice (or the approval) opened. Each problem is a line naming the grant and the
version.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

_OTHER_STREAMS = ("program", "seal", "security")


def _grant_stream(stream: str) -> bool:
    return stream not in _OTHER_STREAMS and not stream.startswith(("employer:", "cycle:"))


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _records(log: bytes) -> list[dict[str, Any]]:
    records = []
    for line in log.split(b"\n")[1:]:
        cut = line.find(b',"record":')
        if cut > 0:
            records.append(json.loads(line[cut + len(b',"record":') : -1]))
    return records


def judge(log: bytes, act: dict[str, Any]) -> list[str]:
    """The problems of the grant lifecycle of ``log`` (an exported log's bytes) under
    ``act`` (the JSON document of ``choice-workflow rules --json``)."""
    rows = {c["event_type"]: c for c in act["commands"] if c["stream"] == "grant"}
    amounts = act["amounts"]
    low, high = Decimal(amounts["min_award"]), Decimal(amounts["max_award"])
    window = act["acceptance_window"]
    seconds = dt.timedelta(seconds=window["seconds"])
    states: dict[str, str] = {}
    deadlines: dict[str, dt.datetime] = {}
    problems = []
    for record in _records(log):
        grant = record["stream_id"]
        if not _grant_stream(grant):
            continue
        where = f"{grant} v{record['version']}"
        row = rows.get(record["type"])
        if row is None:
            problems.append(f"{where}: no command writes {record['type']}")
            continue
        if record["actor_role"] not in row["roles"]:
            problems.append(f"{where}: role {record['actor_role']} may not {row['name']}")
        state = states.get(grant)
        if row["creates"]:
            if state is not None:
                problems.append(f"{where}: {row['name']} of a grant that exists")
        elif state not in row["sources"]:
            problems.append(f"{where}: {row['name']} from {state or 'no grant'}")
            continue
        payload = record["payload"]
        if record["type"] in amounts["events"]:
            amount = Decimal(payload[amounts["field"]])
            if not low <= amount <= high:
                problems.append(f"{where}: amount {amount} outside {low}-{high} (15(h))")
        if record["type"] == window["start_event"] and grant not in deadlines:
            start = payload.get(window["start_field"]) or record[window["start_field"]]
            deadlines[grant] = _instant(start) + seconds
        late = grant in deadlines and _instant(record["recorded_at"]) > deadlines[grant]
        if record["type"] == "Accepted" and late:
            problems.append(f"{where}: accepted after its window closed (15(j))")
        if row["destination"] is not None:
            states[grant] = row["destination"]
    return problems
