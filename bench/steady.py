"""Latency cells: orders arriving at a steady rate, payment → delivered as the marketplace saw it.

The daemons start first; orders are then placed and paid at ``rate`` per
second through the shopper endpoints, and the percentiles come from the
marketplace sandbox's own ``paid_at`` and ``consigned_at`` (``bridge.lab.verify``).
With ``intake = "push"`` the bridge's ``[push]`` section is enabled and polling
slowed to the production default (30 s), so the figure is push's; with
``"poll"`` polling alone runs every ``poll_interval_s``. A Pinduoduo cell
(polling alone) reads its times from the Pinduoduo sandbox's ``pay_time`` and
first delivery (the same ``bridge.lab.verify``).
"""

from __future__ import annotations

import time
from typing import Any

from bench.cells import Cell
from bench.rig import cell_rig, per_line, per_trade
from bench.watch import rss_figures, watch
from bridge.lab.scenario import PlannedOrder
from bridge.settings import Settings

PUSH_POLL_INTERVAL_S = 30.0


def push_available() -> bool:
    """Whether this bridge has push intake (a ``[push]`` section in its settings)."""
    return "push" in Settings.model_fields


def _sections(cell: Cell) -> dict[str, dict[str, Any]]:
    if cell.intake == "push":
        return {"push": {"enabled": True}, "polling": {"interval_s": PUSH_POLL_INTERVAL_S}}
    sections: dict[str, dict[str, Any]] = {"polling": {"interval_s": cell.poll_interval_s}}
    if push_available():
        sections["push"] = {"enabled": False}
    return sections


async def run_steady(cell: Cell) -> dict[str, Any]:
    """One latency cell: its figures."""
    async with cell_rig(cell, **_sections(cell)) as rig:
        await rig.daemons.start()
        calls_before = await rig.market_calls()
        placed: list[PlannedOrder] = []
        started, cpu_before = time.monotonic(), rig.daemons.cpu_s()
        await rig.place_at_rate(cell.orders, cell.rate, placed)
        lines = sum(len(o.lines) for o in placed)
        drain = await watch(rig.store, rig.daemons, lines, cell.limit_s)
        calls_after = await rig.market_calls()
        last = drain.samples[-1]
        report = await rig.verify(placed)
        counts = await rig.daemons.stop()
        cpu_ms = (last.cpu_s - cpu_before) * 1000 / max(1, lines)
    return {
        "orders": len(placed),
        "lines": lines,
        "lines_settled": last.settled,
        "drained": drain.done,
        "run_s": round(last.t - started, 1),
        "poll_interval_s": PUSH_POLL_INTERVAL_S if cell.intake == "push" else cell.poll_interval_s,
        "latency_ms": report["latency_ms"],
        "cpu_ms_per_line": round(cpu_ms, 2),
        **per_line(counts, last.settled),
        "market_calls_per_trade": per_trade(calls_before, calls_after, len(placed)),
        "rss_mb": rss_figures(drain),
        "duplicates": report["duplicates"],
        "lost": report["lost"],
    }
