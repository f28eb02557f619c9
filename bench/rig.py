"""One cell's world: the sandboxes, a fresh database, the bench's own view of the store, the daemons.

``cell_rig`` builds it and tears it down whatever happens (daemons reaped,
database dropped); the cell runners in ``bench.drain`` and ``bench.steady``
only place orders, start the daemons and read figures. The lab runs every
sandbox (``bridge.lab.sandboxes``); a ``pinduoduo`` cell gives the daemons the
lab's Pinduoduo shop on its sandbox in place of the Taobao one, and places and
verifies its orders with the lab's functions as a Taobao cell does.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from adapters.billing_core.sandbox import BillingKnobs
from bench.cells import Cell
from bench.databases import cell_database
from bench.fleet import PDD_SHOP, SHOP, Fleet, fleet
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.sandboxes import Sandboxes, pdd_shop_config, running_sandboxes
from bridge.lab.scenario import (
    BAD_KINDS,
    PDD_BAD_KINDS,
    OrderMaker,
    PlannedOrder,
    Storefront,
    fetch_subscribers,
    place_at_rate,
    place_paid_in_bulk,
)
from bridge.lab.verify import fetch_records, verify_run
from bridge.services.mappings import load_mapping_set
from bridge.store import SqlStore, open_store
from bridge.wiring import mapping_files

LEFT_OUT_KINDS = frozenset(PDD_BAD_KINDS) - frozenset(BAD_KINDS)
"""Kinds bad only because their storefront cannot deliver them (Pinduoduo's card codes): the
cells leave them out, so a Pinduoduo cell's lines take the same kind of work as a Taobao cell's
(each good line a billing call, a fifth bad) and their lines/s can be read against each other."""


@dataclass
class Rig:
    cell: Cell
    sb: Sandboxes
    http: aiohttp.ClientSession
    store: SqlStore
    daemons: Fleet
    maker: OrderMaker
    workdir: Path

    @property
    def shop(self) -> str:
        """The cell's one shop: the Taobao shop, or the Pinduoduo one of a ``pinduoduo`` cell."""
        return SHOP if self.cell.storefront == "taobao" else PDD_SHOP

    @property
    def market_url(self) -> str:
        """The base URL of the storefront sandbox the cell's shop sells on."""
        return self.sb.storefront_urls[self.cell.storefront]

    async def market_calls(self) -> dict[str, int]:
        """The storefront sandbox's calls so far, by method."""
        async with self.http.get(f"{self.market_url}/sandbox/stats") as resp:
            resp.raise_for_status()
            return {k: int(v) for k, v in (await resp.json())["calls"].items()}

    def backlog(self, orders: int) -> list[PlannedOrder]:
        """The first ``orders`` orders of the stream of the shop's storefront."""
        return backlog(self.maker, orders=orders, storefront=self.cell.storefront)

    async def place_paid_in_bulk(self, orders: list[PlannedOrder]) -> None:
        """Place and pay ``orders`` in their storefront's sandbox through its bulk endpoint."""
        await place_paid_in_bulk(self.http, self.sb.market_url, orders, pdd_url=self.sb.pdd_url)

    async def place_at_rate(self, count: int, rate: float, placed: list[PlannedOrder]) -> None:
        """Place and pay ``count`` orders of the stream one by one at ``rate`` per second, into ``placed``."""
        await place_at_rate(self.http, self.sb.storefront_urls, self.backlog(count), rate, placed)

    async def verify(self, placed: list[PlannedOrder]) -> dict[str, Any]:
        """The sandboxes' records checked by ``bridge.lab.verify`` for the cell's shop: latencies,
        duplicates, lost."""
        lines = await self.store.views.all_lines()
        records = await fetch_records(self.http, self.sb.market_url, self.sb.billing_url, self.sb.pdd_url)
        return verify_run(placed, records, lines, self.shop)


def backlog(
    maker: OrderMaker, *, orders: int = 0, lines: int = 0, storefront: Storefront = "taobao"
) -> list[PlannedOrder]:
    """The first ``orders`` orders of ``storefront``'s stream, or as many as make ``lines`` lines,
    less the kinds its cells leave out (``LEFT_OUT_KINDS``; none on Taobao)."""
    made: list[PlannedOrder] = []
    count = n = 0
    while (orders and len(made) < orders) or (lines and count < lines):
        order = maker.make(n, storefront)
        n += 1
        if order.kind not in LEFT_OUT_KINDS:
            made.append(order)
            count += len(order.lines)
    return made


@asynccontextmanager
async def cell_rig(cell: Cell, **sections: dict[str, Any]) -> AsyncIterator[Rig]:
    """Everything a cell needs, daemons configured (not started) with ``sections`` of settings."""
    workdir = Path(tempfile.mkdtemp(prefix="bridge-bench-"))
    knobs = BillingKnobs(latency_ms=cell.latency_ms, max_in_flight=cell.cap)
    async with (
        running_sandboxes(seed=cell.seed, billing_knobs=knobs) as sb,
        aiohttp.ClientSession() as http,
        cell_database(cell.engine, workdir) as dsn,
    ):
        store = await open_store(dsn, upgrade=True)
        shops = {PDD_SHOP: pdd_shop_config(sb)} if cell.storefront == "pinduoduo" else None
        daemons = fleet(sb, workdir, dsn, cell.instances, cell.cap, shops=shops, **sections)
        finished = False
        try:
            subscribers = await fetch_subscribers(http, sb.billing_url)
            maker = OrderMaker(load_mapping_set(mapping_files(DEMO_MAPPINGS)), subscribers, cell.seed)
            yield Rig(cell, sb, http, store, daemons, maker, workdir)
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
