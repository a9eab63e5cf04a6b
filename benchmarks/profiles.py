"""Profiles of the comparisons whose goal was missed (pyinstrument).

For each missed comparison of ``benchmarks/results.json`` (or those named), runs the
library's side of it under pyinstrument and writes ``benchmarks/profiles/<key>.txt``:
the share of time of the functions with the most time of their own, the
choice_workflow functions with the most time including what they call, and the call
tree. docs/performance.md summarises them.

    python benchmarks/profiles.py            # the missed goals of results.json
    python benchmarks/profiles.py 1 6ab      # these profiles
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from benchmarks._common import HERE, metric_id

OUT = HERE / "profiles"

PROFILE_OF = {
    "1a": "1",
    "1b": "1",
    "3a": "3",
    "3b": "3",
    "4a": "4",
    "4b": "4",
    "5": "5",
    "6a": "6ab",
    "6b": "6ab",
    "6c": "6c",
    "7a": "7a",
    "7b": "7b",
}
"""The profile that explains each comparison (one profile may serve two)."""


def short(path: str | None) -> str:
    if not path:
        return "?"
    for marker in ("/choice_workflow/", "/site-packages/", "/benchmarks/"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            return (marker.strip("/") + "/" + tail) if marker != "/site-packages/" else tail
    if "/lib/python3" in path:
        return "stdlib/" + path.split("/lib/python3", 1)[1].split("/", 1)[1]
    return path


def summary(session: Any, title: str, workload: str, top: int = 25) -> str:
    """Flat tables (self time; choice_workflow inclusive time) and the call tree."""
    root = session.root_frame()
    total = root.time if root is not None else 0.0
    own: dict[str, float] = defaultdict(float)
    inclusive: dict[str, float] = defaultdict(float)

    def walk(frame: Any, ancestors: frozenset[str]) -> None:
        if frame.is_synthetic:  # pyinstrument's [self] and [await] leaves
            return
        key = f"{short(frame.file_path)}:{frame.function}"
        own[key] += frame.total_self_time
        if key.startswith("choice_workflow/") and key not in ancestors:
            inclusive[key] += frame.time
        for child in frame.children:
            walk(child, ancestors | {key})

    if root is not None:
        walk(root, frozenset())
    lines = [
        f"# {title}",
        f"workload: {workload}",
        f"profiler: pyinstrument (statistical, wall clock), total {total:.2f} s",
        "",
        f"## functions by time of their own (top {top})",
        " share   seconds  function",
    ]
    for key, t in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{100 * t / total:5.1f}%  {t:8.3f}  {key}")
    lines += [
        "",
        f"## choice_workflow functions by time including callees (top {top})",
        " share   seconds  function",
    ]
    for key, t in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{100 * t / total:5.1f}%  {t:8.3f}  {key}")
    tree = session_text(session)
    lines += ["", "## call tree (pyinstrument)", *tree.splitlines()[:160]]
    return "\n".join(lines) + "\n"


def session_text(session: Any) -> str:
    from pyinstrument.renderers import ConsoleRenderer

    renderer = ConsoleRenderer(unicode=False, color=False, show_all=False, short_mode=False)
    renderer.processor_options = {"filter_threshold": 0.01}
    return str(renderer.render(session))


def profiled(fn: Callable[[], Any], interval: float = 0.001) -> Any:
    from pyinstrument import Profiler

    profiler = Profiler(interval=interval)
    profiler.start()
    fn()
    return profiler.stop()


# -- the workloads -------------------------------------------------------------------------


@contextlib.contextmanager
def workload(key: str, tmp: Path) -> Iterator[tuple[str, Callable[[], Any]]]:
    """The library's side of a comparison: (description, the call to profile)."""
    if key == "1":
        from benchmarks.lifecycle import ProgramRun

        run = ProgramRun.prepare(1000)
        run.apply_all()
        yield (
            "1,000 grants through approve, confirm_notice, accept, begin_transition, "
            "evaluate on an in-memory Program (the measured part of 1a/1b)",
            run.lifecycle_all,
        )
    elif key == "3":
        from benchmarks import loading
        from benchmarks.lifecycle import lifecycle_template
        from choice_workflow.projections.grants import fold as fold_grant

        loading.build_store(tmp / "g.sqlite", 100_000, fold_grant(lifecycle_template()))
        program, store = loading.open_program(tmp / "g.sqlite")
        yield "Program.grants() of a SQLite store holding 100,000 grants", program.grants
        store.dispose()
    elif key == "4":
        from benchmarks.store import DEPARTMENT, durable_program

        program, store, ids = durable_program(tmp / "w.sqlite")

        def writes() -> None:
            for n in range(1000):
                program.review(ids[n % len(ids)], DEPARTMENT, notes="checked")

        yield "1,000 Program.review commands on a SQLite file (synchronous=FULL)", writes
        store.dispose()
    elif key == "5":
        from benchmarks._logs import write_jsonl
        from choice_workflow.audit import import_log
        from choice_workflow.simulate import simulate
        from choice_workflow.store.memory import MemoryStore
        from choice_workflow.store.sql import SqlStore

        memory = MemoryStore()
        simulate(100, store=memory, wages=False)
        write_jsonl(memory, tmp / "log.jsonl")
        store = SqlStore(f"sqlite:///{tmp / 'i.sqlite'}")
        yield (
            f"import_log of simulate(100, wages=False) ({len(memory.log):,} events) into SQLite",
            lambda: import_log(tmp / "log.jsonl", store),
        )
        store.dispose()
    elif key in ("6ab", "6c"):
        from benchmarks._logs import write_sqlite
        from choice_workflow.audit import verify
        from choice_workflow.simulate import simulate
        from choice_workflow.store.memory import MemoryStore
        from choice_workflow.store.sql import SqlStore

        memory = MemoryStore()
        simulate(300, store=memory, wages=False)
        events = write_sqlite(memory, tmp / "r.sqlite")
        store = SqlStore(f"sqlite:///{tmp / 'r.sqlite'}", migrate=False)
        guards = key == "6c"
        yield (
            f"verify(store, guards={guards}) of simulate(300, wages=False) in SQLite "
            f"({events:,} events)",
            lambda: verify(store, guards=guards),
        )
        store.dispose()
    elif key == "7a":
        from benchmarks import postgres
        from choice_workflow import ManualClock, Program
        from choice_workflow._pgserver import running_server
        from choice_workflow.store.sql import SqlStore

        with running_server() as server:
            url = server.create_database("bench")
            postgres.setup(url, ["A"])
            store = SqlStore(url, migrate=False)
            program = Program(store, clock=ManualClock(postgres.START))
            ids = postgres.grant_ids("A")

            def commands() -> None:
                for n in range(1000):
                    program.review(ids[n % len(ids)], postgres.DEPARTMENT, notes="checked")

            yield "1,000 Program.review commands on PostgreSQL, one per transaction", commands
            store.dispose()
    elif key == "7b":
        yield from _two_processes(tmp)
    else:
        raise SystemExit(f"no profile {key!r}; known: {sorted(set(PROFILE_OF.values()))}")


def _two_processes(tmp: Path) -> Iterator[tuple[str, Callable[[], Any]]]:
    """7b: a worker profiled while another runs beside it (py-spy would need the pid of
    a child; the worker profiles itself with pyinstrument instead)."""
    import os
    import threading
    from collections import Counter

    import psycopg

    from benchmarks import postgres
    from choice_workflow._pgserver import running_server

    with running_server() as server:
        url = server.create_database("bench")
        postgres.setup(url, ["W1", "W2"])
        out = tmp / "worker.txt"

        def run() -> None:
            import subprocess

            from benchmarks._common import PYTHON, ROOT, child_env

            env = dict(child_env(), CW_BENCH_PROFILE=str(out))
            other = subprocess.Popen(
                [PYTHON, "-P", "-m", "benchmarks.postgres", "worker", url, "W2", "1500"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_env(), cwd=ROOT,
            )  # fmt: skip
            mine = subprocess.Popen(
                [PYTHON, "-P", "-m", "benchmarks.profiles", "--worker", url, "W1", "1500"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
            )  # fmt: skip
            for p in (other, mine):
                assert p.stdout is not None
                p.stdout.readline()
            for p in (other, mine):
                assert p.stdin is not None
                p.stdin.write("go\n")
                p.stdin.flush()
            for p in (other, mine):
                p.communicate(timeout=600)

        waits: Counter[str] = Counter()
        stop = threading.Event()

        def sample() -> None:
            """What the two server backends wait for, every 10 ms."""
            with psycopg.connect(server.dsn("bench"), autocommit=True) as conn:
                while not stop.is_set():
                    for wait_type, wait_event, state in conn.execute(
                        "SELECT wait_event_type, wait_event, state FROM pg_stat_activity "
                        "WHERE datname = 'bench' AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend'"
                    ):
                        waits[f"{state}: {wait_type or 'running'} {wait_event or ''}".strip()] += 1
                    time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            yield "a worker of 7b (1,500 reviews) while a second worker runs beside it", run
        finally:
            stop.set()
            sampler.join()
    OUT.mkdir(exist_ok=True)
    if out.exists():
        total = sum(waits.values()) or 1
        lines = [
            "",
            "## the server backends meanwhile (pg_stat_activity, sampled every 10 ms)",
            " share  state: wait event",
            *(f"{100 * n / total:5.1f}%  {k}" for k, n in waits.most_common(10)),
            f"load average at the end: {os.getloadavg()}",
        ]
        (OUT / "7b.txt").write_text(out.read_text() + "\n".join(lines) + "\n")


def profiled_worker(url: str, prefix: str, commands: int, out: Path) -> None:
    """A 7b worker that profiles its own commands."""
    from benchmarks import postgres
    from choice_workflow import ManualClock, Program
    from choice_workflow.store.sql import SqlStore

    store = SqlStore(url, migrate=False)
    program = Program(store, clock=ManualClock(postgres.START))
    ids = postgres.grant_ids(prefix)
    program.review(ids[0], postgres.DEPARTMENT, notes="warm-up")
    print("ready", flush=True)
    sys.stdin.readline()

    def go() -> None:
        for n in range(commands):
            program.review(ids[n % len(ids)], postgres.DEPARTMENT, notes="checked")

    session = profiled(go)
    out.write_text(
        summary(
            session,
            "profile 7b: one of two PostgreSQL worker processes",
            f"{commands:,} Program.review commands in one worker while another runs",
        )
    )
    print("{}", flush=True)


def profile(key: str) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{key}.txt"
    with (
        tempfile.TemporaryDirectory(prefix="cw-bench-profile-") as d,
        workload(key, Path(d)) as (
            description,
            fn,
        ),
    ):
        start = time.perf_counter()
        session = profiled(fn)
        if key != "7b":
            path.write_text(summary(session, f"profile {key}", description))
        print(f"{key}: {time.perf_counter() - start:.1f} s -> {path}")
    return path


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        import os

        profiled_worker(
            sys.argv[2], sys.argv[3], int(sys.argv[4]), Path(os.environ["CW_BENCH_PROFILE"])
        )
        return
    parser = argparse.ArgumentParser(description="profiles of the missed goals")
    parser.add_argument("keys", nargs="*", help="profiles (1, 3, 4, 5, 6ab, 6c, 7a, 7b)")
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    keys = args.keys
    if not keys:
        metrics = json.loads(args.results.read_text())["metrics"]
        missed = [metric_id(m) for m in metrics if m.get("met") is False]
        keys = sorted({PROFILE_OF[i] for i in missed if i in PROFILE_OF})
        print(f"missed: {', '.join(missed) or 'none'}; profiles: {', '.join(keys) or 'none'}")
    for key in keys:
        profile(key)


if __name__ == "__main__":
    main()
