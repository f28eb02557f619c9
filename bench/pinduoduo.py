"""A Pinduoduo shop for the bench: its sandbox, its settings, its orders placed and its records read.

The cells of ``--storefront pinduoduo`` run the daemons with this one shop
instead of the Taobao one: the sandbox (``adapters.pinduoduo.sandbox``) runs
in the bench's process beside the other two, the daemons reach it through the
real client over HTTP. Orders come from the lab's ``OrderMaker`` stream, each
placed with its card in the virtual order's recharge account (选号卡号), as a
Pinduoduo buyer gives it; orders that deliver card codes are left out of the
stream (Pinduoduo's virtual delivery carries none: such a line would only go
to a person). To be folded into ``bridge.lab`` once the lab starts both
storefronts.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from adapters.pinduoduo.sandbox import VIRTUAL_LOGISTICS_ID, PinduoduoSandbox, RunningSandbox, start_sandbox
from bridge.core.money import fen_to_yuan
from bridge.lab.scenario import OrderMaker, PlannedOrder

PDD_SHOP = "pdd"
_BULK = 2000
_PLACING_CONCURRENCY = 8


@asynccontextmanager
async def running_pinduoduo(seed: int) -> AsyncIterator[RunningSandbox]:
    """The Pinduoduo sandbox on a free port for one cell, stopped after it."""
    running = await start_sandbox(sandbox=PinduoduoSandbox(rng=random.Random(seed)))
    try:
        yield running
    finally:
        await running.runner.cleanup()


def shop_settings(running: RunningSandbox) -> dict[str, Any]:
    """``[shops.pdd]``: the shop on the sandbox, with the lab's timeout."""
    return {
        "storefront": "pinduoduo",
        "url": running.router_url,
        "client_id": running.sandbox.credentials.client_id,
        "logistics_id": VIRTUAL_LOGISTICS_ID,
        "timeout_s": 5.0,
    }


def shop_env(running: RunningSandbox) -> dict[str, str]:
    """The shop's secrets, as the variables its settings name by default."""
    creds = running.sandbox.credentials
    return {"BRIDGE_PDD_CLIENT_SECRET": creds.client_secret, "BRIDGE_PDD_ACCESS_TOKEN": creds.access_token}


def deliverable(order: PlannedOrder) -> bool:
    """Whether Pinduoduo can deliver the order: no line hands the buyer card codes."""
    return not any(line.cards for line in order.lines)


def stream(maker: OrderMaker, count: int) -> list[PlannedOrder]:
    """The first ``count`` orders of the stream that Pinduoduo can deliver (the same bad kinds)."""
    made: list[PlannedOrder] = []
    n = 0
    while len(made) < count:
        order = maker.make(n)
        n += 1
        if deliverable(order):
            made.append(order)
    return made


def order_body(order: PlannedOrder) -> dict[str, Any]:
    """The sandbox's ``POST /sandbox/orders`` body: each line at its paid unit price (an amount
    mismatch is a lower price), the card in the recharge account, paid."""
    card = next((line.card_no for line in order.lines if line.card_no), None)
    items = [
        {
            "outer_id": line.outer_sku_id,
            "goods_name": line.title,
            "price": fen_to_yuan(line.payment_fen // line.quantity),
            "quantity": line.quantity,
        }
        for line in order.lines
    ]
    body: dict[str, Any] = {"items": items, "recharge_account": card}
    if card is None:
        body["buyer_memo"] = order.buyer_message
    return body


def _placed(order: PlannedOrder, answer: dict[str, Any]) -> PlannedOrder:
    order.tid, order.oids = str(answer["order_sn"]), [str(s) for s in answer["sku_ids"]]
    return order


async def place_in_bulk(http: aiohttp.ClientSession, url: str, orders: list[PlannedOrder]) -> None:
    """Place and pay ``orders`` through the bulk endpoint (a backlog in seconds)."""
    for start in range(0, len(orders), _BULK):
        chunk = orders[start : start + _BULK]
        body = {"orders": [order_body(o) for o in chunk]}
        async with http.post(f"{url}/sandbox/orders/bulk", json=body) as resp:
            resp.raise_for_status()
            answers = (await resp.json())["orders"]
        for order, answer in zip(chunk, answers, strict=True):
            _placed(order, answer)


async def place_at_rate(
    http: aiohttp.ClientSession, url: str, orders: list[PlannedOrder], rate: float, placed: list[PlannedOrder]
) -> None:
    """Place and pay ``orders`` one by one at ``rate`` per second, on schedule, into ``placed``."""
    sem = asyncio.Semaphore(_PLACING_CONCURRENCY)

    async def one(order: PlannedOrder) -> None:
        async with sem, http.post(f"{url}/sandbox/orders", json=order_body(order)) as resp:
            resp.raise_for_status()
            placed.append(_placed(order, await resp.json()))

    tasks = []
    started = time.monotonic()
    try:
        for n, order in enumerate(orders):
            tasks.append(asyncio.create_task(one(order)))
            await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
