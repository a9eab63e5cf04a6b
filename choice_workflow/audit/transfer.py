"""Import of an exported JSON Lines log into an empty store.

The file is verified as a whole first (a streaming pass in constant memory); a log
with any integrity finding is refused and nothing is written. Then, in one
transaction, every event is written with its stored bytes and hashes unchanged, and
the projections are rebuilt from the replay.

The file is input from outside, so the import holds to three rules: every record is
read strictly (:func:`~choice_workflow.audit.jsonl.parse_record`) before verify sees
it; anything the second pass cannot read or the store cannot take refuses the import
inside the transaction, so nothing is written; and the bytes written are the bytes
verified (a digest of both passes must agree, or the file changed in between).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from choice_workflow.audit.findings import INTEGRITY
from choice_workflow.audit.jsonl import LogFormatError, RawLine, read_lines, read_record
from choice_workflow.audit.verify import Item, Report, verify
from choice_workflow.errors import ChoiceWorkflowError, ImportRefused, StoreError
from choice_workflow.events import event_from_record
from choice_workflow.store.base import Store, StoredEvent, Transaction

__all__ = [
    "ImportRefused",
    "import_log",
]

_BAD_DATA = (ValueError, TypeError, KeyError, ArithmeticError, RecursionError)
"""What decoding a record that verify let through can raise (an employer's or an
application's payload that the domain cannot read, an integer a database cannot hold)."""


def import_log(
    path: str | Path | IO[bytes], store: Store, *, expected_root: str | None = None
) -> Report:
    """Import the log at ``path`` (or a seekable binary file) into the empty ``store``;
    return the verify report.

    Raises :class:`ImportRefused` when the store is not empty, the log has an integrity
    finding (a broken chain, a gap, a bad seal, an unreadable record, ...), or the store
    cannot take what the log holds; and
    :class:`~choice_workflow.audit.jsonl.LogFormatError` for a file that is not a log.
    Whatever is raised, nothing is written.
    """
    with ExitStack() as stack:
        handle = stack.enter_context(open(path, "rb")) if isinstance(path, str | Path) else path
        start = handle.tell()
        verified = _Digest()
        try:
            report = verify(
                _strict_items(read_lines(handle), verified), expected_root=expected_root
            )
        except _BAD_DATA as exc:
            # verify turns what it cannot read into findings; should a record still slip
            # through, the log is not shown intact, and is refused.
            raise ImportRefused(
                reason=f"the log cannot be verified ({type(exc).__name__}: {_first_line(exc)})",
                hint="Run verify on the file; import only an intact log.",
            ) from exc
        broken = [f for f in report.findings if f.kind in INTEGRITY]
        if broken:
            raise ImportRefused(
                reason=f"the log has {len(broken)} integrity finding(s), first: {broken[0]}",
                hint="Run verify on the file; import only an intact log.",
            )
        if next(iter(store.stored_events()), None) is not None:
            raise ImportRefused(
                reason="the store already holds events", hint="Import into an empty database."
            )
        handle.seek(start)
        _write(handle, store, report, verified.value())
    return report


class _Digest:
    """A digest of the lines read: both passes must read the same bytes."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, line: RawLine) -> None:
        self._hash.update(
            b"%d %s %s %d\n"
            % (line.position, line.prev_hash.encode(), line.hash.encode(), len(line.record))
        )
        self._hash.update(line.record)

    def value(self) -> bytes:
        return self._hash.digest()


def _strict_items(lines: Iterator[RawLine], digest: _Digest) -> Iterator[Item]:
    """The lines as verify's items, each record first read strictly: a record that is
    not strict JSON refuses the import at once (it would be a ``malformed`` finding)."""
    for line in lines:
        try:
            read_record(line.record)
        except LogFormatError as exc:
            raise ImportRefused(
                reason=f"line {line.line_no}: {exc.reason}",
                hint="Run verify on the file; import only an intact log.",
            ) from None
        digest.add(line)
        yield Item(line.position, line.record, line.prev_hash, line.hash)


def _write(handle: IO[bytes], store: Store, report: Report, verified: bytes) -> None:
    written = _Digest()
    database_errors = _database_errors()
    try:
        with store.transaction() as tx:
            for line in read_lines(handle):
                written.add(line)
                _restore(tx, line)
            if written.value() != verified:
                raise ImportRefused(
                    reason="the file changed while it was imported",
                    hint="Import a copy that nothing else writes to.",
                )
            _project(tx, report)
    except (ImportRefused, LogFormatError):
        raise
    except StoreError as exc:  # the database's refusal, as the store names it (no SQL)
        raise ImportRefused(
            reason=f"the database refused the log: {exc.reason}",
            hint="The log verified but holds data this database cannot store.",
        ) from None
    except ChoiceWorkflowError as exc:  # the store's own refusal (a second award, ...)
        raise ImportRefused(
            reason=f"the store refused the log: {exc.reason}", hint="Run verify on the file."
        ) from None
    except database_errors as exc:
        # The driver's own message: the error's text would repeat the statement and the
        # record it was given.
        orig = getattr(exc, "orig", None) or exc
        raise ImportRefused(
            reason=f"the database refused the log: {_first_line(orig)}",
            hint="The log verified but holds data this database cannot store.",
        ) from None
    except _BAD_DATA as exc:
        raise ImportRefused(
            reason=f"the log holds data the store cannot take ({type(exc).__name__}: {_first_line(exc)})",
            hint="Run verify on the file.",
        ) from None


def _project(tx: Transaction, report: Report) -> None:
    """The read models as verify folded them from the log (the same folds as the live
    path: amendments, corrections and the ledger included)."""
    state = report.state
    assert state is not None  # noqa: S101 - verify always returns its read models
    for employer in state.employers.values():
        tx.put_employer(employer)
    for grant in state.grant_map.values():
        tx.put_grant(grant, new=True)
    for grant_id, application in state.applications.items():
        tx.put_application(grant_id, application)
    for employer_id, grant_id in state.awards.items():
        tx.record_award(employer_id, grant_id)
    for cycle in state.cycles.values():
        tx.put_cycle(cycle)


def _restore(tx: Transaction, line: RawLine) -> None:
    try:
        event = event_from_record(read_record(line.record)[0])
        tx.restore(StoredEvent(line.position, event, line.record, line.prev_hash, line.hash))
    except ImportRefused:
        raise
    except ChoiceWorkflowError as exc:
        raise ImportRefused(
            reason=f"line {line.line_no}: {exc.reason}",
            hint="The log verified but holds data the store cannot take.",
        ) from None
    except _BAD_DATA as exc:
        raise ImportRefused(
            reason=f"line {line.line_no}: the record cannot be imported ({type(exc).__name__}: {_first_line(exc)})",
            hint="The log verified but holds data the store cannot take.",
        ) from None


def _database_errors() -> tuple[type[BaseException], ...]:
    # A store's own database errors, without importing a database library here: if
    # SQLAlchemy was never imported, no error can be one of its own.
    errors = sys.modules.get("sqlalchemy.exc")
    found = getattr(errors, "SQLAlchemyError", None)
    return (found,) if isinstance(found, type) else ()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
