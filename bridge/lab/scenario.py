"""A realistic stream of shop orders, placed through the storefront sandboxes' shopper endpoints.

Used by ``bridge demo``, ``bridge torture``, the crash test and the benchmark.
A fixed share of the orders is deliberately bad, each kind with the exception
reason it must end in (``bridge.lab.order_kinds``). An order is placed on
Taobao (``POST /sandbox/trades``, the card in the buyer's message) or on
Pinduoduo (``POST /sandbox/orders``, the card as the virtual order's recharge
account); ``place_orders`` with a Pinduoduo URL deals a run's orders to the two
in turn, ``place_at_rate`` places orders already made (each on its own
storefront's sandbox) and ``place_paid_in_bulk`` a backlog on either.
Deterministic for a given seed and subscriber list.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from bridge.core.money import fen_to_yuan
from bridge.lab.order_kinds import (
    BAD_KINDS,
    BAD_SHARE,
    GOOD_KINDS,
    PDD_BAD_KINDS,
    STOREFRONTS,
    OrderMaker,
    PlannedLine,
    PlannedOrder,
    Storefront,
    Subscribers,
)

__all__ = [
    "BAD_KINDS",
    "BAD_SHARE",
    "GOOD_KINDS",
    "PDD_BAD_KINDS",
    "STOREFRONTS",
    "OrderMaker",
    "PlannedLine",
    "PlannedOrder",
    "Storefront",
    "Subscribers",
    "fetch_subscribers",
    "order_body",
    "pdd_order_body",
    "place_at_rate",
    "place_order",
    "place_orders",
    "place_paid_in_bulk",
]


def order_body(order: PlannedOrder) -> dict[str, Any]:
    """The shopper endpoint's body for ``order`` (one trade)."""
    return {
        "buyer_nick": order.buyer_nick,
        "buyer_message": order.buyer_message,
        "lines": [
            {
                "outer_sku_id": ln.outer_sku_id,
                "title": ln.title,
                "price": fen_to_yuan(ln.price_fen),
                "quantity": ln.quantity,
                "payment": fen_to_yuan(ln.payment_fen),
            }
            for ln in order.lines
        ],
    }


def pdd_order_body(order: PlannedOrder) -> dict[str, Any]:
    """The Pinduoduo sandbox's ``POST /sandbox/orders`` body for ``order`` (placed paid).

    The platform charges price × quantity, so each item's price is what its line pays per unit
    (an amount-mismatch line is offered below the mapped price); the smart-card number is the
    virtual order's recharge account, which reaches the bridge through
    ``pdd.order.virtual.information.get`` (an order without one has none).
    """
    card = next((ln.card_no for ln in order.lines if ln.card_no), None)
    items = []
    for ln in order.lines:
        per_unit, rest = divmod(ln.payment_fen, ln.quantity)
        if rest:
            raise ValueError(f"{ln.payment_fen} fen does not split over {ln.quantity} units")
        items.append(
            {
                "outer_id": ln.outer_sku_id,
                "goods_name": ln.title,
                "price": fen_to_yuan(per_unit),
                "quantity": ln.quantity,
            }
        )
    return {"items": items, "recharge_account": card}


def _placed_on_taobao(order: PlannedOrder, answer: dict[str, Any]) -> PlannedOrder:
    order.tid, order.oids = str(answer["tid"]), [str(o) for o in answer["oids"]]
    return order


def _placed_on_pdd(order: PlannedOrder, answer: dict[str, Any]) -> PlannedOrder:
    order.tid, order.oids = str(answer["order_sn"]), [str(s) for s in answer["sku_ids"]]
    return order


async def place_order(http: aiohttp.ClientSession, market_url: str, order: PlannedOrder) -> PlannedOrder:
    """Place and pay one order through its storefront sandbox's shopper endpoints at ``market_url``."""
    if order.storefront == "pinduoduo":
        async with http.post(f"{market_url}/sandbox/orders", json=pdd_order_body(order)) as resp:
            resp.raise_for_status()
            return _placed_on_pdd(order, await resp.json())
    async with http.post(f"{market_url}/sandbox/trades", json=order_body(order)) as resp:
        resp.raise_for_status()
        _placed_on_taobao(order, await resp.json())
    async with http.post(f"{market_url}/sandbox/trades/{order.tid}/pay") as resp:
        resp.raise_for_status()
    return order


async def place_at_rate(
    http: aiohttp.ClientSession,
    urls: Mapping[Storefront, str],
    orders: Iterable[PlannedOrder],
    rate: float,
    placed: list[PlannedOrder],
    concurrency: int = 8,
) -> None:
    """Place and pay ``orders`` in turn at ``rate`` per second (0: as fast as possible) into ``placed``,
    each on its own storefront's sandbox (``urls``: storefront → base URL).

    ``orders`` is read one at a time as its turn comes, so a lazy iterable is made in order.
    """
    sem = asyncio.Semaphore(concurrency)

    async def one(order: PlannedOrder) -> None:
        async with sem:
            placed.append(await place_order(http, urls[order.storefront], order))

    tasks = []
    started = time.monotonic()
    try:
        for n, order in enumerate(orders):
            tasks.append(asyncio.create_task(one(order)))
            if rate > 0:  # keep to the schedule (no drift), whatever each placement took
                await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
            elif n % concurrency == 0:
                await asyncio.sleep(0)
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def place_orders(
    http: aiohttp.ClientSession,
    market_url: str,
    maker: OrderMaker,
    count: int,
    rate: float,
    placed: list[PlannedOrder],
    concurrency: int = 8,
    *,
    pdd_url: str | None = None,
) -> None:
    """Place orders ``0..count-1`` at ``rate`` per second (0: as fast as possible) into ``placed``.

    With ``pdd_url`` (the Pinduoduo sandbox's) the orders are dealt to Taobao and Pinduoduo in
    turn (``OrderMaker.make_split``); without it every order is Taobao's.
    """
    urls: dict[Storefront, str] = {"taobao": market_url, "pinduoduo": pdd_url or ""}
    made = (maker.make_split(n) if pdd_url else maker.make(n) for n in range(count))  # made in order
    await place_at_rate(http, urls, made, rate, placed, concurrency)


async def place_paid_in_bulk(
    http: aiohttp.ClientSession,
    market_url: str,
    orders: list[PlannedOrder],
    batch: int = 2000,
    *,
    pdd_url: str | None = None,
) -> list[PlannedOrder]:
    """Place and pay ``orders`` through their storefronts' bulk endpoints (a benchmark's backlog, in
    seconds): Taobao's at ``market_url``, Pinduoduo's at ``pdd_url`` (required when there are any)."""
    pdd = [o for o in orders if o.storefront == "pinduoduo"]
    if pdd and pdd_url is None:
        raise ValueError(f"{len(pdd)} Pinduoduo orders and no Pinduoduo sandbox to place them in")
    taobao = [o for o in orders if o.storefront == "taobao"]
    for start in range(0, len(taobao), batch):
        chunk = taobao[start : start + batch]
        body = {"trades": [order_body(o) for o in chunk], "pay": True}
        async with http.post(f"{market_url}/sandbox/trades/bulk", json=body) as resp:
            resp.raise_for_status()
            answers = (await resp.json())["trades"]
        for order, answer in zip(chunk, answers, strict=True):
            _placed_on_taobao(order, answer)
    for start in range(0, len(pdd), batch):
        chunk = pdd[start : start + batch]
        async with http.post(
            f"{pdd_url}/sandbox/orders/bulk", json={"orders": [pdd_order_body(o) for o in chunk]}
        ) as resp:
            resp.raise_for_status()
            answers = (await resp.json())["orders"]  # placed paid: the sandbox's default
        for order, answer in zip(chunk, answers, strict=True):
            _placed_on_pdd(order, answer)
    return orders


async def fetch_subscribers(http: aiohttp.ClientSession, billing_url: str) -> Subscribers:
    async with http.get(f"{billing_url}/sandbox/subscribers") as resp:
        resp.raise_for_status()
        subs = (await resp.json())["subscribers"]
    return Subscribers(
        active_two_way=[s["card_no"] for s in subs if s["status"] == "active" and s["two_way"]],
        active_one_way=[s["card_no"] for s in subs if s["status"] == "active" and not s["two_way"]],
        suspended=[s["card_no"] for s in subs if s["status"] == "suspended"],
    )
