"""``python -m bench.console_1m``: the console over a store of a million lines, and delivery beside it.

Fills a fresh database with ``--lines`` lines (``bench.console_fill``: straight
through SQLAlchemy Core, not the pipeline), starts one daemon on it (the real
``bridge run``, push intake, the console on its listen address) and prints
figures (never asserts them):

* p50/p95 of the dashboard (``/``), its live body, the queue (``/queue``), the
  queue's search by tid, the order look-up (``/orders?tid=``) and ``/metrics``,
  each asked ``--requests`` times in turn (targets: ≤ 200 ms, ``/metrics`` ≤ 50 ms);
* how long the store figures take to read (what the ``figures`` job does once
  per ``[console] figures_every_s``);
* payment → delivered p50 of ``--orders`` orders placed at ``--rate`` a second,
  alone and then with ``--viewers`` people refreshing the dashboard and the
  queue every second (target: ≤ 10 % apart). ``--orders 0`` leaves it out.

    python -m bench.console_1m --engine postgresql --lines 1000000 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.console_fill import fill, tid_of
from bench.databases import ENGINES, cell_database
from bench.fleet import SHOP, fleet
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.sandboxes import Sandboxes, running_sandboxes
from bridge.lab.scenario import OrderMaker, PlannedOrder, fetch_subscribers, place_orders
from bridge.lab.verify import fetch_records, verify_run
from bridge.services.accounts import hash_password
from bridge.services.mappings import load_mapping_set
from bridge.store import SqlStore, open_store
from bridge.wiring import mapping_files

PASSWORD = "bench-console-1"
_CSRF = re.compile(r'action="/login">\s*<input type="hidden" name="csrf" value="([^"]+)"')


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.console_1m", description=(__doc__ or "").split("\n\n")[0]
    )
    p.add_argument("--engine", choices=ENGINES, default="sqlite")
    p.add_argument("--lines", type=int, default=1_000_000, help="lines stored before the daemon starts")
    p.add_argument("--requests", type=int, default=40, help="requests per page measured")
    p.add_argument("--orders", type=int, default=60, help="orders placed per delivery run (0: none)")
    p.add_argument("--rate", type=float, default=2.0, help="orders per second")
    p.add_argument("--viewers", type=int, default=10, help="people refreshing during the second run")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    return p


def _session() -> aiohttp.ClientSession:
    """A browser's session: it keeps the console's cookies for 127.0.0.1 (an address, not a name)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1)}


async def _login(http: aiohttp.ClientSession, base: str) -> None:
    async with http.get(f"{base}/login") as resp:
        found = _CSRF.search(await resp.text())
    assert found is not None, "no sign-in form"
    form = {"csrf": found.group(1), "name": "bench", "password": PASSWORD, "next": "/queue"}
    async with http.post(f"{base}/login", data=form, allow_redirects=False) as resp:
        assert resp.status == 303, f"sign-in refused ({resp.status})"


async def _timed(http: aiohttp.ClientSession, url: str, count: int) -> dict[str, float]:
    samples = []
    for _ in range(count):
        started = time.monotonic()
        async with http.get(url, allow_redirects=False) as resp:
            await resp.read()
            assert resp.status in (200, 303), f"{url}: {resp.status}"
        samples.append((time.monotonic() - started) * 1000)
    return _ms(samples)


def _pages(trades: int) -> dict[str, str]:
    tid = tid_of(trades // 2)
    return {
        "dashboard": "/",
        "dashboard_live": "/dashboard/live",
        "queue": "/queue",
        "search": f"/queue?q={tid}&list=1",
        "order_lookup": f"/orders?tid={tid}",
        "metrics": "/metrics",
    }


async def _figures_read_ms(store: SqlStore) -> float:
    """The store reads of one figures snapshot (``bridge.services.console_figures.read_figures``)."""
    started = time.monotonic()
    await store.monitoring.figures()
    await store.dashboard.waiting_for_a_person()
    await store.dashboard.orders_delivered_since(await store.database_time())
    await store.dashboard.activity_since(await store.database_time())
    await store.dashboard.delivery_seconds_since(await store.database_time())
    await store.views.cursor_rows()
    await store.console.last_applied_at()
    await store.console.unmapped_inbox()
    now = await store.database_time()  # the deadlines' reads of one shop (bridge.services.deadlines)
    await store.deadlines.awaiting_counts(SHOP, now - timedelta(hours=24), now - timedelta(hours=22))
    return round((time.monotonic() - started) * 1000, 1)


async def _viewer(http: aiohttp.ClientSession, base: str, stop: asyncio.Event) -> int:
    """One person refreshing the dashboard and the queue every second until ``stop``; pages seen."""
    seen = 0
    while not stop.is_set():
        for path in ("/dashboard/live", "/queue/live"):
            async with http.get(base + path) as resp:
                await resp.read()
            seen += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
    return seen


async def _delivery_p50(
    http: aiohttp.ClientSession, sb: Sandboxes, maker: OrderMaker, count: int, rate: float
) -> float | None:
    """Place ``count`` orders, wait for each good one to be delivered (2 min at most); the p50 of payment →
    delivered."""
    placed: list[PlannedOrder] = []
    await place_orders(http, sb.market_url, maker, count, rate, placed)
    good = sum(1 for o in placed for ln in o.lines if ln.expect_reason is None)
    deadline = time.monotonic() + 120
    while True:
        report = verify_run(placed, await fetch_records(http, sb.market_url, sb.billing_url), [], SHOP)
        if report["delivered"] >= good or time.monotonic() > deadline:
            break
        await asyncio.sleep(1.0)
    p50 = report["latency_ms"].get("p50")
    return None if p50 is None else float(p50)


async def _delivery(
    args: argparse.Namespace, http: aiohttp.ClientSession, sb: Sandboxes, base: str
) -> dict[str, Any]:
    mapping = load_mapping_set(mapping_files(DEMO_MAPPINGS))
    subscribers = await fetch_subscribers(http, sb.billing_url)
    alone = await _delivery_p50(http, sb, OrderMaker(mapping, subscribers, 7), args.orders, args.rate)
    stop = asyncio.Event()
    sessions = [_session() for _ in range(args.viewers)]
    try:
        for session in sessions:
            await _login(session, base)
        viewers = [asyncio.create_task(_viewer(s, base, stop)) for s in sessions]
        watched = await _delivery_p50(http, sb, OrderMaker(mapping, subscribers, 8), args.orders, args.rate)
        stop.set()
        pages = sum(await asyncio.gather(*viewers))
    finally:
        for session in sessions:
            await session.close()
    change = None if not alone or watched is None else round((watched - alone) / alone * 100, 1)
    return {
        "delivery_p50_ms_alone": alone,
        "delivery_p50_ms_viewed": watched,
        "delivery_change_pct": change,
        "viewer_pages": pages,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bridge-console-"))
    figures: dict[str, Any] = {"engine": args.engine, "lines": args.lines}
    async with (
        running_sandboxes(seed=11) as sb,
        _session() as http,
        cell_database(args.engine, workdir) as dsn,
    ):
        store = await open_store(dsn, upgrade=True)
        try:
            started = time.monotonic()
            trades = await fill(dsn, args.lines)
            figures["fill_s"] = round(time.monotonic() - started, 1)
            assert await store.accounts.add_user(
                "bench", "cs", hash_password(PASSWORD), await store.database_time()
            )
            figures["figures_read_ms"] = await _figures_read_ms(store)
        finally:
            await store.close()
        sections: dict[str, dict[str, Any]] = {
            "push": {"enabled": True},
            "polling": {"interval_s": 30.0},
            "console": {"figures_every_s": 5.0},
        }
        daemons = fleet(sb, workdir, dsn, 1, 16, **sections)
        try:  # the daemon is stopped whatever happens, a start that never got ready included
            started = time.monotonic()
            await daemons.group.start()
            await daemons.group.members[0].wait_ready(timeout_s=600)
            figures["daemon_ready_s"] = round(time.monotonic() - started, 1)
            base = str(daemons.group.members[0].health_url).removesuffix("/healthz")
            await _login(http, base)
            figures["pages"] = {
                name: await _timed(http, base + path, args.requests) for name, path in _pages(trades).items()
            }
            if args.orders:
                figures.update(await _delivery(args, http, sb, base))
            else:
                figures["delivery"] = "left out (--orders 0)"
        finally:
            await daemons.group.close(grace_s=20)
    shutil.rmtree(workdir, ignore_errors=True)
    return figures


def _table(figures: dict[str, Any]) -> str:
    out = [
        f"{figures['engine']}, {figures['lines']:,} lines (filled in {figures['fill_s']} s); "
        f"store figures read in {figures['figures_read_ms']} ms (once per interval, by one task)",
        f"{'page':<16}{'p50 ms':>9}{'p95 ms':>9}  target p95",
    ]
    for name, f in figures["pages"].items():
        target = "≤ 50 ms" if name == "metrics" else "≤ 200 ms"
        out.append(f"{name:<16}{f['p50_ms']:>9}{f['p95_ms']:>9}  {target}")
    if "delivery_p50_ms_alone" in figures:
        out.append(
            f"delivery p50: {figures['delivery_p50_ms_alone']} ms alone, "
            f"{figures['delivery_p50_ms_viewed']} ms with viewers "
            f"({figures['delivery_change_pct']} %; target ≤ 10 %)"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    figures = asyncio.run(run(args))
    print(json.dumps(figures, ensure_ascii=False) if args.json else _table(figures))


if __name__ == "__main__":
    main()
