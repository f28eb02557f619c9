"""A realistic stream of shop orders, placed through the marketplace sandbox's shopper endpoints.

Used by ``bridge demo``, the crash test and the benchmark. A fixed share of the
orders is deliberately bad, each kind with the exception reason it must end in.
Deterministic for a given seed and subscriber list.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bridge.core.mapping import MappingSet
from bridge.core.mapping.files import Delivery
from bridge.core.models import ProductKind
from bridge.core.money import fen_to_yuan

BAD_KINDS: dict[str, str] = {
    # kind of bad order → the exception reason it must end in
    "unknown_card": "SUBSCRIBER_NOT_FOUND",
    "suspended": "SUBSCRIBER_INACTIVE",
    "unmapped_sku": "UNMAPPED_SKU",
    "amount_mismatch": "AMOUNT_MISMATCH",
    "two_way": "TWO_WAY_REQUIRED",
    "no_card": "CARD_MISSING",
}
GOOD_KINDS = ("topup", "topup_qty", "channel", "multi_line", "big_recharge", "card_delivery")
BAD_SHARE = 0.2


@dataclass
class PlannedLine:
    outer_sku_id: str
    title: str
    price_fen: int
    quantity: int
    payment_fen: int
    expect_reason: str | None  # None: must be provisioned and delivered
    card_no: str | None = None
    product_code: str | None = None
    credit_fen: int = 0  # for top-up recharges: what the card must be credited
    months: int = 0
    cards: int = 0  # for card delivery: how many cards must be issued


@dataclass
class PlannedOrder:
    kind: str
    buyer_nick: str
    buyer_message: str
    lines: list[PlannedLine]
    tid: str | None = None
    oids: list[str] = field(default_factory=list)

    @property
    def bad(self) -> bool:
        return any(line.expect_reason for line in self.lines)


@dataclass
class Subscribers:
    active_two_way: list[str]
    active_one_way: list[str]
    suspended: list[str]


class OrderMaker:
    """Makes the n-th order of a run: kinds cycle so every bad kind appears in any 30 orders."""

    def __init__(self, mapping: MappingSet, subs: Subscribers, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self._subs = subs
        rules = list(mapping.skus.rules.values())
        cat = mapping.catalogue.products
        self._topup = [
            r
            for r in rules
            if r.delivery is Delivery.TOPUP and cat[r.product_code].kind is ProductKind.RECHARGE
        ]
        self._cards = [r for r in rules if r.delivery is Delivery.CARD]
        self._channels = [
            r
            for r in rules
            if cat[r.product_code].kind is ProductKind.CHANNEL and not cat[r.product_code].requires_two_way
        ]
        self._two_way = [r for r in rules if cat[r.product_code].requires_two_way]
        self._cat = cat
        self._big = next(r for r in self._topup if cat[r.product_code].price_fen * r.units == 200_000)

    def make(self, n: int) -> PlannedOrder:
        bad = list(BAD_KINDS)
        slot = n % 10
        if slot in (3, 8):  # 20 % bad, cycling through every bad kind
            return self._bad(bad[(n // 5) % len(bad)])
        return self._good(GOOD_KINDS[n % len(GOOD_KINDS)] if n % 17 else "big_recharge")

    def _line(
        self,
        rule: Any,
        card: str | None,
        quantity: int = 1,
        expect: str | None = None,
        payment_fen: int | None = None,
    ) -> PlannedLine:
        product = self._cat[rule.product_code]
        line = PlannedLine(
            outer_sku_id=rule.outer_sku_id,
            title=rule.title or product.name,
            price_fen=rule.price_fen,
            quantity=quantity,
            payment_fen=rule.price_fen * quantity if payment_fen is None else payment_fen,
            expect_reason=expect,
            card_no=card,
            product_code=rule.product_code,
        )
        if expect is None and rule.delivery is Delivery.TOPUP:
            if product.kind is ProductKind.RECHARGE:
                line.credit_fen = product.price_fen * rule.units * quantity
            else:
                line.months = rule.units * quantity
        elif expect is None:
            line.cards = rule.units * quantity
        return line

    def _message(self, card: str) -> str:
        style = self._rng.randrange(4)
        if style == 0:
            return f"卡号{card}"
        if style == 1:
            return f"智能卡号：{card[:4]} {card[4:8]} {card[8:12]} {card[12:]}，谢谢"
        if style == 2:
            return f"{card}"
        return f"充到这个卡 {card} 电话13800138000"

    def _nick(self) -> str:
        return f"tb{self._rng.randrange(10**6, 10**7)}"

    def _good(self, kind: str) -> PlannedOrder:
        rng = self._rng
        card = rng.choice(self._subs.active_two_way)
        if kind == "topup":
            lines = [self._line(rng.choice(self._topup), card)]
        elif kind == "topup_qty":
            lines = [self._line(rng.choice(self._topup[:4]), card, quantity=rng.randint(2, 3))]
        elif kind == "channel":
            lines = [self._line(rng.choice(self._channels), card, quantity=rng.randint(1, 3))]
        elif kind == "multi_line":
            picks = [*rng.sample(self._channels, 2), rng.choice(self._topup[:3])]
            lines = [self._line(r, card) for r in picks]
        elif kind == "big_recharge":
            lines = [self._line(self._big, card, quantity=3)]
        else:
            lines = [self._line(rng.choice(self._cards), None, quantity=rng.randint(1, 2))]
        return PlannedOrder(kind, self._nick(), self._message(card), lines)

    def _bad(self, kind: str) -> PlannedOrder:
        rng = self._rng
        reason = BAD_KINDS[kind]
        card = rng.choice(self._subs.active_two_way)
        rule = rng.choice(self._topup[:4])
        message = self._message(card)
        if kind == "unknown_card":
            card = "8371" + "".join(str(rng.randrange(10)) for _ in range(12))
            while card in self._subs.active_two_way:
                card = card[:-1] + str((int(card[-1]) + 1) % 10)
            message = self._message(card)
            line = self._line(rule, card, expect=reason)
        elif kind == "suspended":
            card = rng.choice(self._subs.suspended)
            message = self._message(card)
            line = self._line(rule, card, expect=reason)
        elif kind == "unmapped_sku":
            line = PlannedLine(
                outer_sku_id=f"TV-NEW-{rng.randrange(100, 999)}",
                title="新上架 频道包 1个月",
                price_fen=500,
                quantity=1,
                payment_fen=500,
                expect_reason=reason,
                card_no=card,
            )
        elif kind == "amount_mismatch":
            line = self._line(rule, card, expect=reason, payment_fen=rule.price_fen - 100)
        elif kind == "two_way":
            card = rng.choice(self._subs.active_one_way)
            message = self._message(card)
            line = self._line(rng.choice(self._two_way), card, expect=reason)
        else:
            message = "请尽快充值，谢谢"
            line = self._line(rule, None, expect=reason)
        return PlannedOrder(kind, self._nick(), message, [line])


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


async def place_order(http: aiohttp.ClientSession, market_url: str, order: PlannedOrder) -> PlannedOrder:
    """Place and pay one order through the marketplace sandbox's shopper endpoints."""
    async with http.post(f"{market_url}/sandbox/trades", json=order_body(order)) as resp:
        resp.raise_for_status()
        placed = await resp.json()
    order.tid, order.oids = str(placed["tid"]), [str(o) for o in placed["oids"]]
    async with http.post(f"{market_url}/sandbox/trades/{order.tid}/pay") as resp:
        resp.raise_for_status()
    return order


async def place_orders(
    http: aiohttp.ClientSession,
    market_url: str,
    maker: OrderMaker,
    count: int,
    rate: float,
    placed: list[PlannedOrder],
    concurrency: int = 8,
) -> None:
    """Place orders ``0..count-1`` at ``rate`` per second (0: as fast as possible) into ``placed``."""
    sem = asyncio.Semaphore(concurrency)

    async def one(order: PlannedOrder) -> None:
        async with sem:
            placed.append(await place_order(http, market_url, order))

    tasks = []
    started = time.monotonic()
    try:
        for n in range(count):
            tasks.append(asyncio.create_task(one(maker.make(n))))  # made in order: deterministic
            if rate > 0:  # keep to the schedule (no drift), whatever each placement took
                await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
            elif n % concurrency == 0:
                await asyncio.sleep(0)
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def place_paid_in_bulk(
    http: aiohttp.ClientSession, market_url: str, orders: list[PlannedOrder], batch: int = 2000
) -> list[PlannedOrder]:
    """Place and pay ``orders`` through the bulk endpoint (a benchmark's backlog, in seconds)."""
    for start in range(0, len(orders), batch):
        chunk = orders[start : start + batch]
        body = {"trades": [order_body(o) for o in chunk], "pay": True}
        async with http.post(f"{market_url}/sandbox/trades/bulk", json=body) as resp:
            resp.raise_for_status()
            placed = (await resp.json())["trades"]
        for order, answer in zip(chunk, placed, strict=True):
            order.tid, order.oids = str(answer["tid"]), [str(o) for o in answer["oids"]]
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
