"""Backlog benchmark: how fast the bridge drains paid orders against a billing core of known capacity.

Places a backlog of orders in the marketplace sandbox, then starts the daemon as
its own process (so its CPU time is measured apart from the sandboxes) and waits
until every line is settled. Prints lines/s, the ratio to the billing core's
capacity (in-flight cap ÷ latency), the daemon's CPU seconds per 1000 lines and
payment→delivery latency percentiles. A benchmark, not a test: it asserts nothing.

    .venv/bin/python bench/throughput.py --orders 1000 --latency-ms 50 --cap 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from adapters.billing_core.sandbox import BillingKnobs
from bridge.core.states import BUSY
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.sandboxes import bridge_config, running_sandboxes, to_toml
from bridge.lab.scenario import OrderMaker, fetch_subscribers, place_order
from bridge.lab.verify import fetch_records, verify_run
from bridge.services.mappings import load_mapping_set
from bridge.store import MappingDir, open_store


async def _wait_settled(db: str, lines: int, timeout_s: float) -> float:
    store = await open_store(db)
    start = time.monotonic()
    try:
        while time.monotonic() - start < timeout_s:
            counts = await store.progress()
            stored = sum(v for k, v in counts.items() if not k.startswith("_"))
            busy = sum(counts.get(s.value, 0) for s in BUSY) + counts["_trades_due"]
            if stored >= lines and busy == 0:
                return time.monotonic() - start
            await asyncio.sleep(0.2)
    finally:
        await store.close()
    raise TimeoutError("backlog not drained in time")


async def run(orders: int, latency_ms: float, cap: int, seed: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="bridge-bench-"))
    knobs = BillingKnobs(latency_ms=latency_ms, latency_tail_ms=latency_ms * 4, max_in_flight=cap)
    async with running_sandboxes(seed=seed, billing_knobs=knobs) as sb, aiohttp.ClientSession() as http:
        maker = OrderMaker(
            load_mapping_set(MappingDir(DEMO_MAPPINGS)), await fetch_subscribers(http, sb.billing_url), seed
        )
        placed = [await place_order(http, sb.market_url, maker.make(i)) for i in range(orders)]
        lines = sum(len(o.lines) for o in placed)
        config = bridge_config(
            sb,
            work,
            fulfilment={"max_in_flight": cap, "interval_s": 0.2},
            writeback={"max_in_flight": 8},
            polling={"initial_lookback_s": 3600},
        )
        config["log_level"] = "warning"
        (work / "config.toml").write_text(to_toml(config), encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with (work / "daemon.log").open("w") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bridge.cli.main",
                "run",
                "--config",
                str(work / "config.toml"),
                env={**os.environ, **sb.env()},
                stdout=log,
                stderr=log,
            )
            try:
                elapsed = await _wait_settled(config["database"], lines, timeout_s=1800)
            finally:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = verify_run(
            placed,
            await fetch_records(http, sb.market_url, sb.billing_url),
            await _all_lines(config["database"]),
            "main",
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    capacity = cap / (latency_ms / 1000)
    rate = lines / elapsed
    return {
        "orders": orders,
        "lines": lines,
        "billing_latency_ms": latency_ms,
        "billing_in_flight_cap": cap,
        "drain_s": round(elapsed, 1),
        "lines_per_s": round(rate, 1),
        "billing_capacity_ops_per_s": round(capacity, 1),
        "ratio_to_capacity": round(rate / capacity, 3),
        "cpu_s_per_1000_lines": round(cpu / lines * 1000, 2),
        "latency_ms": report["latency_ms"],
        "duplicates": report["duplicates"],
        "lost": report["lost"],
    }


async def _all_lines(db: str):  # type: ignore[no-untyped-def]
    store = await open_store(db)
    try:
        return await store.all_lines()
    finally:
        await store.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=1000)
    p.add_argument("--latency-ms", type=float, default=50.0, help="median billing-core latency")
    p.add_argument(
        "--cap", type=int, default=16, help="billing-core in-flight cap (and the bridge's max_in_flight)"
    )
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    print(json.dumps(asyncio.run(run(args.orders, args.latency_ms, args.cap, args.seed)), ensure_ascii=False))


if __name__ == "__main__":
    main()
