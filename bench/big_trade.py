"""One trade of many lines through the bridge in this process: memory, and the order page's read.

``python -m bench.big_trade [--lines 10000] [--engine sqlite|postgresql]`` places one paid trade of
``--lines`` lines in the marketplace sandbox, runs the services until it is delivered, and
prints figures (never asserts them): the process's resident memory idle, after the trade is
stored, at its peak and at the end (the sandboxes share the process, so this bounds the
daemon's own from above), how long each stage took, and how long one page of the order
(``trade_page``, 100 lines) takes to read beside the whole story (``trade_story``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import aiohttp
import structlog

from bench.databases import cell_database
from bench.procstat import rss_mb
from bridge.lab.sandboxes import bridge_settings, running_sandboxes
from bridge.services.delivery import write_back_due
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from bridge.services.planning import plan_due
from bridge.wiring import build_deps


def _rss() -> float:
    return round(rss_mb(os.getpid()) or 0.0, 1)


async def _order(http: aiohttp.ClientSession, market_url: str, lines: int, card: str) -> int:
    line = {"outer_sku_id": "TV-RC-0100", "title": "测试商品", "price": "100.00", "quantity": 1}
    body = {"buyer_nick": "bench", "buyer_message": card, "lines": [line] * lines}
    async with http.post(f"{market_url}/sandbox/trades", json=body) as resp:
        tid = int((await resp.json())["tid"])
    async with http.post(f"{market_url}/sandbox/trades/{tid}/pay") as resp:
        resp.raise_for_status()
    return tid


async def run(lines: int, engine: str, workdir: Path) -> dict[str, object]:
    figures: dict[str, object] = {"engine": engine, "lines": lines, "rss_start_mb": _rss()}
    async with (
        cell_database(engine, workdir) as database,
        running_sandboxes(seed=11) as sb,
        aiohttp.ClientSession() as http,
    ):
        # the trade's lines pass its ceilings: what is measured is the statements, not an admin's approval
        no_ceiling = {"trade_amount_fen": 10**12, "trade_quantity": 10**9}
        settings = bridge_settings(sb, workdir, fulfilment={"max_in_flight": 64}, ceilings=no_ceiling)
        settings = settings.model_copy(update={"database": database})
        async with build_deps(settings) as deps:
            figures["rss_idle_mb"] = _rss()
            url = f"{sb.billing_url}/sandbox/subscribers?status=active&two_way=true"
            async with http.get(url) as resp:
                card = (await resp.json())["subscribers"][0]["card_no"]
            tid = await _order(http, sb.market_url, lines, card)
            started = time.monotonic()
            await poll_all(deps)
            while await plan_due(deps, limit=2_000):
                pass
            figures["stored_s"] = round(time.monotonic() - started, 1)
            figures["rss_stored_mb"] = _rss()
            for _ in range(3):
                await fulfil_due(deps)
                await write_back_due(deps)
            figures["delivered_s"] = round(time.monotonic() - started, 1)
            [trade] = await deps.store.views.find_trades(str(tid))
            figures["delivery_state"] = trade.delivery_state
            at = time.monotonic()
            page = await deps.store.views.trade_page(trade, page=1, per_page=100, timeline=200)
            figures["order_page_read_ms"] = round((time.monotonic() - at) * 1000, 1)
            figures["order_page_counts"] = {s.value: n for s, n in page.counts.items()}
            at = time.monotonic()
            await deps.store.views.trade_story(trade)
            figures["whole_story_read_ms"] = round((time.monotonic() - at) * 1000, 1)
    figures["rss_peak_mb"] = round(rss_mb(os.getpid(), "VmHWM") or 0.0, 1)
    figures["rss_end_mb"] = _rss()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(run(args.lines, args.engine, Path(tmp)))
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
