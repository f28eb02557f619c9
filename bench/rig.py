"""One cell's world: the sandboxes, a fresh database, the bench's own view of the store, the daemons.

``cell_rig`` builds it and tears it down whatever happens (daemons reaped,
database dropped); the cell runners in ``bench.drain`` and ``bench.steady``
only place orders, start the daemons and read figures. A ``pinduoduo`` cell
also runs the Pinduoduo sandbox (``bench.pinduoduo``) and gives the daemons its
shop in place of the Taobao one.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from adapters.billing_core.sandbox import BillingKnobs
from adapters.pinduoduo.sandbox import RunningSandbox as RunningPdd
from bench.cells import Cell
from bench.databases import cell_database
from bench.fleet import SHOP, Fleet, fleet
from bench.pinduoduo import (
    PDD_SHOP,
    place_at_rate,
    place_in_bulk,
    running_pinduoduo,
    shop_env,
    shop_settings,
    stream,
)
from bench.pinduoduo_verify import fetch_pdd_records, verify_pdd_run
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.sandboxes import Sandboxes, running_sandboxes
from bridge.lab.scenario import OrderMaker, PlannedOrder, fetch_subscribers, place_orders, place_paid_in_bulk
from bridge.lab.verify import fetch_records, verify_run
from bridge.services.mappings import load_mapping_set
from bridge.store import SqlStore, open_store
from bridge.wiring import mapping_files


@dataclass
class Rig:
    cell: Cell
    sb: Sandboxes
    http: aiohttp.ClientSession
    store: SqlStore
    daemons: Fleet
    maker: OrderMaker
    workdir: Path
    pdd: RunningPdd | None = None  # the Pinduoduo sandbox of a ``pinduoduo`` cell (its only shop)

    @property
    def market_url(self) -> str:
        """The base URL of the storefront sandbox the cell's shop sells on."""
        return self.sb.market_url if self.pdd is None else self.pdd.url

    async def market_calls(self) -> dict[str, int]:
        """The storefront sandbox's calls so far, by method."""
        async with self.http.get(f"{self.market_url}/sandbox/stats") as resp:
            resp.raise_for_status()
            return {k: int(v) for k, v in (await resp.json())["calls"].items()}

    def backlog(self, orders: int) -> list[PlannedOrder]:
        """The first ``orders`` orders of the stream the shop's storefront can deliver."""
        return backlog(self.maker, orders=orders) if self.pdd is None else stream(self.maker, orders)

    async def place_paid_in_bulk(self, orders: list[PlannedOrder]) -> None:
        """Place and pay ``orders`` in the shop's storefront sandbox through its bulk endpoint."""
        if self.pdd is None:
            await place_paid_in_bulk(self.http, self.market_url, orders)
        else:
            await place_in_bulk(self.http, self.market_url, orders)

    async def place_at_rate(self, count: int, rate: float, placed: list[PlannedOrder]) -> None:
        """Place and pay ``count`` orders one by one at ``rate`` per second, into ``placed``."""
        if self.pdd is None:
            await place_orders(self.http, self.market_url, self.maker, count, rate, placed)
        else:
            await place_at_rate(self.http, self.market_url, stream(self.maker, count), rate, placed)

    async def verify(self, placed: list[PlannedOrder]) -> dict[str, Any]:
        """The sandboxes' records checked (``bridge.lab.verify`` or its Pinduoduo twin): latencies,
        duplicates, lost."""
        lines = await self.store.views.all_lines()
        if self.pdd is not None:
            orders, ledger = await fetch_pdd_records(self.http, self.pdd.url, self.sb.billing_url)
            return verify_pdd_run(placed, orders, ledger, lines, PDD_SHOP)
        records = await fetch_records(self.http, self.sb.market_url, self.sb.billing_url)
        return verify_run(placed, records, lines, SHOP)


def backlog(maker: OrderMaker, *, orders: int = 0, lines: int = 0) -> list[PlannedOrder]:
    """The first ``orders`` orders of the stream, or as many as make ``lines`` lines."""
    made: list[PlannedOrder] = []
    count = 0
    while (orders and len(made) < orders) or (lines and count < lines):
        made.append(maker.make(len(made)))
        count += len(made[-1].lines)
    return made


@asynccontextmanager
async def cell_rig(cell: Cell, **sections: dict[str, Any]) -> AsyncIterator[Rig]:
    """Everything a cell needs, daemons configured (not started) with ``sections`` of settings."""
    workdir = Path(tempfile.mkdtemp(prefix="bridge-bench-"))
    knobs = BillingKnobs(latency_ms=cell.latency_ms, max_in_flight=cell.cap)
    async with (
        running_sandboxes(seed=cell.seed, billing_knobs=knobs) as sb,
        AsyncExitStack() as stack,
        aiohttp.ClientSession() as http,
        cell_database(cell.engine, workdir) as dsn,
    ):
        pdd = None
        if cell.storefront == "pinduoduo":
            pdd = await stack.enter_async_context(running_pinduoduo(cell.seed))
        store = await open_store(dsn, upgrade=True)
        shops = None if pdd is None else {PDD_SHOP: shop_settings(pdd)}
        env = {} if pdd is None else shop_env(pdd)
        daemons = fleet(sb, workdir, dsn, cell.instances, cell.cap, shops=shops, env=env, **sections)
        finished = False
        try:
            subscribers = await fetch_subscribers(http, sb.billing_url)
            maker = OrderMaker(load_mapping_set(mapping_files(DEMO_MAPPINGS)), subscribers, cell.seed)
            yield Rig(cell, sb, http, store, daemons, maker, workdir, pdd)
            finished = True
        finally:
            await daemons.group.close(grace_s=20)
            await store.close()
            if finished:
                shutil.rmtree(workdir, ignore_errors=True)  # configurations, logs, the SQLite file
            else:
                print(f"bench: {cell.name} did not finish; its logs are in {workdir}", file=sys.stderr)


def per_trade(before: dict[str, int], after: dict[str, int], trades: int) -> dict[str, float]:
    """Marketplace calls per trade by method, between two readings of the sandbox's counters."""
    return {
        method: round((after[method] - before.get(method, 0)) / max(1, trades), 3)
        for method in sorted(after)
        if after[method] > before.get(method, 0)
    }


def per_line(counts: dict[str, float], lines: int) -> dict[str, Any]:
    """The daemons' SQL counts per settled line, in all and by scheduler job (None: no counts)."""

    def ratio(key: str) -> float | None:
        return round(counts[key] / lines, 2) if key in counts and lines else None

    def by_job(kind: str) -> dict[str, float | None]:
        return {k.split(".", 1)[1]: ratio(k) for k in sorted(counts) if k.startswith(f"{kind}.")}

    return {
        "statements_per_line": ratio("statements"),
        "transactions_per_line": ratio("transactions"),
        "commits_per_line": ratio("commits"),
        "statements_per_line_by_job": by_job("statements"),
        "transactions_per_line_by_job": by_job("transactions"),
    }
