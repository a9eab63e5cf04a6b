"""Shared helpers of the benchmarks: interleaved repetitions, medians, goals, the
machine, child processes, output.

Benchmarks are not tests: they measure, print a table and write JSON; they assert
nothing about wall-clock time. Every figure is measured against its baseline in the
same process run, interleaved, and reported as the median of several repetitions.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable

ORDER = (
    "1a",
    "1b",
    "2",
    "3a",
    "3b",
    "4a",
    "4b",
    "5",
    "6a",
    "6b",
    "6c",
    "6d",
    "6e",
    "7a",
    "7b",
    "8",
)
"""The comparisons of the issue, in its order; every metric's name begins with one."""


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "cpus": os.cpu_count(),
        "processor": _cpu_model() or platform.processor() or platform.machine(),
        "memory_gb": _memory_gb(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    for package in (
        "choice_workflow",
        "transitions",
        "python-statemachine",
        "eventsourcing",
        "SQLAlchemy",
        "psycopg",
        "pendulum",
    ):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = None
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    return info


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def interleaved(runs: dict[str, Callable[[], float]], repetitions: int) -> dict[str, list[float]]:
    """Run each named measurement ``repetitions`` times, alternating between them (the
    order rotates each repetition), and collect what each returns (a rate or a time)."""
    results: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for rep in range(repetitions):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            results[name].append(runs[name]())
    return results


def median(values: Sequence[float]) -> float:
    """The median."""
    return statistics.median(values)


def timed(fn: Callable[[], Any]) -> float:
    """Wall seconds ``fn`` takes (monotonic clock): for work that waits on a disk or a
    server, whose waiting is part of the cost."""
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_timed(fn: Callable[[], Any]) -> float:
    """CPU seconds of this process that ``fn`` takes: for work done in this process
    alone, so that other processes holding the shared cores do not count."""
    gc.collect()
    start = time.process_time()
    fn()
    return time.process_time() - start


def metric(
    name: str,
    unit: str,
    value: float,
    baseline: str,
    baseline_value: float | None,
    higher_is_better: bool,
    repetitions: int,
) -> dict[str, Any]:
    """One comparison in the results.json shape."""
    return {
        "name": name,
        "unit": unit,
        "value": _round(value),
        "baseline": baseline,
        "baseline_value": None if baseline_value is None else _round(baseline_value),
        "higher_is_better": higher_is_better,
        "repetitions": repetitions,
    }


def _round(x: float) -> float:
    return round(float(x), 3) if abs(x) >= 1 else float(f"{x:.4g}")


def ratio(m: dict[str, Any]) -> float | None:
    """How many times better than the baseline (> 1 is better), whatever the unit."""
    if m.get("baseline_value") in (None, 0) or not m.get("value"):
        return None
    if m["higher_is_better"]:
        return float(m["value"]) / float(m["baseline_value"])
    return float(m["baseline_value"]) / float(m["value"])


def with_goal(
    m: dict[str, Any],
    text: str,
    *,
    at_least: float | None = None,
    value_at_most: float | None = None,
    **details: Any,
) -> dict[str, Any]:
    """Attach the goal: ``at_least`` is the least ratio (times better than the baseline,
    see :func:`ratio`); ``value_at_most`` bounds the value itself. Adds ``ratio``,
    ``goal``, ``met`` and any ``details``."""
    r = ratio(m)
    m["ratio"] = None if r is None else round(r, 3)
    m["goal"] = text
    if at_least is not None:
        m["goal_ratio_at_least"] = at_least
        m["met"] = r is not None and r >= at_least
    elif value_at_most is not None:
        m["goal_value_at_most"] = value_at_most
        m["met"] = m["value"] <= value_at_most
    else:
        m["met"] = None
    if details:
        m["details"] = details
    return m


def metric_id(m: dict[str, Any]) -> str:
    """The comparison id a metric's name begins with (``6b``, ``8``)."""
    return str(m["name"]).split()[0]


def sort_metrics(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """In the issue's order."""
    rank = {k: n for n, k in enumerate(ORDER)}
    return sorted(metrics, key=lambda m: rank.get(metric_id(m), len(rank)))


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}"
    return f"{x:.3g}"


def table(metrics: list[dict[str, Any]]) -> str:
    """The results as a plain-text table (one row per comparison)."""
    rows = [("id", "comparison", "ours", "baseline", "unit", "ratio", "goal", "met")]
    for m in sort_metrics(metrics):
        name = str(m["name"])
        ident, _, label = name.partition(" ")
        met = m.get("met")
        rows.append(
            (
                ident,
                label if len(label) <= 60 else label[:57] + "...",
                _fmt(m["value"]),
                _fmt(m["baseline_value"]),
                str(m["unit"]),
                "-" if m.get("ratio") is None else f"{m['ratio']:.3g}x",
                str(m.get("goal", "")),
                "-" if met is None else ("met" if met else "MISSED"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = {2, 3, 5}
    lines = []
    for n, r in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(metrics: list[dict[str, Any]]) -> str:
    """The results as the Markdown table of docs/performance.md."""
    lines = [
        "| id | comparison | ours | baseline | unit | ratio | goal | met |",
        "|---|---|--:|--:|---|--:|---|---|",
    ]
    for m in sort_metrics(metrics):
        ident, _, label = str(m["name"]).partition(" ")
        met = m.get("met")
        ratio_text = "-" if m.get("ratio") is None else f"{m['ratio']:.3g}x"
        if m.get("error"):
            label += f" ({m['error']})"
        if m["baseline_value"] is None:
            baseline = m["baseline"] or "-"
        else:
            baseline = _fmt(m["baseline_value"]) + (f" ({m['baseline']})" if m["baseline"] else "")
        lines.append(
            f"| {ident} | {label} | {_fmt(m['value'])} | {baseline} | {m['unit']} | "
            f"{ratio_text} | {m.get('goal', '')} | "
            f"{'-' if met is None else ('met' if met else '**missed**')} |"
        )
    return "\n".join(lines)


def report(metrics: list[dict[str, Any]], out: Path) -> None:
    """Print the table and write ``out`` as {"metrics": [...], "machine": {...}}."""
    for m in metrics:
        if "ratio" not in m:
            r = ratio(m)
            m["ratio"] = None if r is None else round(r, 3)
    print(table(metrics))
    out.write_text(json.dumps({"metrics": metrics, "machine": machine()}, indent=2) + "\n")
    print(f"wrote {out}")


def statements_per_call(engine: Any, fn: Callable[[], Any], calls: int) -> dict[str, float]:
    """SQL statements the engine sends per call of ``fn`` (counted over ``calls`` calls),
    and the commits: each is a round trip to a server (PostgreSQL)."""
    from sqlalchemy import event

    counts = {"statements": 0, "commits": 0}

    def on_execute(*_: Any) -> None:
        counts["statements"] += 1

    def on_commit(*_: Any) -> None:
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        for _ in range(calls):
            fn()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    return {k: v / calls for k, v in counts.items()}


def child_env() -> dict[str, str]:
    """The environment for a child process: it imports the same choice_workflow as this
    one (PYTHONPATH first, then the installed package) and finds the benchmarks."""
    env = dict(os.environ)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(ROOT) not in paths:
        paths.append(str(ROOT))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_child(module: str, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``python -m benchmarks.<module> args`` to the end; return the JSON object its
    last line of output prints."""
    done = subprocess.run(
        [PYTHON, "-P", "-m", f"benchmarks.{module}", *args],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.{module} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def start_child(module: str, *args: str) -> subprocess.Popen[str]:
    """Start ``python -m benchmarks.<module> args``; read it with :func:`finish_child`."""
    return subprocess.Popen(
        [PYTHON, "-P", "-m", f"benchmarks.{module}", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )


def finish_child(process: subprocess.Popen[str], timeout: float = 1800) -> dict[str, Any]:
    """Wait for a child started by :func:`start_child`; return its last line's JSON."""
    out, err = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, process.args))} failed:\n{err[-3000:]}")
    return dict(json.loads(out.strip().splitlines()[-1]))


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB.

    Linux's ``VmHWM`` (the high-water mark of this program's memory, reset by exec).
    ``getrusage(RUSAGE_SELF).ru_maxrss`` is not used where another is at hand: Linux
    carries it over exec, so a child started by a large parent reports at least the
    parent's size at the fork (see :func:`ru_maxrss_mb`)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return ru_maxrss_mb()


def ru_maxrss_mb() -> float:
    """``resource.getrusage(RUSAGE_SELF).ru_maxrss`` in MB (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def library_path() -> str:
    """Where choice_workflow is imported from (the tree measured)."""
    import choice_workflow

    return str(Path(choice_workflow.__file__).resolve().parent)


def ensure_path() -> None:
    """Make ``benchmarks`` importable when a file is run as a script. Appended, not
    prepended: a choice_workflow on PYTHONPATH stays the one imported."""
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
