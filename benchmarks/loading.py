"""Comparison 3: loading grants into a Program.

A ``transitions`` Machine holds its models: loading N grants into one is ``add_model``
N times, and each call checks the models already attached (a list), so the cost per
model grows with N. A Program holds no grants: they live in its store, and the Program
reads them from there. Loading N grants into a Program is opening it over a SQLite
store that holds them and reading every one back as a :class:`~choice_workflow.Grant`
(``Program.grants()``: one query, one Grant per row, ready for commands).

- 3a: the time to load 10,000 grants (CPU time, the Program already open) against
  ``add_model`` of 10,000 plain models to one fresh bare machine (the lifecycle
  benchmark's machine: the table's states and triggers, auto_transitions=False).
- 3b: the cost per grant of loading 100,000 against the cost per grant at 10,000: a
  linear load keeps them equal.

The stores are built once, before timing: a real grant (applied, approved, notified,
accepted by a Program) is copied N times with distinct ids, employers and instants and
written by the store's own ``put_grant`` in one transaction. Only the grants table is
read by the load, so the stores hold the projections and not the events behind them.

Run: ``python benchmarks/loading.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from benchmarks._common import HERE, cpu_timed, interleaved, median, metric, report, with_goal
from benchmarks.lifecycle import (
    START,
    BareGrant,
    Ledger,
    after_effects,
    bare_machine,
    inline_guards,
    lifecycle_template,
)
from choice_workflow import Grant, ManualClock, Program
from choice_workflow.projections.grants import fold as fold_grant
from choice_workflow.samples import sample_employer
from choice_workflow.store.sql import SqlStore


def build_store(path: Path, n: int, template: Grant) -> None:
    """A SQLite store holding ``n`` copies of ``template`` (distinct ids, employers,
    instants), written by the store in one transaction; and the program's first event."""
    store = SqlStore(f"sqlite:///{path}")
    with store.transaction() as tx:
        for k in range(n):
            tx.put_grant(
                attrs.evolve(
                    template,
                    id=f"G{k:07d}",
                    employer_id=f"E{k:07d}",
                    applied_us=template.applied_us + k,
                ),
                new=True,
            )
    Program(store, clock=ManualClock(START))  # records the Rules, as any program has
    store.dispose()


def open_program(path: Path) -> tuple[Program, SqlStore]:
    store = SqlStore(f"sqlite:///{path}", migrate=False)
    return Program(store, clock=ManualClock(START)), store


def load_seconds(path: Path, n: int) -> float:
    """CPU seconds to read every grant of the store through an open Program."""
    program, store = open_program(path)
    loaded: list[Grant] = []
    seconds = cpu_timed(lambda: loaded.extend(program.grants()))
    if len(loaded) != n:
        raise AssertionError(f"loaded {len(loaded)} grants, expected {n}")
    store.dispose()
    return seconds


def add_model_seconds(n: int) -> float:
    """CPU seconds of ``add_model`` of ``n`` plain models to one fresh shared machine."""
    employer = sample_employer("E0", at=START)
    ledger = Ledger(Decimal(0))
    machine = bare_machine(inline_guards(ledger), after_effects(ledger))
    models = [BareGrant(f"G{k:07d}", f"E{k:07d}", employer) for k in range(n)]

    def attach() -> None:
        for m in models:
            machine.add_model(m, initial="applied")

    return cpu_timed(attach)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Comparisons 3a and 3b."""
    small, large = (2_000, 20_000) if quick else (10_000, 100_000)
    reps = 3 if quick else 5
    events = lifecycle_template()
    template = fold_grant(events)
    with tempfile.TemporaryDirectory(prefix="cw-bench-load-") as d:
        tmp = Path(d)
        build_store(tmp / "small.sqlite", small, template)
        build_store(tmp / "large.sqlite", large, template)
        runs = interleaved(
            {
                "ours_small": lambda: load_seconds(tmp / "small.sqlite", small),
                "transitions_small": lambda: add_model_seconds(small),
                "ours_large": lambda: load_seconds(tmp / "large.sqlite", large),
            },
            reps,
        )
    ours_small = median(runs["ours_small"])
    ours_large = median(runs["ours_large"])
    tr_small = median(runs["transitions_small"])
    details = {
        "grant_state": template.state.value,
        "timing": "CPU time of this process; the Program is opened before timing",
        "runs_seconds": {k: [round(x, 4) for x in v] for k, v in runs.items()},
        "transitions_us_per_model": tr_small / small * 1e6,
        "program_us_per_grant": {
            str(small): ours_small / small * 1e6,
            str(large): ours_large / large * 1e6,
        },
    }
    return [
        with_goal(
            metric(
                f"3a load {small:,} grants: Program over SQLite, all grants read vs "
                f"transitions add_model of {small:,} models",
                "s", ours_small, "transitions add_model to one Machine", tr_small, False, reps,
            ),
            ">= 20x faster", at_least=20.0, **details,
        ),
        with_goal(
            metric(
                f"3b load {large:,} grants: cost per grant at {large:,} vs at {small:,}",
                "us/grant", ours_large / large * 1e6, f"Program, per grant at {small:,}",
                ours_small / small * 1e6, False, reps,
            ),
            "<= 1.2x the cost per grant at 10,000", at_least=1 / 1.2,
        ),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="comparison 3: loading grants")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    report(run(args.quick), HERE / "results-loading.json")


if __name__ == "__main__":
    main()
