"""Backlog cells: a backlog placed in bulk, then the daemons started and watched until it is drained.

``throughput`` reports lines/s over the steady part of the drain and its ratio
to the billing core's capacity (cap ÷ latency), the daemons' CPU per line, SQL
statements and transactions per line and marketplace calls per trade, and
checks exactly-once on the sandboxes' records. ``rss`` drains a backlog of
``backlog_lines`` lines (or stops at ``limit_s``) and reports the daemon's
resident memory, at its peak and at the end.

The daemons take their intake as a shop runs it in production: push, with
polling as the safety net at its default interval and overlap (the lab's
one-second polling would list every trade delivered in the last minute once a
second, a cost no production shop pays). A Pinduoduo shop has no push: it
polls at the production default without push (30 s), its first poll reading
the whole backlog.
"""

from __future__ import annotations

import time
from typing import Any

from bench.cells import Cell
from bench.rig import backlog, cell_rig, per_line, per_trade
from bench.watch import Drain, backlog_figures, rss_figures, steady, watch
from bridge.settings import POLL_INTERVAL_WITH_PUSH_S, POLL_INTERVAL_WITHOUT_PUSH_S, PollingSettings

POLL_LEASE_S = 300.0


def _drain_figures(cell: Cell, drain: Drain, lines: int, started: float) -> dict[str, Any]:
    rate, cpu_ms, span = steady(drain.samples, lines)
    last = drain.samples[-1]
    return {
        "lines_settled": last.settled,
        "drained": drain.done,
        "drain_s": round(last.t - started, 1),
        "steady_s": round(span, 1),
        "lines_per_s": round(rate, 1),
        "capacity_ops_per_s": round(cell.capacity_ops_per_s, 1),
        "ratio_to_capacity": round(rate / cell.capacity_ops_per_s, 3),
        "cpu_ms_per_line": None if cpu_ms is None else round(cpu_ms, 2),
    }


async def run_drain(cell: Cell) -> dict[str, Any]:
    """One backlog cell (``throughput`` or ``rss``): its figures."""
    big, push = cell.kind == "rss", cell.storefront == "taobao"
    sections: dict[str, dict[str, Any]] = {
        # the poller's lease must outlast reading the whole backlog's window (the lease is extended
        # only between polls): with the default four intervals (4 s here) a second daemon takes the
        # shop over mid-poll and reads the same trades again
        "push": {"enabled": push},
        "polling": {
            "interval_s": POLL_INTERVAL_WITH_PUSH_S if push else POLL_INTERVAL_WITHOUT_PUSH_S,
            "overlap_s": PollingSettings.model_fields["overlap_s"].default,
            "initial_lookback_s": 3600,
            "lease_s": POLL_LEASE_S,
        },
        "writeback": {"max_in_flight": 8},
    }
    async with cell_rig(cell, **sections) as rig:
        orders = backlog(rig.maker, lines=cell.backlog_lines) if big else rig.backlog(cell.orders)
        placing = time.monotonic()
        await rig.place_paid_in_bulk(orders)
        placed_s = time.monotonic() - placing
        lines = sum(len(o.lines) for o in orders)
        calls_before = await rig.market_calls()
        await rig.daemons.start()
        started = time.monotonic()
        drain = await watch(rig.store, rig.daemons, lines, cell.limit_s)
        calls_after = await rig.market_calls()
        counts = await rig.daemons.stop()
        figures: dict[str, Any] = {
            "orders": len(orders),
            "lines": lines,
            "backlog_placed_s": round(placed_s, 1),
            **_drain_figures(cell, drain, lines, started),
            **per_line(counts, drain.samples[-1].settled),
            "market_calls_per_trade": per_trade(calls_before, calls_after, len(orders)),
        }
        figures["rss_mb"] = rss_figures(drain)
        if big:
            figures["rss_mb"] |= backlog_figures(drain, lines, started)
        if not big:  # reading back 100,000 trades from the sandboxes would take longer than it tells
            report = await rig.verify(orders)
            figures.update(duplicates=report["duplicates"], lost=report["lost"])
    return figures
