"""Hostile input: an exported log comes from outside, and may be anything.

Whatever a file holds, the reader, verify and import either refuse it with a typed
error (a ChoiceWorkflowError: LogFormatError for a file that is not a log,
ImportRefused for an import) or report it as a finding; they read it line by line in
bounded memory; and a refused import writes nothing. Explicit cases for each kind of
hostile input, hypothesis over random bytes and over mutations of a valid log, the
crashers the fuzz target found (tests/fuzz_corpus/), and the fuzz target itself
(fuzz/fuzz_log.py) run for a fixed number of iterations.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from choice_workflow.audit import (
    ImportRefused,
    Item,
    Kind,
    LogFormatError,
    import_log,
    read_lines,
    verify,
)
from choice_workflow.audit.jsonl import HEADER, MAX_DEPTH, MAX_LINE, parse_record
from choice_workflow.errors import ChoiceWorkflowError
from choice_workflow.store.base import Store
from choice_workflow.store.memory import MemoryStore
from choice_workflow.store.sql import SqlStore
from fuzz.fuzz_log import build_seed_log, check, mutate_bytes, mutate_structure, records_of, render

ROOT = Path(__file__).resolve().parent.parent
FUZZ_TARGET = ROOT / "fuzz" / "fuzz_log.py"
FUZZ_CORPUS = ROOT / "fuzz" / "corpus"
CRASHERS = Path(__file__).resolve().parent / "fuzz_corpus"


# -- known defects outside the reader and import -------------------------------------------


@attrs.frozen
class Defect:
    """An exception verify still lets escape on hostile input, until its fix lands."""

    kind: type[BaseException]
    where: str
    """The name of a function on the traceback, or a text of the message."""
    fix: str


KNOWN_VERIFY_DEFECTS: tuple[Defect, ...] = ()
"""Remove an entry when its fix lands: its replayed crasher then passes, and the xfail
of its explicit test turns into a failure that says so."""


def known_defect(exc: BaseException) -> Defect | None:
    """The known defect ``exc`` is an instance of, or None."""
    names = {frame.name for frame in traceback.extract_tb(exc.__traceback__)}
    for defect in KNOWN_VERIFY_DEFECTS:
        if isinstance(exc, defect.kind) and (defect.where in names or defect.where in str(exc)):
            return defect
    return None


# -- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture(name="sealed_log", scope="module")
def fixture_sealed_log() -> bytes:
    """A small valid sealed log: one employer through acceptance, then a seal."""
    return build_seed_log()


@pytest.fixture(name="empty_sqlite", scope="module")
def fixture_empty_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file: each test works on a copy (migrating takes long)."""
    path = tmp_path_factory.mktemp("template") / "empty.sqlite"
    SqlStore(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(name="sqlite_store")
def fixture_sqlite_store(empty_sqlite: Path, tmp_path: Path) -> Iterator[SqlStore]:
    """An empty SQLite store of its own."""
    path = Path(shutil.copy(empty_sqlite, tmp_path / "store.sqlite"))
    store = SqlStore(f"sqlite:///{path}", migrate=False)
    yield store
    store.dispose()


def items_of(data: bytes) -> Iterator[Item]:
    """What verify reads of a log file, from bytes."""
    for line in read_lines(io.BytesIO(data)):
        yield Item(line.position, line.record, line.prev_hash, line.hash)


def records(log: bytes) -> list[bytes]:
    """The records of a log."""
    found = records_of(log)
    assert found is not None
    return found


def index_of(recs: list[bytes], event_type: str) -> int:
    """The index of the first record of ``event_type``."""
    return next(i for i, r in enumerate(recs) if json.loads(r)["type"] == event_type)


def with_record(
    log: bytes, event_type: str, change: Callable[[bytes], bytes], *, reseal: bool = True
) -> bytes:
    """``log`` with the first record of ``event_type`` changed, chains (and the seal)
    recomputed: the change is all that is wrong."""
    recs = records(log)
    i = index_of(recs, event_type)
    recs[i] = change(recs[i])
    return render(recs, reseal=reseal)


def swap(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    """Replace the first ``old`` of a record with ``new``."""

    def change(record: bytes) -> bytes:
        assert old in record
        return record.replace(old, new, 1)

    return change


def in_payload(extra: bytes) -> Callable[[bytes], bytes]:
    """Add ``"aa_extra":<extra>`` first in a record's payload."""
    return swap(b'"payload":{', b'"payload":{"aa_extra":' + extra + b",")


def assert_empty(store: Store) -> None:
    """No event and no projection in ``store``."""
    assert [] == list(store.stored_events())
    if isinstance(store, SqlStore):
        assert store.engine is not None
        with store.engine.connect() as conn:
            t = store.tables
            counts = {
                table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                for table in (
                    t.events,
                    t.commands,
                    t.grants,
                    t.employers,
                    t.applications,
                    t.cycles,
                    t.awards,
                )
            }
        assert dict.fromkeys(counts, 0) == counts
    else:
        with store.transaction() as tx:
            assert [] == tx.grants()
            assert tx.employer("E1") is None
            assert tx.application("G1") is None


def drive(data: bytes) -> None:
    """verify and import ``data``: only ChoiceWorkflowErrors (and, from verify, the
    known defects) may come out, and a refused import writes nothing."""
    try:
        verify(items_of(data))
    except ChoiceWorkflowError:
        pass
    except Exception as exc:
        if known_defect(exc) is None:
            raise
    store = MemoryStore()
    try:
        import_log(io.BytesIO(data), store)
    except ChoiceWorkflowError:
        assert_empty(store)


# -- refused: not a log ------------------------------------------------------------------


def _envelope(log: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """``log`` with the envelope of its first event line changed."""
    header, first, rest = log.split(b"\n", 2)
    return b"\n".join([header, change(first), rest])


REFUSED: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "an empty file": (lambda log: b"", "line 1 is not"),
    "NUL bytes": (lambda log: b"\x00" * 4096, "line 1 is not"),
    "a line longer than MAX_LINE": (
        lambda log: HEADER + b'{"a":"' + b"x" * MAX_LINE + b'"}\n',
        f"line 2 is longer than {MAX_LINE} bytes",
    ),
    "a truncated file": (lambda log: log[: len(log) // 2], "is cut off"),
    "a file cut inside its last character": (lambda log: log[:-1], "is cut off"),
    "invalid UTF-8 in an envelope": (
        lambda log: _envelope(log, lambda line: line.replace(b'{"hash":"', b'{"hash":"\xff', 1)),
        "line 2 is not valid JSON",
    ),
    "a NUL byte in an envelope": (
        lambda log: _envelope(
            log, lambda line: line.replace(b'"position":', b'"position":\x00', 1)
        ),
        "line 2 is not valid JSON",
    ),
    "a duplicated key in an envelope": (
        lambda log: _envelope(
            log, lambda line: line.replace(b'"position":1,', b'"position":1,"position":1,', 1)
        ),
        "line 2 is not valid JSON",
    ),
    "an envelope with a space": (
        lambda log: _envelope(log, lambda line: line.replace(b'"position":1', b'"position": 1', 1)),
        "line 2 is not in canonical form",
    ),
    "a position of 5,000 digits": (
        lambda log: _envelope(
            log, lambda line: line.replace(b'"position":1', b'"position":1' + b"0" * 5000, 1)
        ),
        "line 2 is not valid JSON",
    ),
    "a position of 1e999": (
        lambda log: _envelope(
            log, lambda line: line.replace(b'"position":1', b'"position":1e999', 1)
        ),
        "position must be a positive integer",
    ),
    "a position of 2**62": (
        lambda log: _envelope(
            log, lambda line: line.replace(b'"position":1', b'"position":%d' % 2**62, 1)
        ),
        "position must be a positive integer",
    ),
    "a position as text": (
        lambda log: _envelope(
            log, lambda line: line.replace(b'"position":1', b'"position":"1"', 1)
        ),
        "position must be a positive integer",
    ),
    "positions that go backwards": (
        lambda log: log.replace(b'"position":2,', b'"position":1,', 1),
        "line 3: position 1 does not follow 1",
    ),
    "a record nested 100,000 arrays deep": (
        lambda log: with_record(log, "Applied", in_payload(b"[" * 100_000 + b"]" * 100_000)),
        f"nests deeper than {MAX_DEPTH} levels",
    ),
    "a record nested 100,000 objects deep": (
        lambda log: with_record(
            log, "Applied", in_payload(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)
        ),
        f"nests deeper than {MAX_DEPTH} levels",
    ),
    "a record holding 1e999": (
        lambda log: with_record(log, "Applied", in_payload(b"1e999")),
        "beyond the range of a float",
    ),
    "a record holding a float of 400 digits": (
        lambda log: with_record(log, "Applied", in_payload(b"1" * 400 + b".5")),
        "beyond the range of a float",
    ),
    "a record holding NaN": (
        lambda log: with_record(log, "Applied", in_payload(b"NaN")),
        "NaN or Infinity",
    ),
    "a record holding -Infinity": (
        lambda log: with_record(log, "Applied", in_payload(b"-Infinity")),
        "NaN or Infinity",
    ),
    "a record escaping a lone surrogate": (
        lambda log: with_record(log, "Applied", in_payload(b'"\\ud800"')),
        "escapes a UTF-16 surrogate",
    ),
    "a record holding a surrogate encoded as UTF-8": (
        lambda log: with_record(log, "Applied", in_payload(b'"\xed\xa0\x80"')),
        "holds a UTF-16 surrogate",
    ),
}


NOT_JSON_LINES = {"an empty file", "NUL bytes"}
"""Files whose first line is no JSON object: not JSON Lines at all."""


@pytest.mark.parametrize("damage", REFUSED)
def test_a_damaged_file_is_refused_by_the_reader_and_import_and_reported_by_verify(
    damage: str, sealed_log: bytes, tmp_path: Path, sqlite_store: SqlStore
) -> None:
    make, words = REFUSED[damage]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(make(sealed_log))
    with pytest.raises(LogFormatError, match=words):
        list(read_lines(path))
    if damage in NOT_JSON_LINES:  # no log at all: verify refuses it too
        with pytest.raises(LogFormatError, match=words):
            verify(path)
        return
    # verify reports the damaged line, with the reader's words, and reads on.
    damaged = [f for f in verify(path).findings if f.kind is Kind.DAMAGED_LINE]
    assert 1 == len(damaged)
    assert re.search(words, damaged[0].message), damaged[0].message
    memory = MemoryStore()
    for store in (memory, sqlite_store):
        with pytest.raises((LogFormatError, ImportRefused), match=words):
            import_log(path, store)
        assert_empty(store)


def test_an_endless_line_is_refused_after_max_line_bytes() -> None:
    class Endless(io.RawIOBase):
        """A header, then ``x`` for ever, with no newline."""

        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # RawIOBase's stub takes any buffer
            n = len(buffer)
            head = HEADER[self.served : self.served + n]
            buffer[: len(head)] = head
            buffer[len(head) : n] = b"x" * (n - len(head))
            self.served += n
            return n

    stream = Endless()
    with pytest.raises(LogFormatError, match="line 2 is longer than"):
        list(read_lines(io.BufferedReader(stream)))
    assert stream.served <= len(HEADER) + MAX_LINE + 2 * io.DEFAULT_BUFFER_SIZE


def test_lines_are_read_one_at_a_time(sealed_log: bytes) -> None:
    class Counting(io.BytesIO):
        lines_read = 0

        def readline(self, size: int | None = -1) -> bytes:
            self.lines_read += 1
            return super().readline(size)

    handle = Counting(sealed_log)
    lines = read_lines(handle)
    first = next(lines)
    assert 1 == first.position
    assert 2 == handle.lines_read  # the header and the first event, nothing more


def test_a_line_of_exactly_max_line_bytes_is_read(sealed_log: bytes) -> None:
    recs = records(sealed_log)
    i = index_of(recs, "Applied")
    line_length = len(render(recs).split(b"\n")[i + 1]) + 1
    padding = b"x" * (MAX_LINE - line_length - len(b'"aa_extra":"",'))
    longest = with_record(sealed_log, "Applied", in_payload(b'"' + padding + b'"'))
    assert MAX_LINE == max(len(line) + 1 for line in longest.split(b"\n"))
    assert 8 == len(list(read_lines(io.BytesIO(longest))))
    with pytest.raises(LogFormatError, match="longer than"):
        list(read_lines(io.BytesIO(longest.replace(padding, padding + b"x"))))


# -- reported: a log with findings, refused by import ------------------------------------


def edit(change: Callable[[dict[str, Any]], object]) -> Callable[[bytes], bytes]:
    """Change a record's JSON and write it back canonically."""

    def apply(record: bytes) -> bytes:
        data = json.loads(record)
        change(data)
        # Sorted and compact like the log's own form, but by a writer that, unlike the
        # library's, writes whatever it is given (an integer of 4,000 digits).
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    return apply


def _set(key: str, value: object, *, within: str | None = None) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        (data[within] if within else data)[key] = value

    return change


REPORTED: dict[str, tuple[Callable[[bytes], bytes], Kind]] = {
    "a record that is not UTF-8": (
        lambda log: with_record(log, "Applied", in_payload(b'"\xff\xfe"')),
        Kind.MALFORMED,
    ),
    "a raw NUL byte in a record": (
        lambda log: with_record(log, "Applied", in_payload(b'"\x00"')),
        Kind.MALFORMED,
    ),
    "a duplicated key in a record": (
        lambda log: with_record(
            log, "Applied", swap(b'"actor_id":', b'"actor_id":"x","actor_id":')
        ),
        Kind.MALFORMED,
    ),
    "a duplicated key in a payload": (
        lambda log: with_record(log, "Approved", swap(b'"amount":', b'"amount":"1.00","amount":')),
        Kind.MALFORMED,
    ),
    "a version of 10**5000, beyond Python's digit limit": (
        lambda log: with_record(log, "Applied", swap(b'"version":1', b'"version":1' + b"0" * 5000)),
        Kind.MALFORMED,
    ),
    "a version of 10**4000": (
        lambda log: with_record(log, "Applied", edit(_set("version", 10**4000))),
        Kind.STREAM_GAP,
    ),
    "a version as text": (
        lambda log: with_record(log, "Applied", edit(_set("version", "1"))),
        Kind.MALFORMED,
    ),
    "a version of true": (
        lambda log: with_record(log, "Applied", edit(_set("version", True))),
        Kind.MALFORMED,
    ),
    "a payload that is a list": (
        lambda log: with_record(log, "Approved", edit(_set("payload", [1]))),
        Kind.MALFORMED,
    ),
    "a record that is a JSON array": (
        lambda log: with_record(log, "Approved", lambda record: b"[" + record + b"]"),
        Kind.MALFORMED,
    ),
    "a record that is a number": (
        lambda log: with_record(log, "Approved", lambda record: b"12345"),
        Kind.MALFORMED,
    ),
    "an employer that is not an object": (
        lambda log: with_record(
            log, "EmployerRegistered", edit(_set("employer", "E1", within="payload"))
        ),
        Kind.MALFORMED,
    ),
    "an application that is a list": (
        lambda log: with_record(log, "Applied", edit(_set("application", [], within="payload"))),
        Kind.MALFORMED,
    ),
    "an instant that is not one": (
        lambda log: with_record(log, "Approved", edit(_set("occurred_at", "yesterday"))),
        Kind.MALFORMED,
    ),
    "a broken record whose strings, read as numbers, would hold 1e999": (
        lambda log: with_record(log, "Approved", in_payload(b'x 1e999 y"')),
        Kind.MALFORMED,
    ),
    "a record edited in place": (
        lambda log: log.replace(b'"amount":"25000.00"', b'"amount":"95000.00"', 1),
        Kind.BROKEN_CHAIN,
    ),
}


@pytest.mark.parametrize("damage", REPORTED)
def test_a_damaged_record_is_a_finding_and_its_import_writes_nothing(
    damage: str, sealed_log: bytes, tmp_path: Path, sqlite_store: SqlStore
) -> None:
    make, kind = REPORTED[damage]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(make(sealed_log))
    assert kind in {f.kind for f in verify(path).findings}
    for store in (MemoryStore(), sqlite_store):
        with pytest.raises(ImportRefused):
            import_log(path, store)
        assert_empty(store)


def test_a_duplicated_key_is_refused_by_the_strict_reader_of_records() -> None:
    with pytest.raises(LogFormatError, match="the key 'a' appears twice"):
        parse_record(b'{"a":1,"b":{"a":2,"a":3}}')


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (b'{"a":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}", f"nests deeper than {MAX_DEPTH}"),
        (b'{"a":"\xff"}', "not UTF-8"),
        (b'{"a":1' + b"0" * 5000 + b"}", "not strict JSON: Exceeds the limit"),
        (b'{"a":1.0e400}', "beyond the range of a float"),
        (b'{"a":"\\ud83d"}', "surrogate"),
        (b'{"a":"\x00"}', "not strict JSON"),
        (b"[]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b'{"a":1}{"b":2}', "not strict JSON: Extra data"),
    ],
    ids=[
        "too deep",
        "not UTF-8",
        "5,000 digits",
        "1e400",
        "surrogate",
        "NUL",
        "array",
        "text",
        "two",
    ],
)
def test_the_strict_reader_of_records_refuses_what_is_not_strict_json(
    record: bytes, words: str
) -> None:
    with pytest.raises(LogFormatError, match=words):
        parse_record(record)


def test_the_strict_reader_of_records_reads_nesting_up_to_the_limit_and_escapes() -> None:
    depth = MAX_DEPTH - 1  # the record's own object is one level
    record = b'{"a":' + b"[" * depth + b"]" * depth + b',"b":"\\\\ud800","c":"\\u0000"}'
    value = parse_record(record)
    assert {"b": "\\ud800", "c": "\x00"} == {k: value[k] for k in ("b", "c")}


def test_pathological_records_are_scanned_in_linear_time() -> None:
    # Quadratic scanning would take hours on these; linear, well under a second each.
    script = """
from choice_workflow.audit.strict_json import hazard_of
n = 1 << 16
for data in (
    b'{"a":1' + b"0" * n + b"}",
    b'{"a":"' + b'\\\\"' * (n // 2) + b"\\\\",
    b'"' * n,
    b'{"a":"' + b"\\\\" * n + b'u"}',
    b'{"a":' + b"1." * (n // 2) + b"}",
    b'{"a":' + b"1e" * (n // 2) + b"}",
    b"[" * n,
):
    hazard_of(data)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert 0 == done.returncode, done.stderr


# -- import: what verify cannot see ------------------------------------------------------


class ChangingFile(io.BytesIO):
    """A file whose bytes are replaced by ``later`` once it is read again from the start
    (what another process writing to it meanwhile would do)."""

    def __init__(self, first: bytes, later: bytes) -> None:
        super().__init__(first)
        self.later = later
        self.rewound = False

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0 and self.tell() > 0 and not self.rewound:
            self.rewound = True
            position = super().seek(0)
            self.truncate()
            self.write(self.later)
            return super().seek(position)
        return super().seek(offset, whence)


def test_a_file_that_changes_between_verify_and_write_is_refused_and_nothing_written(
    sealed_log: bytes, sqlite_store: SqlStore
) -> None:
    forged = with_record(
        sealed_log, "Approved", swap(b'"amount":"25000.00"', b'"amount":"49999.00"')
    )
    for store in (MemoryStore(), sqlite_store):
        with pytest.raises(ImportRefused, match="changed while it was imported"):
            import_log(ChangingFile(sealed_log, forged), store)
        assert_empty(store)


def test_a_log_that_verifies_but_the_database_cannot_hold_is_refused_and_nothing_written(
    sealed_log: bytes, sqlite_store: SqlStore
) -> None:
    # A cycle number beyond 64 bits: every chain and the seal hold, SQLite cannot store it.
    huge = with_record(sealed_log, "Applied", edit(_set("cycle", 10**30, within="payload")))
    assert not {f.kind for f in verify(items_of(huge)).findings} & {Kind.MALFORMED}
    with pytest.raises(ImportRefused, match="cannot take"):
        import_log(io.BytesIO(huge), sqlite_store)
    assert_empty(sqlite_store)


def test_an_instant_out_of_range_refuses_the_import_and_writes_nothing(
    sealed_log: bytes, sqlite_store: SqlStore
) -> None:
    early = with_record(
        sealed_log, "Approved", edit(_set("occurred_at", "0001-01-01T00:00:00+14:00"))
    )
    for store in (MemoryStore(), sqlite_store):
        with pytest.raises(ImportRefused):
            import_log(io.BytesIO(early), store)
        assert_empty(store)


def test_a_nul_character_postgresql_cannot_store_refuses_the_import_and_writes_nothing(
    sealed_log: bytes, pg_url: str
) -> None:
    nul = with_record(sealed_log, "Approved", edit(_set("actor_id", "director\x00")))
    assert not verify(items_of(nul)).findings  # a NUL is valid JSON, and the chain holds
    store = SqlStore(pg_url, prefix="hostile_")
    try:
        with pytest.raises(ImportRefused, match="the database refused the log"):
            import_log(io.BytesIO(nul), store)
        assert_empty(store)
    finally:
        store.dispose()


def test_an_import_of_a_clean_log_still_writes_every_event(
    sealed_log: bytes, sqlite_store: SqlStore
) -> None:
    report = import_log(io.BytesIO(sealed_log), sqlite_store)
    assert report.ok
    assert 8 == len(list(sqlite_store.stored_events()))
    assert verify(sqlite_store).ok


# -- verify: what it still lets escape (KNOWN_VERIFY_DEFECTS) ----------------------------


def _xfail(defect: Defect) -> pytest.MarkDecorator:
    return pytest.mark.xfail(raises=defect.kind, strict=True, reason=defect.fix)


def test_a_cycle_event_of_another_type_is_a_finding(sealed_log: bytes) -> None:
    odd = with_record(sealed_log, "CycleOpened", edit(_set("type", "Sealed")))
    assert verify(items_of(odd)).findings


def test_an_application_with_a_null_cycle_is_a_finding(sealed_log: bytes) -> None:
    odd = with_record(sealed_log, "Applied", edit(_set("cycle", None, within="payload")))
    assert verify(items_of(odd)).findings


def test_an_instant_out_of_range_is_a_finding(sealed_log: bytes) -> None:
    early = with_record(
        sealed_log, "Approved", edit(_set("occurred_at", "0001-01-01T00:00:00+14:00"))
    )
    assert Kind.MALFORMED in {f.kind for f in verify(items_of(early)).findings}


def test_an_infinite_number_given_to_verify_directly_is_a_finding(sealed_log: bytes) -> None:
    recs = records(sealed_log)
    i = index_of(recs, "Applied")
    items = list(items_of(sealed_log))
    items[i] = attrs.evolve(items[i], record=in_payload(b"1e999")(items[i].record))
    assert Kind.MALFORMED in {f.kind for f in verify(items).findings}


def test_a_duplicated_key_is_a_finding_without_the_guards_too(sealed_log: bytes) -> None:
    twice = with_record(sealed_log, "Applied", swap(b'"actor_id":', b'"actor_id":"x","actor_id":'))
    assert Kind.MALFORMED in {f.kind for f in verify(items_of(twice), guards=False).findings}


# -- hypothesis: random bytes and mutations ----------------------------------------------

HOSTILE_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
LOG_SETTINGS = settings(HOSTILE_SETTINGS, max_examples=30)
"""Each example verifies and imports a whole log (about 50 ms): fewer of them, and the
fuzz target for more."""


@HOSTILE_SETTINGS
@given(data=st.binary(max_size=2048) | st.binary(max_size=2048).map(lambda b: HEADER + b))
def test_random_bytes_are_refused_or_reported_never_anything_else(data: bytes) -> None:
    drive(data)


EDIT = st.tuples(
    st.floats(min_value=0, max_value=1, exclude_max=True),
    st.sampled_from(["flip", "insert", "delete", "cut", "repeat"]),
    st.binary(min_size=1, max_size=8),
)


@LOG_SETTINGS
@given(edits=st.lists(EDIT, min_size=1, max_size=5))
def test_byte_edits_of_a_valid_log_are_refused_or_reported_never_anything_else(
    sealed_log: bytes, edits: list[tuple[float, str, bytes]]
) -> None:
    data = bytearray(sealed_log)
    for where, op, chunk in edits:
        at = int(where * len(data)) if data else 0
        if op == "flip" and data:
            data[at] ^= chunk[0] or 1
        elif op == "insert":
            data[at:at] = chunk
        elif op == "delete":
            del data[at : at + len(chunk)]
        elif op == "cut":
            del data[at:]
        else:
            data[at:at] = data[at : at + 8 * len(chunk)]
    drive(bytes(data))


@LOG_SETTINGS
@given(rnd=st.randoms(use_true_random=False), steps=st.integers(min_value=1, max_value=3))
def test_resealed_mutations_of_a_valid_log_are_refused_or_reported_never_anything_else(
    sealed_log: bytes, rnd: random.Random, steps: int
) -> None:
    data = sealed_log
    for _ in range(steps):
        data = mutate_structure(data, rnd) if rnd.random() < 0.7 else mutate_bytes(data, rnd)
    drive(data)


# -- the fuzz target and its crashers ----------------------------------------------------

CRASHER_FILES = sorted(CRASHERS.glob("*.jsonl"))
STILL_CRASHING: dict[str, Defect] = {}
"""Crashers whose fix is outside the reader and import (see KNOWN_VERIFY_DEFECTS)."""


@pytest.mark.parametrize(
    "crasher",
    [
        pytest.param(p, marks=_xfail(STILL_CRASHING[p.name])) if p.name in STILL_CRASHING else p
        for p in CRASHER_FILES
    ],
    ids=[p.stem for p in CRASHER_FILES],
)
def test_every_input_that_once_crashed_is_now_refused_or_reported(
    crasher: Path, sqlite_store: SqlStore
) -> None:
    data = crasher.read_bytes()
    check(data)  # what the fuzz target runs: verify, then import into a MemoryStore
    try:
        import_log(crasher, sqlite_store)
    except ChoiceWorkflowError:
        assert_empty(sqlite_store)


def test_the_seed_corpus_is_a_clean_sealed_log() -> None:
    for seed in sorted(FUZZ_CORPUS.iterdir()):
        report = verify(seed)
        assert report.ok, seed.name
        assert 1 == report.seals


def _fuzz(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    corpus = cwd / "corpus"
    shutil.copytree(FUZZ_CORPUS, corpus)  # libFuzzer adds what it finds to the corpus
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(FUZZ_TARGET), *args, str(corpus)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


FUZZ_XFAIL = pytest.mark.xfail(
    bool(KNOWN_VERIFY_DEFECTS),
    strict=False,
    reason="the fuzz target finds the KNOWN_VERIFY_DEFECTS within these runs",
)


@pytest.mark.slow
@FUZZ_XFAIL
def test_the_fuzz_target_runs_without_a_crash_in_fallback_mode(tmp_path: Path) -> None:
    done = _fuzz(["--fallback", "--runs", "300", "--seed", "1"], tmp_path)
    assert 0 == done.returncode, done.stdout[-2000:] + done.stderr[-2000:]
    assert "300 runs, seed 1, no crash" in done.stdout


@pytest.mark.slow
@FUZZ_XFAIL
def test_the_fuzz_target_runs_without_a_crash_under_atheris(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    done = _fuzz(["-runs=1000", "-seed=1"], tmp_path)
    assert 0 == done.returncode, done.stderr[-3000:]
    assert "Done 1000 runs" in done.stderr
