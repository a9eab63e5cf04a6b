"""Comparison 8: simulate 10,000 employers through both cycles to evaluation.

``choice_workflow.simulate.simulate(10_000, wages=False)`` (a Program over a MemoryStore;
its docs advise leaving out the per-worker wage records for very large runs, headcounts
are still reported) in a fresh child process, which reports the events of the log, the
CPU seconds of the run and its peak resident set size. No peer: recorded for the trend.

Run: ``python -m benchmarks.simulation [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from benchmarks._common import finish_child, metric, peak_rss_mb, start_child, with_goal


def employers(quick: bool) -> int:
    return 500 if quick else 10_000


def simulate_once(n: int) -> dict[str, Any]:
    from choice_workflow.simulate import simulate
    from choice_workflow.store.memory import MemoryStore

    before = peak_rss_mb()
    memory = MemoryStore()
    cpu, wall = time.process_time(), time.perf_counter()
    program = simulate(n, store=memory, wages=False)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    events = len(memory.log)
    return {
        "employers": n,
        "grants": len(program.grants()),
        "events": events,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "events_per_cpu_second": events / cpu,
        "peak_rss_mb_before": before,
        "peak_rss_mb": peak_rss_mb(),
    }


class Started:
    """The simulation running in a child process."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.process = start_child("simulation", "--child", str(employers(quick)))

    def metrics(self) -> list[dict[str, Any]]:
        r = finish_child(self.process)
        return [
            with_goal(
                metric(
                    f"8 simulate {r['employers']:,} employers through both cycles to "
                    f"evaluation ({r['events']:,} events; peak RSS {r['peak_rss_mb']:,.0f} MB)",
                    "events/s", r["events_per_cpu_second"], "none (recorded for the trend)",
                    None, True, 1,
                ),
                "trend only (no peer)", **r,
            )
        ]  # fmt: skip


def start(quick: bool = False) -> Started:
    return Started(quick)


def run(quick: bool = False) -> list[dict[str, Any]]:
    return start(quick).metrics()


def main() -> None:
    parser = argparse.ArgumentParser(description="comparison 8: simulate")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(simulate_once(args.child)))
    else:
        print(json.dumps(run(args.quick), indent=2))


if __name__ == "__main__":
    main()
