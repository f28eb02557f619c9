"""The orders of a lab run: their kinds, good and bad, and the order of the n-th one.

``OrderMaker`` plans each order (its lines, the card, what the billing core
must end up giving or the exception reason each bad line must end in); placing
it on a storefront's sandbox is ``bridge.lab.scenario``'s. Each storefront has
its own cycle of kinds: every bad kind of ``BAD_KINDS`` shows in any 30 orders
of one storefront. Pinduoduo delivers no card codes, so there a card-delivery
order is the bad kind ``card_codes`` (``PDD_BAD_KINDS``), never a good one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

from bridge.core.mapping import MappingSet
from bridge.core.mapping.files import Delivery
from bridge.core.models import ProductKind

BAD_KINDS: dict[str, str] = {
    # kind of bad order → the exception reason it must end in
    "unknown_card": "SUBSCRIBER_NOT_FOUND",
    "suspended": "SUBSCRIBER_INACTIVE",
    "unmapped_sku": "UNMAPPED_SKU",
    "amount_mismatch": "AMOUNT_MISMATCH",
    "two_way": "TWO_WAY_REQUIRED",
    "no_card": "CARD_MISSING",
}
PDD_BAD_KINDS: dict[str, str] = {
    **BAD_KINDS,
    "card_codes": "CODES_NOT_DELIVERABLE",  # a card-delivery SKU: Pinduoduo delivers no codes
}
GOOD_KINDS = ("topup", "topup_qty", "channel", "multi_line", "big_recharge", "card_delivery")
BAD_SHARE = 0.2

Storefront = Literal["taobao", "pinduoduo", "api"]
"""Where an order is placed: a marketplace sandbox, or the order API (the lab's channel client)."""
STOREFRONTS: tuple[Storefront, ...] = ("taobao", "pinduoduo")


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
    storefront: Storefront = "taobao"

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

    def make(self, n: int, storefront: Storefront = "taobao") -> PlannedOrder:
        """The n-th order of ``storefront``'s own cycle of kinds."""
        bad = list(BAD_KINDS)
        slot = n % 10
        if slot in (3, 8):  # 20 % bad, cycling through every bad kind
            order = self._bad(bad[(n // 5) % len(bad)])
        else:
            kind = GOOD_KINDS[n % len(GOOD_KINDS)] if n % 17 else "big_recharge"
            order = (
                self._card_codes()
                if kind == "card_delivery" and storefront == "pinduoduo"
                else self._good(kind)
            )
        order.storefront = storefront
        return order

    def make_split(self, n: int, storefronts: tuple[Storefront, ...] = STOREFRONTS) -> PlannedOrder:
        """The n-th order of a run dealt to ``storefronts`` in turn (n = 0 to the first).

        Each storefront counts its own orders, so every bad kind shows on each within its first
        30: a run of 60 orders over two storefronts has them all on both.
        """
        return self.make(n // len(storefronts), storefronts[n % len(storefronts)])

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

    def _card_codes(self) -> PlannedOrder:
        """A card-delivery order where codes cannot be delivered: a person decides."""
        rule = self._rng.choice(self._cards)
        line = self._line(rule, None, quantity=self._rng.randint(1, 2), expect=PDD_BAD_KINDS["card_codes"])
        return PlannedOrder("card_codes", self._nick(), "", [line])

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
