"""The benchmark suite (``make bench``): every comparison of docs/performance.md.

Runs the groups, prints one table (ours, baseline, ratio, goal, met) and writes
``benchmarks/results.json``: ``{"metrics": [...], "machine": {...}, "run": {...}}``, one
metric per comparison (1a ... 8), each with the raw medians of both sides in the same
unit, the repetitions, the goal and whether it was met.

    python benchmarks/run.py              # everything (about 10 minutes on 2 cores)
    python benchmarks/run.py --quick      # a smoke run: small sizes, results-quick.json
    python benchmarks/run.py --only 4,6   # some groups, merged into results.json

Groups: 1 (1a, 1b) lifecycle steps; 2 memory per grant; 3 (3a, 3b) loading; 4 (4a,
4b) durable writes; 5 bulk import; 6 (6a-6d) replay; 7 (7a, 7b) PostgreSQL; 8 simulate.
The simulation (8) and the build of the long logs of 6d run first, side by side in two
child processes, while nothing else is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (
    HERE,
    ORDER,
    library_path,
    machine,
    markdown_table,
    metric_id,
    sort_metrics,
    table,
)

GROUPS = ("1", "2", "3", "4", "5", "6", "7", "8")


def selected(only: str | None) -> list[str]:
    if not only:
        return list(GROUPS)
    chosen = {part.strip()[:1] for part in only.split(",") if part.strip()}
    unknown = chosen - set(GROUPS)
    if unknown:
        raise SystemExit(f"unknown group(s): {', '.join(sorted(unknown))}; use {','.join(GROUPS)}")
    return [g for g in GROUPS if g in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the benchmark suite")
    parser.add_argument("--quick", action="store_true", help="a smoke run with small sizes")
    parser.add_argument("--only", help="comma-separated groups, e.g. 4,6")
    parser.add_argument("--out", type=Path, help="results file (default results.json)")
    parser.add_argument(
        "--markdown", action="store_true", help="print the results file as Markdown; run nothing"
    )
    args = parser.parse_args(argv)
    if args.markdown:
        path = args.out or HERE / ("results-quick.json" if args.quick else "results.json")
        print(markdown_table(json.loads(path.read_text())["metrics"]))
        return 0
    groups = selected(args.only)
    out: Path = args.out or HERE / ("results-quick.json" if args.quick else "results.json")
    quick = bool(args.quick)
    wall = time.perf_counter()
    info = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    print(f"library: {library_path()}", flush=True)

    from benchmarks import lifecycle, loading, postgres, replay_memory, simulation, store

    metrics: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}

    def attempt(group: str, fn: Callable[[], list[dict[str, Any]]]) -> None:
        start = time.perf_counter()
        print(f"\n== group {group} ==", flush=True)
        try:
            got = fn()
        except Exception as exc:
            traceback.print_exc()
            lines = str(exc).strip().splitlines()  # a child's last line: its exception
            errors[group] = f"{type(exc).__name__}: {lines[-1] if lines else ''}"[:1000]
            got = []
        seconds[group] = round(time.perf_counter() - start, 1)
        for m in got:
            print(
                f"  {m['name'][:90]}: {m['value']} vs {m['baseline_value']} {m['unit']}", flush=True
            )
        print(f"  ({seconds[group]} s)", flush=True)
        metrics.extend(got)

    # 8 and the long logs of 6d: two child processes side by side, nothing else measured.
    sim = build = None
    prelude = time.perf_counter()
    try:
        if "8" in groups:
            sim = simulation.start(quick)
        if "6" in groups:
            build = replay_memory.start_build(quick)
        if build is not None:
            started = build

            def wait_build() -> list[dict[str, Any]]:
                started.wait()
                return []

            attempt("6d build", wait_build)
        if sim is not None:
            attempt("8", sim.metrics)
        seconds["children"] = round(time.perf_counter() - prelude, 1)

        plan: dict[str, Callable[[], list[dict[str, Any]]]] = {
            "1": lambda: lifecycle.run_steps(quick),
            "2": lambda: lifecycle.run_memory(quick),
            "3": lambda: loading.run(quick),
            "4": lambda: store.run_writes(quick),
            "5": lambda: store.run_import(quick),
            "6": lambda: store.run_replay(quick) + replay_memory.run(quick, build),
            "7": lambda: postgres.run(quick),
        }
        for group in groups:
            if group in plan:
                attempt(group, plan[group])
    finally:
        if build is not None:
            build.cleanup()

    measured = {metric_id(m) for m in metrics}
    for ident in ORDER:
        if ident[:1] in groups and ident not in measured:
            # A group that failed still has its line: no figure, and why.
            why = errors.get(ident[:1]) or errors.get(f"{ident} build") or "not measured"
            if ident == "6d" and "6d build" in errors:
                why = errors["6d build"]
            metrics.append(
                {
                    "name": f"{ident} not measured: the benchmark failed",
                    "unit": "",
                    "value": None,
                    "baseline": "",
                    "baseline_value": None,
                    "higher_is_better": True,
                    "repetitions": 0,
                    "ratio": None,
                    "goal": "",
                    "met": None,
                    "error": why,
                }
            )
    if args.only and out.exists():
        kept = [m for m in json.loads(out.read_text())["metrics"] if metric_id(m)[:1] not in groups]
        metrics = kept + metrics
    metrics = sort_metrics(metrics)
    total = time.perf_counter() - wall
    results = {
        "metrics": metrics,
        "machine": info,
        "run": {
            "command": "python benchmarks/run.py"
            + (" --quick" if quick else "")
            + (f" --only {args.only}" if args.only else ""),
            "quick": quick,
            "groups": groups,
            "seconds": round(total, 1),
            "seconds_per_group": seconds,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "errors": errors,
            "library": library_path(),
        },
    }
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("\n" + table(metrics))
    missed = [metric_id(m) for m in metrics if m.get("met") is False]
    print(f"\nmissed: {', '.join(missed) or 'none'}")
    if errors:
        print(f"errors: {errors}")
    print(f"wrote {out} in {total:.0f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
