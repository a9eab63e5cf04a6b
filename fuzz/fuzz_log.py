"""Fuzz target: hostile bytes through the log reader, verify and import.

:func:`check` reads one input as an exported log (``read_lines``), verifies it and
imports it into an empty :class:`~choice_workflow.store.memory.MemoryStore`. Only
:class:`~choice_workflow.errors.ChoiceWorkflowError` may come out of the library, and a
refused import must leave the store empty: anything else is a crash.

Two ways to run it, on the same function:

- coverage-guided, with atheris (libFuzzer's flags; give it a copy of the corpus, since
  libFuzzer adds the inputs it finds to the first directory)::

      python fuzz/fuzz_log.py CORPUS_COPY -runs=2000 -seed=1

- without atheris, seeded random mutations of the corpus for a fixed number of runs::

      python fuzz/fuzz_log.py --fallback --runs 2000 --seed 1 fuzz/corpus

Both mutate bytes at random and also structurally: a JSON value of a record replaced by
a hostile one (deep nesting, a huge number, a duplicated key, NUL, a lone surrogate,
...), with the chains and the seal recomputed, so that the input reaches past the hash
checks into the decoding of records and the store. A crash is written to
``crash-<sha256>.jsonl`` in the working directory; keep it in tests/fuzz_corpus/, where
the test suite replays it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import inspect
import io
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from choice_workflow.audit import Item, import_log, read_lines, verify
from choice_workflow.audit.jsonl import HEADER
from choice_workflow.errors import ChoiceWorkflowError
from choice_workflow.events.chain import GENESIS, head_leaf, link, merkle_root
from choice_workflow.events.checkpoint import Checkpoint
from choice_workflow.store.memory import MemoryStore

CORPUS = Path(__file__).resolve().parent / "corpus"
"""Seed inputs: valid exported logs."""


def check(data: bytes) -> None:
    """Run one input through the reader, verify and import.

    Raises whatever the library lets escape other than a ChoiceWorkflowError, and
    AssertionError when a refused import wrote anything.
    """
    lines = read_lines(io.BytesIO(data))
    with contextlib.suppress(ChoiceWorkflowError):
        verify(Item(r.position, r.record, r.prev_hash, r.hash) for r in lines)
    store = MemoryStore()
    try:
        import_log(io.BytesIO(data), store)
    except ChoiceWorkflowError:
        if store.log:
            raise AssertionError("a refused import wrote to the store") from None


def build_seed_log() -> bytes:
    """A small sealed log (one employer through acceptance, then a seal): the seed of
    ``corpus/sealed.jsonl`` and of the tests' mutations."""
    import pendulum

    from choice_workflow import Actor, ManualClock, Program, Role
    from choice_workflow.audit import export_log
    from choice_workflow.samples import sample_application, sample_employer

    clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    program = Program(clock=clock)
    department = Actor("dol-1", Role.DEPARTMENT)
    director = Actor("director", Role.DIRECTOR)
    employer = Actor("e-1", Role.EMPLOYER, employer_id="E1")
    program.register_employer(sample_employer("E1", at=clock.now()), department)
    program.open_cycle(1, director, appropriation="100000.00")
    program.apply(sample_application("E1", at=clock.now()), employer, grant_id="G1")
    program.approve("G1", "25000.00", director)
    program.confirm_notice("G1", department, channel="email", confirmed_at=clock.now())
    program.accept("G1", employer)
    program.seal(Actor("nightly", Role.SYSTEM))
    out = io.BytesIO()
    export_log(program.store.stored_events(), out)
    return out.getvalue()


# -- mutations ---------------------------------------------------------------------------

HOSTILE_VALUES: tuple[bytes, ...] = (
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 200 + b"0" + b"}" * 200,
    b"1" + b"0" * 4400,
    b"-" + b"9" * 5000,
    b"1e999",
    b"-1e999",
    b"NaN",
    b"Infinity",
    b"1.5",
    b'"\\u0000"',
    b'"\\ud800"',
    b'"\\udfff\\ud800"',
    b'"\xff\xfe"',
    b'"\xed\xa0\x80"',
    b'"' + b"x" * 70000 + b'"',
    b"null",
    b"true",
    b"[]",
    b"{}",
    b'{"x":1,"x":2}',
    b"-1",
    b"0",
    b"2147483648",
    b"9223372036854775808",
    b'"2030-07-01T05:00:00.000000Z"',
    b'"9999-12-31T23:59:59.999999+14:00"',
    b'"9999-12-31T23:59:59-14:00"',
    b'"0001-01-01T00:00:00+14:00"',
    b'"2030-02-30T00:00:00Z"',
    b'"2030-07-01"',
    b'"employer:"',
    b'"cycle:1"',
    b'"cycle:x"',
    b'"CycleOpened"',
    b'"Applied"',
    b'"Approved"',
    b'"Sealed"',
    b'"ProgramStarted"',
    b'"director"',
    b'"nobody"',
    b'"seal"',
    b'"program"',
    b'""',
)
"""What a structural mutation puts in place of one JSON value of a record."""


def records_of(data: bytes) -> list[bytes] | None:
    """The records of an exported log's lines, or None when ``data`` has no header."""
    lines = data.split(b"\n")
    if not lines or lines[0] != HEADER.rstrip(b"\n"):
        return None
    found = []
    for line in lines[1:]:
        cut = line.find(b',"record":')
        if cut > 0 and line.endswith(b"}"):
            found.append(line[cut + len(b',"record":') : -1])
    return found or None


def render(records: Sequence[bytes], *, reseal: bool = True) -> bytes:
    """An exported log of ``records``, with every stream's chain computed afresh and,
    when the last record is a seal, the seal recomputed over the log before it."""
    records = list(records)
    if reseal and records:
        records[-1] = _resealed(records)
    heads: dict[str, str] = {}
    out = [HEADER]
    for position, record in enumerate(records, 1):
        stream = _stream_of(record)
        prev = heads.get(stream, GENESIS)
        digest = link(prev, record)
        heads[stream] = digest
        out.append(
            b'{"hash":"%s","position":%d,"prev_hash":"%s","record":%s}\n'
            % (digest.encode(), position, prev.encode(), record)
        )
    return b"".join(out)


def _stream_of(record: bytes) -> str:
    try:
        value = json.loads(record)
        return str(value["stream_id"]) if isinstance(value, dict) else ""
    except (ValueError, KeyError, RecursionError):
        return ""


def _resealed(records: Sequence[bytes]) -> bytes:
    try:
        seal = json.loads(records[-1])
    except (ValueError, RecursionError):
        return records[-1]
    if not isinstance(seal, dict) or seal.get("stream_id") != "seal":
        return records[-1]
    heads: dict[str, tuple[Any, str]] = {}
    for record in records[:-1]:
        try:
            value = json.loads(record)
            stream, version = str(value["stream_id"]), value["version"]
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
        prev = heads.get(stream, (0, GENESIS))[1]
        heads[stream] = (version, link(prev, record))
    listed = sorted((s, v, h) for s, (v, h) in heads.items() if s != "seal")
    try:
        root = merkle_root([head_leaf(s, v, h) for s, v, h in listed]).hex()
        tree = merkle_root(list(records[:-1]))  # the unsigned checkpoint, recomputed too
        origin = str(seal.get("payload", {}).get("checkpoint") or "x\n").split("\n", 1)[0]
        seal["payload"] = {
            "heads": [list(h) for h in listed],
            "root": root,
            "tree_size": len(records) - 1,
            "tree_root": tree.hex(),
            "checkpoint": Checkpoint(origin, len(records) - 1, tree).text(),
        }
        return json.dumps(
            seal, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except (ValueError, TypeError):
        return records[-1]


def _value_spans(record: bytes) -> list[tuple[int, int]]:
    """Where the scalar values of ``record`` are (numbers, strings, literals), found by
    a small scanner that does not need the record to parse."""
    spans = []
    i, n = 0, len(record)
    while i < n:
        c = record[i : i + 1]
        if c == b'"':
            j = i + 1
            while j < n and record[j : j + 1] != b'"':
                j += 2 if record[j : j + 1] == b"\\" else 1
            if record[j + 1 : j + 2] != b":":  # a value, not a key
                spans.append((i, j + 1))
            i = j + 1
        elif c in b"-0123456789tfn":
            j = i
            while j < n and record[j : j + 1] not in b",]}":
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


def mutate_structure(data: bytes, rng: random.Random) -> bytes:
    """Replace one value of one record with a hostile one (or duplicate a key, or
    repeat, drop or swap records), then recompute the chains and the seal."""
    records = records_of(data)
    if records is None:
        return data
    i = rng.randrange(len(records))
    record = records[i]
    choice = rng.randrange(10)
    if choice < 6:
        spans = _value_spans(record)
        if spans:
            start, end = rng.choice(spans)
            records[i] = record[:start] + rng.choice(HOSTILE_VALUES) + record[end:]
    elif choice == 6 and record.startswith(b"{"):
        cut = record.find(b",", 1)
        if cut > 0:
            records[i] = record[:cut] + b"," + record[1:cut] + record[cut:]
    elif choice == 7:
        records.insert(rng.randrange(len(records) + 1), record)
    elif choice == 8 and len(records) > 1:
        del records[i]
    else:
        j = rng.randrange(len(records))
        records[i], records[j] = records[j], records[i]
    return render(records, reseal=rng.random() < 0.8)


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """A few random byte edits: flips, inserts, deletes, a cut, a repeated slice."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            buf += rng.randbytes(rng.randint(1, 16))
            continue
        at = rng.randrange(len(buf))
        kind = rng.randrange(5)
        if kind == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            buf[at:at] = rng.randbytes(rng.randint(1, 8))
        elif kind == 2:
            del buf[at : at + rng.randint(1, 8)]
        elif kind == 3:
            del buf[at:]
        else:
            end = min(len(buf), at + rng.randint(1, 64))
            buf[at:at] = buf[at:end]
    return bytes(buf)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One mutation: structural (reaches past the chains) or of the bytes."""
    if rng.random() < 0.6:
        return mutate_structure(data, rng)
    return mutate_bytes(data, rng)


# -- running -----------------------------------------------------------------------------


def load_corpus(directories: Sequence[Path]) -> list[bytes]:
    """Every file of ``directories`` (the seed corpus when none is given)."""
    found = [
        p.read_bytes() for d in directories or [CORPUS] for p in sorted(d.iterdir()) if p.is_file()
    ]
    return found or [HEADER]


def _keep_crash(data: bytes) -> Path:
    path = Path(f"crash-{hashlib.sha256(data).hexdigest()[:16]}.jsonl")
    path.write_bytes(data)
    return path


def run_fallback(runs: int, seed: int, corpus: Sequence[bytes]) -> int:
    """``runs`` seeded random mutations of the corpus through :func:`check`; 0 when
    nothing crashed, 1 at the first crash (kept in the working directory)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fuzzing, not a secret
    pool = list(corpus)
    for n in range(runs):
        data = rng.choice(pool)
        for _ in range(rng.randint(1, 3)):
            data = mutate(data, rng)
        try:
            check(data)
        except Exception as exc:
            kept = _keep_crash(data)
            print(f"run {n}: {type(exc).__name__}: {exc!s:.300} (input kept in {kept})")
            raise
        if len(pool) < 64 and rng.random() < 0.05:
            pool.append(data)  # mutations of mutations reach further
    print(f"fallback: {runs} runs, seed {seed}, no crash")
    return 0


def run_atheris(argv: list[str]) -> int:
    """Coverage-guided fuzzing with atheris, libFuzzer's arguments in ``argv``."""
    atheris: Any = importlib.import_module("atheris")

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)  # noqa: S311 - libFuzzer's own seed, not a secret
        half = rng.random() < 0.5
        out = mutate_structure(data, rng) if half else atheris.Mutate(data, max_size)
        return bytes(out[:max_size])

    # Coverage of the modules that read a log, not of every module loaded (atheris's
    # instrument_all takes minutes).
    for name in INSTRUMENTED:
        _instrument(atheris, importlib.import_module(name))
    atheris.Setup(argv, check, custom_mutator=custom_mutator)
    atheris.Fuzz()
    return 0  # pragma: no cover - atheris.Fuzz exits the process


INSTRUMENTED = (
    "choice_workflow.audit.jsonl",
    "choice_workflow.audit.verify",
    "choice_workflow.audit.transfer",
    "choice_workflow.events.envelope",
    "choice_workflow.projections.grants",
)
"""The modules whose coverage guides atheris."""


def _instrument(atheris: Any, module: ModuleType) -> None:
    for value in list(vars(module).values()):
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            atheris.instrument_func(value)
        elif inspect.isclass(value):
            for member in list(vars(value).values()):
                if inspect.isfunction(member):
                    atheris.instrument_func(member)


def main(argv: Sequence[str] | None = None) -> int:
    """Fuzz with atheris when it is installed (and ``--fallback`` is not given)."""
    args = list(sys.argv if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fallback", action="store_true", help="Do not use atheris.")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("corpus", nargs="*", type=Path)
    known, rest = parser.parse_known_args(args[1:])
    if not known.fallback and _has_atheris():
        return run_atheris([args[0], *map(str, known.corpus), *rest])
    return run_fallback(known.runs, known.seed, load_corpus(known.corpus))


def _has_atheris() -> bool:
    try:
        importlib.import_module("atheris")
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
