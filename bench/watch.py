"""Watching a cell drain: settled lines, the daemons' CPU and memory, once a second.

The figures of a cell come from these samples: lines/s and CPU per line over
the steady part of the drain (from 10 % to 90 % of the lines settled, leaving
out start-up and the tail), RSS at its peak and at the end.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from bench.fleet import Fleet
from bridge.core.states import BUSY
from bridge.lab.torture_report import settled
from bridge.ports import StorePort


@dataclass(frozen=True)
class Sample:
    t: float  # monotonic seconds
    settled: int  # lines stored and at rest
    stored: int  # lines stored, whatever their state
    cpu_s: float  # every daemon's CPU seconds so far
    rss_mb: float  # the largest daemon's resident memory
    peak_rss_mb: float  # the largest daemon's peak resident memory so far


@dataclass
class Drain:
    samples: list[Sample]
    done: bool  # every line settled (False: stopped at the time limit)


def _stored(counts: dict[str, int]) -> int:
    return sum(v for k, v in counts.items() if not k.startswith("_"))


def _at_rest(counts: dict[str, int]) -> int:
    return _stored(counts) - sum(counts.get(s.value, 0) for s in BUSY)


async def watch(store: StorePort, daemons: Fleet, lines: int, limit_s: float, every_s: float = 1.0) -> Drain:
    """Sample until every one of ``lines`` is settled or ``limit_s`` has passed."""
    samples: list[Sample] = []
    deadline = time.monotonic() + limit_s
    while True:
        counts = await store.views.progress()
        rss, peak = (max(daemons.rss_mb(field), default=0.0) for field in ("VmRSS", "VmHWM"))
        samples.append(
            Sample(time.monotonic(), _at_rest(counts), _stored(counts), daemons.cpu_s(), rss, peak)
        )
        if settled(counts, lines):
            return Drain(samples, True)
        if time.monotonic() >= deadline:
            return Drain(samples, False)
        if dead := [m for m in daemons.group.members if not m.running]:
            raise RuntimeError(f"a daemon exited during the cell; see {dead[0].log_path}")
        await asyncio.sleep(every_s)


def steady(samples: list[Sample], lines: int) -> tuple[float, float | None, float]:
    """(lines/s, CPU ms per line, seconds) between 10 % and 90 % settled; the whole run if too short.

    CPU per line is None when no line settled at all.
    """
    first = next((s for s in samples if s.settled >= 0.1 * lines), samples[0])
    last = next((s for s in samples if s.settled >= 0.9 * lines), samples[-1])
    if last.t - first.t < 2.0 or last.settled <= first.settled:
        first, last = samples[0], samples[-1]
    moved = last.settled - first.settled
    span = max(1e-6, last.t - first.t)
    cpu_ms = (last.cpu_s - first.cpu_s) * 1000 / moved if moved > 0 else None
    return moved / span, cpu_ms, span


def rss_figures(drain: Drain) -> dict[str, float]:
    """The largest daemon's resident memory in MB: its peak during the cell, and at the end."""
    last = drain.samples[-1]
    return {"peak": round(max(last.peak_rss_mb, last.rss_mb), 1), "end": round(last.rss_mb, 1)}


def backlog_figures(drain: Drain, lines: int, started: float) -> dict[str, Any]:
    """The rss cell's memory story: idle (the first sample, before the first poll has grown it),
    when intake had stored every line and the memory then, and the largest sample after that.

    A daemon that grows while it lists and stores the backlog peaks before ``stored_all_s``; one
    that grows while it provisions keeps climbing after it (``peak_after_stored`` against ``end``).
    """
    first = drain.samples[0]
    stored = next((s for s in drain.samples if s.stored >= lines), None)
    after = [s.rss_mb for s in drain.samples if stored is not None and s.t >= stored.t]
    return {
        "idle": round(first.rss_mb, 1),
        "stored_all_s": None if stored is None else round(stored.t - started, 1),
        "at_stored_all": None if stored is None else round(stored.rss_mb, 1),
        "peak_after_stored": round(max(after), 1) if after else None,
        "by_minute": _by_minute(drain.samples, started),
    }


def _by_minute(samples: list[Sample], started: float) -> list[tuple[int, int, float]]:
    """(seconds, lines stored, RSS MB) once a minute: flat or growing, and against what was stored."""
    out: list[tuple[int, int, float]] = []
    for s in samples:
        if not out or s.t - started >= out[-1][0] + 60:
            out.append((int(s.t - started), s.stored, round(s.rss_mb, 1)))
    return out
