"""Shared helpers of the benchmarks: interleaved repetitions, medians, the machine, output.

Benchmarks are not tests: they measure, print a table and write JSON; they assert
nothing about wall-clock time. Every figure is measured against its baseline in the
same process, interleaved, and reported as the median of several repetitions.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def interleaved(runs: dict[str, Callable[[], float]], repetitions: int) -> dict[str, list[float]]:
    """Run each named measurement ``repetitions`` times, alternating between them, and
    collect what each returns (a rate or a time)."""
    results: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repetitions):
        for name, run in runs.items():
            results[name].append(run())
    return results


def median(values: list[float]) -> float:
    """The median."""
    return statistics.median(values)


def timed(fn: Callable[[], Any]) -> float:
    """Seconds ``fn`` takes (monotonic clock)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def metric(
    name: str,
    unit: str,
    value: float,
    baseline: str,
    baseline_value: float,
    higher_is_better: bool,
    repetitions: int,
) -> dict[str, Any]:
    """One comparison in the results.json shape."""
    return {
        "name": name,
        "unit": unit,
        "value": round(value, 3),
        "baseline": baseline,
        "baseline_value": round(baseline_value, 3),
        "higher_is_better": higher_is_better,
        "repetitions": repetitions,
    }


def ratio(m: dict[str, Any]) -> float:
    """How many times better than the baseline (> 1 is better), whatever the unit."""
    if m["higher_is_better"]:
        return float(m["value"]) / float(m["baseline_value"])
    return float(m["baseline_value"]) / float(m["value"])


def report(metrics: list[dict[str, Any]], out: Path) -> None:
    """Print the table and write ``out`` as {"metrics": [...], "machine": {...}}."""
    width = max(len(m["name"]) for m in metrics)
    print(f"{'comparison':<{width}}  {'ours':>14}  {'baseline':>14}  unit        ratio")
    for m in metrics:
        print(
            f"{m['name']:<{width}}  {m['value']:>14,.1f}  {m['baseline_value']:>14,.1f}  "
            f"{m['unit']:<10}  {ratio(m):5.2f}x"
        )
    out.write_text(json.dumps({"metrics": metrics, "machine": machine()}, indent=2) + "\n")
    print(f"wrote {out}")
