"""Tamper detection: 1,000 random mutations of an exported, sealed log.

The threat model of DESIGN.md "Audit trail": without a published root, verify detects
any change, deletion, reordering or insertion inside a stream and any break of a chain,
and, through the seal in the log, any change to what the seal covers while the seal is
left as is. An attacker who also recomputes the seal (the adversarial tail cut and
rewrite) leaves an internally consistent log: only the published root catches it.

Each mutation works on the lines of an exported log, writes the file back and verifies
the file twice: in full without the root (what an auditor without a published root can
tell), and with the root by the integrity checks alone (``guards=False``: the chains,
versions, seals and root catch every mutation without help from the Act's guards).
"""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

from choice_workflow import demo
from choice_workflow.audit import INTEGRITY, Finding, Kind, export_log, read_lines, verify
from choice_workflow.audit.jsonl import HEADER
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.events import SEAL_STREAM, EventType, canonical_json
from choice_workflow.events.chain import GENESIS, head_leaf, link, merkle_root
from choice_workflow.events.checkpoint import Checkpoint

EMPLOYERS = 1
"""Cycle-1 applicants per program (cycle 2 adds one more): a full verify re-runs every
guard of the Act, so small logs keep 1,000 of them quick."""
SEEDS = range(2030, 2042)
"""Several small programs, so that the kinds with few possible mutations (deleting one
event, cutting a tail) still get distinct ones."""
RUN_SEED = 1000
SEALER = Actor("sys", Role.SYSTEM)


@attrs.frozen
class Line:
    """One event line of an exported log: its link and the stored bytes of its record."""

    stream_id: str
    version: int
    prev_hash: str
    hash: str
    record: bytes

    @classmethod
    def of(cls, prev_hash: str, digest: str, record: bytes) -> Line:
        data = json.loads(record)
        return cls(str(data["stream_id"]), int(data["version"]), prev_hash, digest, record)


@attrs.frozen
class SealedLog:
    """An exported program whose last event is its seal, and the seal's published root."""

    seed: int
    data: bytes
    lines: tuple[Line, ...]
    root: str


@attrs.frozen
class Mutation:
    """A tampered log, and what verify must say about it without the root.

    ``expected`` holds the kinds of which at least one must be found without the root;
    empty for the adversarial mutations, which no integrity check finds without the
    published root.
    """

    what: str
    lines: list[Line]
    expected: frozenset[Kind]
    adversarial: bool = False


Mutator = Callable[[random.Random, list[Line]], Mutation]


def _sealed(seed: int) -> SealedLog:
    program = demo.simulate(EMPLOYERS, seed=seed)
    root = program.seal(SEALER)
    out = io.BytesIO()
    export_log(program.store.stored_events(), out)
    data = out.getvalue()
    lines = tuple(Line.of(r.prev_hash, r.hash, r.record) for r in read_lines(io.BytesIO(data)))
    return SealedLog(seed, data, lines, root)


def _render(lines: Sequence[Line]) -> bytes:
    """The log file of ``lines``, in the export's line format. Positions are numbered
    afresh: they are not hashed, and a careful attacker leaves no gap in them."""
    out = [HEADER]
    for position, line in enumerate(lines, 1):
        head = canonical_json(
            {"hash": line.hash, "position": position, "prev_hash": line.prev_hash}
        )
        out.append(head[:-1] + b',"record":' + line.record + b"}\n")
    return b"".join(out)


def _streams(lines: Sequence[Line]) -> dict[str, list[int]]:
    """Each stream's line indices, in the log's order."""
    found: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        found.setdefault(line.stream_id, []).append(i)
    return found


def _rechain(lines: list[Line], stream_id: str) -> None:
    """Recompute the hash chain of one stream over its (changed) records, in place."""
    prev = GENESIS
    for i, line in enumerate(lines):
        if line.stream_id == stream_id:
            digest = link(prev, line.record)
            lines[i] = attrs.evolve(line, prev_hash=prev, hash=digest)
            prev = digest


def _reseal(lines: list[Line]) -> None:
    """Recompute the seal (the last line) over the log before it, as
    :meth:`Program.seal` does, and the seal stream's chain."""
    last: dict[str, Line] = {}
    for line in lines[:-1]:
        last[line.stream_id] = line
    heads = sorted((s, line.version, line.hash) for s, line in last.items() if s != SEAL_STREAM)
    root = merkle_root([head_leaf(*h) for h in heads]).hex()
    seal = json.loads(lines[-1].record)
    # The unsigned checkpoint of the log's tree, as anyone can compute it (a signed one
    # needs the Department's key: test_checkpoints.py).
    records = [line.record for line in lines[:-1]]
    tree_root = merkle_root(records)
    origin = str(seal["payload"]["checkpoint"]).split("\n", 1)[0]
    seal["payload"] = {
        "heads": [list(h) for h in heads], "root": root, "tree_size": len(records),
        "tree_root": tree_root.hex(),
        "checkpoint": Checkpoint(origin, len(records), tree_root).text(),
    }  # fmt: skip
    lines[-1] = attrs.evolve(lines[-1], record=canonical_json(seal))
    _rechain(lines, SEAL_STREAM)


def _edit(record: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    data = json.loads(record)
    change(data)
    return canonical_json(data)


# -- the mutations ---------------------------------------------------------------------


def flip_a_payload_byte(rng: random.Random, lines: list[Line]) -> Mutation:
    """(a) One byte inside a record's payload, XORed with a random mask."""
    i = rng.randrange(len(lines))
    record = lines[i].record
    start = record.index(b'"payload":') + len(b'"payload":')
    end = record.rindex(b',"recorded_at":')
    at = rng.randrange(start, end)
    # Not a newline: that would split the line, which read_lines refuses outright.
    mask = rng.choice([m for m in range(1, 256) if record[at] ^ m != ord("\n")])
    flipped = record[:at] + bytes([record[at] ^ mask]) + record[at + 1 :]
    lines[i] = attrs.evolve(lines[i], record=flipped)
    return Mutation(
        f"flip byte {at} of {lines[i].stream_id} v{lines[i].version} with {mask:#04x}",
        lines,
        frozenset({Kind.BROKEN_CHAIN, Kind.MALFORMED}),
    )


def delete_an_event(rng: random.Random, lines: list[Line]) -> Mutation:
    """(b) One event that is not the last of its stream."""
    streams = {s: ix for s, ix in _streams(lines).items() if len(ix) >= 2}
    stream = rng.choice(sorted(streams))
    i = rng.choice(streams[stream][:-1])
    what = f"delete {stream} v{lines[i].version}"
    del lines[i]
    return Mutation(what, lines, frozenset({Kind.STREAM_GAP, Kind.BROKEN_CHAIN}))


def swap_two_events(rng: random.Random, lines: list[Line]) -> Mutation:
    """(c) Two events of one stream trade places in the log."""
    streams = {s: ix for s, ix in _streams(lines).items() if len(ix) >= 2}
    stream = rng.choice(sorted(streams))
    i, j = sorted(rng.sample(streams[stream], 2))
    what = f"swap {stream} v{lines[i].version} and v{lines[j].version}"
    lines[i], lines[j] = lines[j], lines[i]
    return Mutation(what, lines, frozenset({Kind.OUT_OF_ORDER, Kind.BROKEN_CHAIN}))


def insert_a_forged_event(rng: random.Random, lines: list[Line]) -> Mutation:
    """(d) A made-up event after one of a stream's events, linked to it correctly: the
    next version, a new command, another actor, a well-formed hash."""
    streams = {s: ix for s, ix in _streams(lines).items() if s != SEAL_STREAM}
    stream = rng.choice(sorted(streams))
    k = rng.randrange(len(streams[stream]))
    after = lines[streams[stream][k]]

    def forge(data: dict[str, Any]) -> None:
        data["version"] = after.version + 1
        data["command_id"] = f"forged-{rng.randrange(10**9)}"
        data["actor_id"] = "intruder"

    record = _edit(after.record, forge)
    lines.insert(
        streams[stream][k] + 1,
        Line(stream, after.version + 1, after.hash, link(after.hash, record), record),
    )
    at_end = k == len(streams[stream]) - 1
    expected = (
        # The stream's chain and versions still hold; its head is not the sealed one.
        {Kind.SEAL_MISMATCH} if at_end else {Kind.DUPLICATE_VERSION, Kind.BROKEN_CHAIN}
    )
    return Mutation(
        f"insert a forged {stream} v{after.version + 1}{' at its end' if at_end else ''}",
        lines,
        frozenset(expected),
    )


def _cut_tail(rng: random.Random, lines: list[Line], *, adversarial: bool) -> Mutation:
    """(e) Drop a stream's last k events. Adversarial: a prefix of at least one event
    stays (a stream cut away whole leaves grants of an unknown employer, which the
    guards report) and the seal is recomputed."""
    least = 2 if adversarial else 1
    streams = {s: ix for s, ix in _streams(lines).items() if s != SEAL_STREAM and len(ix) >= least}
    stream = rng.choice(sorted(streams))
    indices = streams[stream]
    k = rng.randint(1, len(indices) - (1 if adversarial else 0))
    for i in reversed(indices[-k:]):
        del lines[i]
    what = f"cut the last {k} of {len(indices)} events of {stream}"
    if adversarial:
        _reseal(lines)
        return Mutation(f"{what}, re-sealed", lines, frozenset(), adversarial=True)
    return Mutation(what, lines, frozenset({Kind.SEAL_MISMATCH}))


def cut_a_tail(rng: random.Random, lines: list[Line]) -> Mutation:
    """(e) A clean tail cut, the seal left as is."""
    return _cut_tail(rng, lines, adversarial=False)


def cut_a_tail_and_reseal(rng: random.Random, lines: list[Line]) -> Mutation:
    """(e) A clean tail cut with a recomputed seal."""
    return _cut_tail(rng, lines, adversarial=True)


def _new_text(rng: random.Random, old: Any) -> str:
    return f"{old} (amended {rng.randrange(10**6)})"


def _new_amount(rng: random.Random, old: Any) -> str:
    choices = [f"{n}.00" for n in range(10_000, 50_001, 500) if f"{n}.00" != old]
    return rng.choice(choices)


Edit = tuple[tuple[str, ...], Callable[[random.Random, Any], str], bool]
"""A payload path an attacker might change, the new value, and whether the change is
quiet: no check of the Act looks at it, so a re-sealed log is consistent throughout."""

EDITS: dict[str, tuple[Edit, ...]] = {
    EventType.APPROVED: ((("amount",), _new_amount, False),),
    EventType.DISBURSED: ((("amount",), _new_amount, False),),
    EventType.REVIEWED: ((("notes",), _new_text, True),),
    EventType.TECHNICAL_ASSISTANCE: ((("description",), _new_text, True),),
    EventType.EVALUATED: ((("evaluation", "wages"), _new_text, True),),
    EventType.DECLINED: ((("reason",), _new_text, True),),
    EventType.EMPLOYER_REGISTERED: ((("employer", "legal_name"), _new_text, True),),
    EventType.APPLIED: ((("application", "activities", "business_model"), _new_text, True),),
}


def _rewrite(rng: random.Random, lines: list[Line], *, adversarial: bool) -> Mutation:
    """(f) Change one payload value and recompute the stream's chain from there on."""
    targets = [
        (i, path, new)
        for i, line in enumerate(lines)
        for path, new, quiet in EDITS.get(json.loads(line.record)["type"], ())
        if quiet or not adversarial
    ]
    i, path, new = rng.choice(targets)

    def change(data: dict[str, Any]) -> None:
        holder = data["payload"]
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = new(rng, holder[path[-1]])

    stream = lines[i].stream_id
    lines[i] = attrs.evolve(lines[i], record=_edit(lines[i].record, change))
    _rechain(lines, stream)
    what = f"rewrite {'.'.join(path)} of {stream} v{lines[i].version} with a fresh chain"
    if adversarial:
        _reseal(lines)
        return Mutation(f"{what}, re-sealed", lines, frozenset(), adversarial=True)
    return Mutation(what, lines, frozenset({Kind.SEAL_MISMATCH}))


def rewrite_a_stream(rng: random.Random, lines: list[Line]) -> Mutation:
    """(f) A rewritten stream, the seal left as is."""
    return _rewrite(rng, lines, adversarial=False)


def rewrite_a_stream_and_reseal(rng: random.Random, lines: list[Line]) -> Mutation:
    """(f) A rewritten stream with a recomputed seal."""
    return _rewrite(rng, lines, adversarial=True)


MUTATIONS: dict[Mutator, int] = {
    flip_a_payload_byte: 150,
    delete_an_event: 120,
    swap_two_events: 130,
    insert_a_forged_event: 140,
    cut_a_tail: 110,
    cut_a_tail_and_reseal: 110,
    rewrite_a_stream: 120,
    rewrite_a_stream_and_reseal: 120,
}
"""How many mutations of each kind: 1,000 in all."""


def _kinds(findings: Sequence[Finding]) -> set[Kind]:
    return {f.kind for f in findings}


def _judge(mutation: Mutation, blind: Sequence[Finding], rooted: Sequence[Finding]) -> str | None:
    """Why verify's answers break the threat model for ``mutation`` (None: they do not)."""
    if mutation.adversarial:
        # Consistent as far as chains, versions and seals go. The Act's checks may still
        # notice a cut that a later event of another stream relied on (funds it released).
        if _kinds(blind) & INTEGRITY:
            return f"an internally consistent forgery, yet without the root: {blind}"
        if Kind.ROOT_MISMATCH not in _kinds(rooted):
            return f"with the root, no root_mismatch: {rooted}"
        return None
    if not _kinds(blind) & mutation.expected:
        wanted = sorted(k.value for k in mutation.expected)
        return f"without the root, none of {wanted}: {blind}"
    if not rooted:
        return "with the root, no finding"
    return None


@pytest.fixture(name="sealed_logs", scope="module")
def fixture_sealed_logs() -> list[SealedLog]:
    return [_sealed(seed) for seed in SEEDS]


def test_the_seal_is_the_last_event_of_each_exported_log(sealed_logs: list[SealedLog]) -> None:
    for log in sealed_logs:
        last = json.loads(log.lines[-1].record)
        assert (EventType.SEALED, log.root) == (last["type"], last["payload"]["root"])
        assert [SEAL_STREAM] == [
            line.stream_id for line in log.lines if line.stream_id == SEAL_STREAM
        ]


def test_the_lines_of_an_exported_log_render_back_to_the_same_bytes(
    sealed_logs: list[SealedLog],
) -> None:
    for log in sealed_logs:
        assert log.data == _render(log.lines)


def test_a_clean_log_yields_no_finding_with_or_without_the_root(
    sealed_logs: list[SealedLog], tmp_path: Path
) -> None:
    for log in sealed_logs:
        path = tmp_path / f"clean-{log.seed}.jsonl"
        path.write_bytes(log.data)
        assert () == verify(path).findings
        assert () == verify(path, expected_root=log.root).findings


def test_the_mutations_number_1000() -> None:
    assert 1000 == sum(MUTATIONS.values())


def _cases() -> list[Any]:
    return [pytest.param(m, n, id=m.__name__) for m, n in MUTATIONS.items()]


@pytest.mark.parametrize(("mutate", "count"), _cases())
def test_every_mutation_is_detected_as_the_threat_model_says(
    sealed_logs: list[SealedLog], tmp_path: Path, mutate: Mutator, count: int
) -> None:
    rng = random.Random(f"{RUN_SEED}-{mutate.__name__}")
    path = tmp_path / "mutated.jsonl"
    seen: set[tuple[int, bytes]] = set()
    failures: list[str] = []
    crashes: list[tuple[str, Exception]] = []
    found: Counter[Kind] = Counter()
    for _ in range(count):
        for _attempt in range(50):  # a fresh mutation, not one already checked
            log = rng.choice(sealed_logs)
            mutation = mutate(rng, list(log.lines))
            data = _render(mutation.lines)
            if (log.seed, data) not in seen:
                break
        seen.add((log.seed, data))
        assert log.data != data, mutation.what
        path.write_bytes(data)
        try:
            blind = verify(path).findings
            rooted = verify(path, expected_root=log.root, guards=False).findings
        except Exception as exc:  # listed, then raised once every mutation is judged
            crashes.append((f"seed {log.seed}, {mutation.what}", exc))
            continue
        found.update(_kinds(blind))
        problem = _judge(mutation, blind, rooted)
        if problem is not None:
            failures.append(f"seed {log.seed}, {mutation.what}: {problem}")
    assert count == len(seen)
    assert [] == failures, f"{len(failures)} of {count} mutations; found {dict(found)}"
    if crashes:
        what, first = crashes[0]
        first.add_note(f"verify raised on {len(crashes)} of {count} mutations; first: {what}")
        raise first


def test_removing_the_seal_itself_is_caught_only_by_the_published_root(
    sealed_logs: list[SealedLog], tmp_path: Path
) -> None:
    log = sealed_logs[0]
    path = tmp_path / "unsealed.jsonl"
    path.write_bytes(_render(log.lines[:-1]))
    assert () == verify(path).findings
    assert [Kind.ROOT_MISMATCH] == [f.kind for f in verify(path, expected_root=log.root).findings]


def test_an_event_after_the_last_seal_is_protected_by_its_chain_only(
    sealed_logs: list[SealedLog], tmp_path: Path
) -> None:
    # The documented limit: the seal covers the log before it, and nothing after it. The
    # event appended is one the Act allows (the employer's facts recorded again), so that
    # only integrity could catch it.
    log = sealed_logs[0]
    lines = list(log.lines)
    streams = _streams(lines)
    employer = next(s for s in sorted(streams) if s.startswith("employer:"))
    last = lines[streams[employer][-1]]
    record = _edit(
        last.record,
        lambda data: data.update(version=2, command_id="after-the-seal", type="EmployerUpdated"),
    )
    linked = Line(employer, 2, last.hash, link(last.hash, record), record)
    path = tmp_path / "appended.jsonl"
    path.write_bytes(_render([*lines, linked]))
    assert () == verify(path, expected_root=log.root).findings
    path.write_bytes(_render([*lines, attrs.evolve(linked, prev_hash=GENESIS)]))
    assert [Kind.BROKEN_CHAIN] == [f.kind for f in verify(path, expected_root=log.root).findings]
