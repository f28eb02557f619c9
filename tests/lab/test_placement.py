"""Orders placed on the storefront sandboxes: a backlog in bulk, or orders already made at a rate.

``place_paid_in_bulk`` sends each order to its own storefront's bulk endpoint (Taobao's trades,
Pinduoduo's orders, paid); ``place_at_rate`` places orders already made, each on its own
storefront's sandbox. Both record the ids the storefront gave back on the orders.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bridge.lab import DEMO_MAPPINGS
from bridge.lab.sandboxes import Sandboxes, running_sandboxes
from bridge.lab.scenario import OrderMaker, PlannedOrder, fetch_subscribers, place_at_rate, place_paid_in_bulk
from bridge.services.mappings import load_mapping_set
from bridge.store.mapping_files import MappingDir


@pytest.fixture
async def lab() -> AsyncIterator[tuple[Sandboxes, aiohttp.ClientSession, OrderMaker]]:
    async with running_sandboxes(seed=3) as sb, aiohttp.ClientSession() as http:
        subs = await fetch_subscribers(http, sb.billing_url)
        yield sb, http, OrderMaker(load_mapping_set(MappingDir(DEMO_MAPPINGS)), subs, seed=3)


async def _get(http: aiohttp.ClientSession, url: str, key: str) -> list[dict[str, Any]]:
    async with http.get(url) as resp:
        resp.raise_for_status()
        return list((await resp.json())[key])


async def _pdd_orders(http: aiohttp.ClientSession, sb: Sandboxes) -> dict[str, dict[str, Any]]:
    return {str(o["order_sn"]): o for o in await _get(http, f"{sb.pdd_url}/sandbox/orders", "orders")}


async def _taobao_tids(http: aiohttp.ClientSession, sb: Sandboxes) -> set[str]:
    return {str(t["tid"]) for t in await _get(http, f"{sb.market_url}/sandbox/trades", "trades")}


async def test_a_pinduoduo_backlog_goes_to_its_sandbox_paid_in_batches(
    lab: tuple[Sandboxes, aiohttp.ClientSession, OrderMaker],
) -> None:
    """25 Pinduoduo orders in batches of 10: each placed and paid there, its order_sn and sku ids kept."""
    sb, http, maker = lab
    orders = [maker.make(n, "pinduoduo") for n in range(25)]
    await place_paid_in_bulk(http, sb.market_url, orders, batch=10, pdd_url=sb.pdd_url)
    on_pdd = await _pdd_orders(http, sb)
    assert sorted(on_pdd) == sorted(o.tid or "" for o in orders)
    assert all(on_pdd[o.tid or ""]["pay_time"] for o in orders)
    assert all(len(o.oids) == len(o.lines) for o in orders)
    assert await _taobao_tids(http, sb) == set()


async def test_a_mixed_backlog_goes_to_each_orders_own_storefront(
    lab: tuple[Sandboxes, aiohttp.ClientSession, OrderMaker],
) -> None:
    """Orders dealt to both storefronts land on theirs: Taobao's as trades, Pinduoduo's as orders."""
    sb, http, maker = lab
    orders = [maker.make_split(n) for n in range(12)]
    await place_paid_in_bulk(http, sb.market_url, orders, pdd_url=sb.pdd_url)
    assert set(await _pdd_orders(http, sb)) == {o.tid for o in orders if o.storefront == "pinduoduo"}
    assert await _taobao_tids(http, sb) == {o.tid for o in orders if o.storefront == "taobao"}


async def test_pinduoduo_orders_without_their_sandbox_are_refused_before_any_is_placed(
    lab: tuple[Sandboxes, aiohttp.ClientSession, OrderMaker],
) -> None:
    """No Pinduoduo URL for Pinduoduo orders: refused up front, so no half of the backlog is placed."""
    sb, http, maker = lab
    orders = [maker.make_split(n) for n in range(4)]
    with pytest.raises(ValueError, match="no Pinduoduo sandbox"):
        await place_paid_in_bulk(http, sb.market_url, orders)
    assert await _taobao_tids(http, sb) == set()


async def test_orders_already_made_are_placed_each_on_its_storefront(
    lab: tuple[Sandboxes, aiohttp.ClientSession, OrderMaker],
) -> None:
    """``place_at_rate`` places the orders it is given (none made anew), each on its own sandbox."""
    sb, http, maker = lab
    orders = [maker.make(n, "pinduoduo") for n in range(5)] + [maker.make(n) for n in range(3)]
    placed: list[PlannedOrder] = []
    await place_at_rate(http, sb.storefront_urls, orders, 0, placed)
    assert sorted(map(id, placed)) == sorted(map(id, orders))
    assert set(await _pdd_orders(http, sb)) == {o.tid for o in orders[:5]}
    assert await _taobao_tids(http, sb) == {o.tid for o in orders[5:]}
