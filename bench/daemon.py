"""``python -m bench.daemon run --config FILE``: the bridge daemon, counting its SQL.

Installs SQLAlchemy event listeners on the sync ``Engine`` class (they fire for
async engines too) before the bridge's own entry point runs, and at exit writes
what it counted, with the process's CPU time, as JSON to the file named by
``$BENCH_COUNTS_PATH``. Statements are also counted by the scheduler job that
ran them (``poll``, ``fulfil``, ``writeback``, ``memos``, ``sweep``,
``mappings``; ``other`` for start-up and the health page): each job's coroutine
runs with a context variable naming it, which SQLAlchemy carries into the
greenlet that executes the statement. With ``$BENCH_PROFILE_PATH`` set the
daemon runs under cProfile and its stats go to that path with the process id
appended (``python -m pstats`` reads them). Production code is untouched: only
the benchmark starts the daemon this way.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

COUNTS_ENV = "BENCH_COUNTS_PATH"
PROFILE_ENV = "BENCH_PROFILE_PATH"  # set: the daemon runs under cProfile, its stats written there
TRACEMALLOC_ENV = "BENCH_TRACEMALLOC_PATH"  # set: allocations logged there, a snapshot once a minute
TRACEMALLOC_EVERY_S = 60.0
TRACEMALLOC_LOG_S = 5.0
JOB: ContextVar[str] = ContextVar("bench_job", default="other")


def install_counters(counts: Counter[str]) -> None:
    """Count statements (one per cursor execution, ``executemany`` once, also by job) and transactions."""

    def statement(*_: Any) -> None:
        counts["statements"] += 1
        counts[f"statements.{JOB.get()}"] += 1

    def begin(_conn: Any) -> None:
        counts["transactions"] += 1
        counts[f"transactions.{JOB.get()}"] += 1

    def commit(_conn: Any) -> None:
        counts["commits"] += 1

    def rollback(_conn: Any) -> None:
        counts["rollbacks"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "begin", begin)
    event.listen(Engine, "commit", commit)
    event.listen(Engine, "rollback", rollback)


Job = Callable[[Any], Awaitable[Any]]


def tag_jobs() -> None:
    """Run every scheduler job with ``JOB`` set to its name (by wrapping what the scheduler wraps)."""
    from bridge.services import jobs

    guarded = jobs._guarded  # the one place each job gets its name

    def tagged(name: str, fn: Job, deps: Any) -> Callable[[], Awaitable[None]]:
        async def run(d: Any) -> Any:
            token = JOB.set(name)
            try:
                return await fn(d)
            finally:
                JOB.reset(token)

        return guarded(name, run, deps)

    jobs._guarded = tagged  # a bench-only wrapper of the same shape


def _write(path: Path, counts: Counter[str]) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    path.write_text(
        json.dumps({**counts, "cpu_s": round(usage.ru_utime + usage.ru_stime, 3)}), encoding="utf-8"
    )


def trace_memory(path: str) -> None:
    """Snapshot the daemon's allocations once a minute to ``path.PID.N`` (``tracemalloc`` compares them)."""
    import threading
    import tracemalloc

    tracemalloc.start(12)

    def dump() -> None:
        n, started = 0, time.monotonic()
        with open(f"{path}.{os.getpid()}.log", "a", encoding="utf-8") as log:
            while not stop.wait(TRACEMALLOC_LOG_S):  # seconds, traced now and peak (MB)
                now, peak = (round(b / 1e6, 1) for b in tracemalloc.get_traced_memory())
                print(round(time.monotonic() - started), now, peak, file=log, flush=True)
                if time.monotonic() - started >= (n + 1) * TRACEMALLOC_EVERY_S:
                    tracemalloc.take_snapshot().dump(f"{path}.{os.getpid()}.{n}")
                    n += 1

    stop = threading.Event()
    threading.Thread(target=dump, name="tracemalloc", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    from bridge.cli.main import main as bridge_main

    counts: Counter[str] = Counter()
    install_counters(counts)
    tag_jobs()
    target = os.environ.get(COUNTS_ENV)
    profile_path = os.environ.get(PROFILE_ENV)
    if trace_path := os.environ.get(TRACEMALLOC_ENV):
        trace_memory(trace_path)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if not profile_path:
            return bridge_main(args)
        import cProfile

        profiler = cProfile.Profile()
        try:
            return profiler.runcall(bridge_main, args)
        finally:
            profiler.dump_stats(f"{profile_path}.{os.getpid()}")
    finally:
        if target:
            _write(Path(target), counts)


if __name__ == "__main__":
    sys.exit(main())
