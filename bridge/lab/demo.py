"""``bridge demo``: the sandboxes and the daemon in one process, with a stream of orders.

Everything runs on localhost with a generated configuration and a temporary
SQLite file (or an empty database named by ``--database``). Three shops sell by
default: "main" on Taobao, "pdd" on Pinduoduo and the channel client "hall"
through the signed order API (``SHOPS``), the orders dealt to them in turn,
each with every kind of bad order: every third order goes through the order
API (order n to the (n mod 3)-th of taobao, pinduoduo, api: a third each, every
bad kind within each one's first 30), with the channel's misbehaviour
(``bridge.lab.demo_channel``: duplicates, client-side timeouts, refusal drills,
refunds out of order) and its callbacks to the lab's receiver; the run then
also waits (bounded) until every settled order's callback is acknowledged and
fails when one is not or a duplicate was answered otherwise. Taobao's intake
is by push (the marketplace's messages), with polling every
``DEMO_SAFETY_NET_S`` as the safety net; Pinduoduo has no push and is polled at
that interval; ``push=False`` polls every second instead.
With ``--orders N --exit-when-done`` it places N orders (a fixed share
deliberately bad), waits until every line is settled, checks the result against
the sandboxes' own records shop by shop, reconciles the day three ways (shop,
bridge, billing core: ``bridge reconcile``) and exits 0 only when no shop had
anything applied twice or lost and nothing disagrees.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from adapters.billing_core.sandbox import BillingKnobs
from bridge.app import make_app
from bridge.core.models import CST
from bridge.core.reconcile import summary
from bridge.core.states import BUSY
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.channel import CHANNEL, api_section
from bridge.lab.daemon_process import free_port
from bridge.lab.demo_channel import ChannelRun, channel_summary
from bridge.lab.demo_logins import console_banner, create_demo_logins
from bridge.lab.sandboxes import Sandboxes, bridge_settings, pdd_shop_config, running_sandboxes
from bridge.lab.scenario import (
    STOREFRONTS,
    OrderMaker,
    PlannedOrder,
    Storefront,
    fetch_subscribers,
    place_order,
)
from bridge.lab.verify import Records, fetch_records, refuse_used_database, verify_shops
from bridge.logs import configure_logging
from bridge.services.deps import Deps
from bridge.services.reconcile import reconcile_day
from bridge.store import open_store
from bridge.web.keys import DEPS_KEY

SHOP = "main"
PDD_SHOP = "pdd"
SHOPS: dict[str, Storefront] = {SHOP: "taobao", PDD_SHOP: "pinduoduo", CHANNEL: "api"}
"""The demo's shops by name, each with the storefront it sells on (``api``: the channel client)."""
DEMO_SAFETY_NET_S = 5.0
CALLBACKS_WAIT_S = 60.0
"""How long the demo waits, once every line settled, for the last callbacks to be acknowledged."""


def _progress_line(placed: int, total: int | None, counts: dict[str, int], started: float) -> str:
    done = counts.get("DELIVERED", 0)
    exc = counts.get("EXCEPTION", 0)
    busy = sum(counts.get(s.value, 0) for s in BUSY)
    of = f"/{total}" if total else ""
    return (
        f"\r订单 orders {placed}{of} · 已发货 delivered {done} · 异常 exceptions {exc} · "
        f"处理中 in progress {busy} · {time.monotonic() - started:5.1f}s "
    )


async def _place_all(
    http: aiohttp.ClientSession,
    urls: dict[Storefront, str],
    maker: OrderMaker,
    count: int | None,
    rate: float,
    placed: list[PlannedOrder],
    channel: ChannelRun | None = None,
) -> None:
    """Orders dealt to the storefronts of ``urls`` in turn, each placed on its own sandbox (``api``'s
    through ``channel``, the client's n-th order its own n-th)."""
    n = 0
    sem = asyncio.Semaphore(8)
    storefronts = tuple(urls)

    async def one(i: int) -> None:
        order = maker.make_split(i, storefronts)
        async with sem:
            if order.storefront != "api":
                placed.append(await place_order(http, urls[order.storefront], order))
            elif channel is not None and await channel.place(order, i // len(storefronts)) is not None:
                placed.append(order)

    tasks = []
    while count is None or n < count:
        tasks.append(asyncio.create_task(one(n)))
        n += 1
        if rate > 0:
            await asyncio.sleep(1 / rate)
        elif n % 8 == 0:
            await asyncio.sleep(0)
    await asyncio.gather(*tasks)


async def run_demo(
    *,
    orders: int | None,
    exit_when_done: bool,
    as_json: bool,
    rate: float,
    seed: int = 7,
    timeout_s: float = 900.0,
    workdir: Path | None = None,
    listen: str = "127.0.0.1:0",
    billing_knobs: BillingKnobs | None = None,
    push: bool = True,
    database: str | None = None,
    storefronts: tuple[Storefront, ...] = (*STOREFRONTS, "api"),
) -> int:
    """The demo; exit status 0 only when no shop had anything applied twice or lost and the day reconciles.

    ``database`` is the DSN of an empty database (default: a new SQLite file in ``workdir``);
    one that already holds order lines is refused with ``UsedDatabaseError``. ``storefronts``
    names the shops of ``SHOPS`` that sell (default all three; the channel's must also pass
    ``ChannelRun.passed``: callbacks, duplicates, drills).
    """
    shops = {name: front for name, front in SHOPS.items() if front in storefronts}
    workdir = workdir or Path(tempfile.mkdtemp(prefix="bridge-demo-"))
    log_path = workdir / "bridge.log"
    with log_path.open("w", encoding="utf-8") as log_file:
        configure_logging("info", "json", stream=log_file)
        async with running_sandboxes(seed=seed, billing_knobs=billing_knobs) as sb:
            intake = {"polling": {"interval_s": DEMO_SAFETY_NET_S}} if push else {"push": {"enabled": False}}
            extra = {PDD_SHOP: pdd_shop_config(sb)} if PDD_SHOP in shops else {}
            if CHANNEL in shops:  # the order API on a free port, its callbacks to the lab's receiver
                intake["api"] = api_section(f"127.0.0.1:{free_port()}", sb.receiver.host)
            settings = bridge_settings(sb, workdir, shop=SHOP, shops=extra, **intake)
            # the console may edit the mappings: give the demo its own copy, never the repository's
            mappings = shutil.copytree(
                DEMO_MAPPINGS,
                workdir / "mappings",
                ignore=shutil.ignore_patterns("history"),
                dirs_exist_ok=True,
            )
            settings = settings.model_copy(
                update={"mappings_dir": mappings, "listen": listen, "database": database or settings.database}
            )
            app = make_app(settings)
            runner = web.AppRunner(app, handle_signals=False)
            await runner.setup()
            host, port = settings.listen.rsplit(":", 1)
            site = web.TCPSite(runner, host, int(port))
            await site.start()
            url = "http://{}:{}/".format(*runner.addresses[0][:2])
            try:
                await refuse_used_database(app[DEPS_KEY].store, settings.database, "demo")
                sys.stderr.write(console_banner(url, await create_demo_logins(app[DEPS_KEY])))
                report = await _drive(app, sb, shops, (orders, exit_when_done, rate, seed, timeout_s))
                report["metrics_series"] = await _served_series(url + "metrics")
                report["reconcile"] = await _reconciled(app[DEPS_KEY])
            finally:
                await runner.cleanup()
    report["intake"] = "push" if push else "polling"
    report["workdir"] = str(workdir)
    report["log"] = str(log_path)
    _print_report(report, as_json)
    agreed = report["reconcile"]["disagreements"] == 0
    # the top-level figures are the shops' sums (never negative): 0 there is 0 in every shop
    channel = report.get("channel_passed", True)
    return 0 if report["duplicates"] == 0 and report["lost"] == 0 and agreed and channel else 1


async def _reconciled(deps: Deps) -> dict[str, Any]:
    """Today's three-way reconciliation (shop, bridge, billing core), as `bridge reconcile --json` says it."""
    today = deps.clock().astimezone(CST).date()
    result = await reconcile_day(deps, today)
    return summary(today, list(result.rows), result.run.listing) | {
        "shops": [shop.fields() for shop in result.shops]
    }


async def _drive(
    app: web.Application,
    sb: Sandboxes,
    shops: dict[str, Storefront],
    plan: tuple[int | None, bool, float, int, float],
) -> dict[str, Any]:
    """Place the orders, wait (with ``exit_when_done``) until every line settles, verify each shop."""
    orders, exit_when_done, rate, seed, timeout_s = plan
    deps = app[DEPS_KEY]
    placed: list[PlannedOrder] = []
    started = time.monotonic()
    urls: dict[Storefront, str] = {"taobao": sb.market_url, "pinduoduo": sb.pdd_url, "api": ""}
    async with aiohttp.ClientSession() as http:
        maker = OrderMaker(deps.runtime.mappings, await fetch_subscribers(http, sb.billing_url), seed)
        channel = ChannelRun.open(http, sb, deps.settings.api) if CHANNEL in shops else None
        if channel is not None:
            await channel.before(maker)
        selling = {front: urls[front] for front in (*STOREFRONTS, "api") if front in shops.values()}
        placing = asyncio.create_task(_place_all(http, selling, maker, orders, rate, placed, channel))
        await _watch(deps, placing, placed, (orders, exit_when_done, timeout_s, started))
        records = await fetch_records(http, sb.market_url, sb.billing_url, sb.pdd_url)
        market_stats, pdd_stats, billing_stats = [
            await _stats(http, url) for url in (sb.market_url, sb.pdd_url, sb.billing_url)
        ]
        today = deps.clock().astimezone(CST).date()
        extra = await _channel_figures(channel, deps.settings.database, records, today) if channel else {}
    verified = [o for o in placed if o.storefront != "api"] + (channel.verified_orders() if channel else [])
    report = verify_shops(verified, records, await deps.store.views.all_lines(), shops)
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    report["marketplace_calls"] = market_stats.get("calls", {})
    report["pinduoduo_calls"] = pdd_stats.get("calls", {})
    report["billing"] = {k: billing_stats.get(k) for k in ("operations", "lost_answers", "slow_applies")}
    return report | extra


async def _watch(
    deps: Deps,
    placing: asyncio.Task[None],
    placed: list[PlannedOrder],
    plan: tuple[int | None, bool, float, float],
) -> None:
    """Progress on stderr until every order is placed and (with ``exit_when_done``) every line settled."""
    orders, exit_when_done, timeout_s, started = plan
    tty = sys.stderr.isatty()
    last_print = 0.0
    try:
        while True:
            await asyncio.sleep(0.25)
            counts = await deps.store.views.progress()
            if time.monotonic() - last_print > (0.5 if tty else 5.0):
                sys.stderr.write(_progress_line(len(placed), orders, counts, started) + ("" if tty else "\n"))
                sys.stderr.flush()
                last_print = time.monotonic()
            if placing.done():
                placing.result()
                if exit_when_done and _settled(counts, sum(len(o.lines) for o in placed)):
                    break
            if time.monotonic() - started > timeout_s:
                sys.stderr.write("\ndemo: timed out waiting for every line to settle\n")
                break
    except (KeyboardInterrupt, asyncio.CancelledError):
        placing.cancel()
    sys.stderr.write(_progress_line(len(placed), orders, await deps.store.views.progress(), started) + "\n")


async def _channel_figures(
    channel: ChannelRun, database: str, records: Records, today: date
) -> dict[str, Any]:
    store = await open_store(database)  # the lab's own reading of the outbox
    try:
        return await channel.finish(records, today, store, CALLBACKS_WAIT_S)
    finally:
        await store.close()


async def _stats(http: aiohttp.ClientSession, base_url: str) -> dict[str, Any]:
    async with http.get(f"{base_url}/sandbox/stats") as resp:
        return dict(await resp.json())


async def _served_series(url: str) -> list[str]:
    """The names of the bridge's series its /metrics serves at the end of the run."""
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        text = await resp.text()
    return sorted(
        {family.name for family in text_string_to_metric_families(text) if family.name.startswith("bridge_")}
    )


def _settled(counts: dict[str, int], expected_lines: int) -> bool:
    stored = sum(v for k, v in counts.items() if not k.startswith("_"))
    busy = sum(counts.get(s.value, 0) for s in BUSY)
    return (
        stored >= expected_lines
        and busy == 0
        and counts["_memos_pending"] == 0
        and counts["_trades_due"] == 0
    )


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    lat = report["latency_ms"]
    print(
        f"orders {report['orders']} · lines {report['lines']} · delivered {report['delivered']} · "
        f"duplicates {report['duplicates']} · lost {report['lost']}"
    )
    print("exceptions: " + ", ".join(f"{k} {v}" for k, v in report["exceptions"].items()))
    for shop in report["shops"]:
        print(
            f"  {shop['name']} ({shop['storefront']}): orders {shop['orders']} · lines {shop['lines']} · "
            f"delivered {shop['delivered']} · exceptions {sum(shop['exceptions'].values())} · "
            f"duplicates {shop['duplicates']} · lost {shop['lost']}"
        )
    print(f"payment → delivery ms: p50 {lat['p50']} · p95 {lat['p95']} · p99 {lat['p99']}")
    recon = report["reconcile"]
    print(f"reconciliation of {recon['date']}: {recon['disagreements']} disagreement(s) {recon['by_kind']}")
    for line in channel_summary(report):
        print(line)
    print(f"log: {report['log']}")
