"""An outbox that follows the log: a notice-of-award email queued after each approval
and every event fed to a warehouse file, at least once, from a stored position.

The consumer keeps the position of the last event it handled in a file
(:class:`~choice_workflow.PositionFile`), saved after each batch. Killed before a save,
it hands out that batch again when it starts: the sink deduplicates by position.

Run: ``python examples/outbox.py`` (a simulated program in a temporary SQLite file), or
``python examples/outbox.py --db URL --position FILE --sink FILE [--follow]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import tempfile
from pathlib import Path
from typing import IO

from choice_workflow import PositionFile, StoredEvent
from choice_workflow.events import EventType
from choice_workflow.service.subscription import Subscription
from choice_workflow.simulate import simulate
from choice_workflow.store.sql import SqlStore


def handle(stored: StoredEvent, sink: IO[str]) -> None:
    """One event into the sink: a warehouse row, and an email row after an approval."""
    event = stored.event
    row = {"position": stored.position, "type": event.type, "stream": event.stream_id}
    sink.write(json.dumps({"kind": "warehouse", **row}) + "\n")
    if event.type == EventType.APPROVED:
        email = {
            "to": event.stream_id,
            "subject": "Notice of award",
            "amount": event.payload.get("amount"),
        }
        sink.write(json.dumps({"kind": "email", "position": stored.position, **email}) + "\n")
    sink.flush()


def consume(args: argparse.Namespace) -> int:
    """Follow the log from the stored position; returns the number of events handled."""
    store = SqlStore(args.db, prefix=args.prefix, migrate=False)
    position = PositionFile(args.position)
    subscription = Subscription(store, position.load(), batch=args.batch, wait=args.wait)
    handled = 0
    try:
        with open(args.sink, "a", encoding="utf-8") as sink:
            for batch in subscription.batches(follow=args.follow):
                for stored in batch:
                    handle(stored, sink)
                    handled += 1
                    if handled == args.crash_after:  # killed before the batch is saved
                        os.kill(os.getpid(), signal.SIGKILL)
                position.save(batch[-1].position)
                if args.follow:  # progress, for whoever watches the service
                    print(f"saved {batch[-1].position}", flush=True)
                if args.stop_after and handled >= args.stop_after:
                    subscription.stop()
    finally:
        store.dispose()
    return handled


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="the store's SQLAlchemy URL")
    parser.add_argument("--prefix", default="", help="the store's table prefix")
    parser.add_argument("--position", help="the file that keeps the position")
    parser.add_argument("--sink", help="the JSON lines file the events go to")
    parser.add_argument("--batch", type=int, default=100, help="events per batch")
    parser.add_argument("--follow", action="store_true", help="wait for new events")
    parser.add_argument("--wait", type=float, default=5.0, help="seconds between looks")
    parser.add_argument("--stop-after", type=int, default=0, help="stop after N events")
    parser.add_argument("--crash-after", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    """With --db, consume; without, simulate a program into a temporary file, consume
    it in two runs (the first stopped part-way) and show that nothing was lost."""
    args = arguments()
    if args.db:
        print(f"handled {consume(args)} events; position {PositionFile(args.position).load()}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'grants.sqlite'}"
        store = SqlStore(db)
        simulate(4, store=store)
        recorded = sum(1 for _ in store.stored_events())
        store.dispose()
        base = [
            f"--db={db}",
            f"--position={Path(tmp) / 'position'}",
            f"--sink={Path(tmp) / 'sink.jsonl'}",
        ]
        first = consume(arguments([*base, "--stop-after=150"]))
        second = consume(arguments(base))
        rows = [json.loads(line) for line in (Path(tmp) / "sink.jsonl").read_text().splitlines()]
        seen = {r["position"] for r in rows if r["kind"] == "warehouse"}
        emails = sum(r["kind"] == "email" for r in rows)
        print(f"{recorded} events recorded; first run handled {first}, the second {second}")
        print(f"warehouse: {len(seen)} distinct positions; emails queued: {emails}")


if __name__ == "__main__":
    main()
