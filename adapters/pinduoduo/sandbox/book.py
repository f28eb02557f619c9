"""The sandbox shop's orders and after-sales, and the moves a buyer, the seller or the platform make.

Pure state, no HTTP: the gateway methods and the control endpoints both call
these. Every change goes through ``OrderBook.changed`` so that ``updated_at``
is bumped (to the second, as the platform stamps it) and a snapshot kept;
the incremental list serves the snapshot "visible" under the visibility
delay, the detail the live order. A Pinduoduo order has one after-sales
state for the whole order. Times are GMT+8 aware on the platform's clock;
order numbers (``yyMMdd-`` + 15 digits) come from a seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

_MAX_VERSIONS = 50
# after-sales outcome → (refund_status, after_sales_status)
REFUND_MOVES = {
    "requested": (2, 2),  # 买家申请退款，待商家处理
    "agreed": (3, 4),  # 商家同意退款，退款中
    "success": (4, 10),  # 退款成功
    "refused": (2, 6),  # 驳回退款，待买家处理
    "withdrawn": (1, 11),  # 买家撤销
}


class BookError(Exception):
    """A move the order's state does not allow; ``kind`` is ``not_found`` or ``conflict``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class SandboxItem:
    sku_id: int
    goods_id: int
    goods_name: str
    goods_count: int
    price_fen: int
    outer_id: str
    outer_goods_id: str


@dataclass
class SandboxOrder:
    order_sn: str
    created: datetime
    updated: datetime
    items: list[SandboxItem]
    pay_fen: int
    recharge_account: str | None = None  # the virtual order's 选号卡号
    contact_phone: str | None = None
    buyer_memo: str | None = None
    confirm_status: int = 0
    order_status: int = 1
    refund_status: int = 1
    after_sales_status: int = 0
    pay_time: datetime | None = None
    confirm_time: datetime | None = None
    shipping_time: datetime | None = None
    remark: str | None = None
    remark_tag: int | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    send_calls: int = 0
    versions: list[SandboxOrder] = field(default_factory=list, repr=False)

    def snapshot(self) -> SandboxOrder:
        return replace(self, items=[replace(i) for i in self.items], versions=[])


@dataclass(frozen=True)
class NewItem:
    outer_id: str
    goods_name: str
    price_fen: int
    quantity: int = 1


class OrderBook:
    """Every order of the sandbox shop, keyed by order_sn."""

    def __init__(self, clock: Callable[[], datetime], rng: random.Random) -> None:
        self._clock = clock
        self._rng = rng
        self._orders: dict[str, SandboxOrder] = {}
        self.generation = 0  # one more on every change a listing can see

    def __iter__(self) -> Iterator[SandboxOrder]:
        return iter(self._orders.values())

    def now(self) -> datetime:
        """The platform's clock, to the second (the platform stamps whole seconds)."""
        return self._clock().replace(microsecond=0)

    def get(self, order_sn: str) -> SandboxOrder:
        order = self._orders.get(order_sn)
        if order is None:
            raise BookError("not_found", f"no order {order_sn}")
        return order

    def _new_sn(self) -> str:
        while True:
            sn = f"{self.now():%y%m%d}-{self._rng.randrange(10**14, 10**15)}"
            if sn not in self._orders:
                return sn

    def changed(self, order: SandboxOrder) -> None:
        """Bump ``updated`` to now (never backwards) and keep a listing snapshot."""
        self.generation += 1
        order.updated = max(self.now(), order.updated)
        order.versions.append(order.snapshot())
        del order.versions[:-_MAX_VERSIONS]

    def place(
        self, items: list[NewItem], *, account: str | None, phone: str | None, memo: str | None
    ) -> SandboxOrder:
        now = self.now()
        order = SandboxOrder(
            order_sn=self._new_sn(),
            created=now,
            updated=now,
            items=[
                SandboxItem(
                    sku_id=self._rng.randrange(10**9, 10**11),
                    goods_id=self._rng.randrange(10**8, 10**10),
                    goods_name=new.goods_name,
                    goods_count=new.quantity,
                    price_fen=new.price_fen,
                    outer_id=new.outer_id,
                    outer_goods_id=new.outer_id.split("-")[0],
                )
                for new in items
            ],
            pay_fen=sum(new.price_fen * new.quantity for new in items),
            recharge_account=account,
            contact_phone=phone,
            buyer_memo=memo,
        )
        self._orders[order.order_sn] = order
        self.changed(order)
        return order

    def pay(self, order_sn: str) -> SandboxOrder:
        """Paid and 成交: the order is the seller's to ship."""
        order = self.get(order_sn)
        if order.confirm_status != 0:
            raise BookError("conflict", f"order {order_sn} is confirm_status {order.confirm_status}, not 0")
        order.confirm_status = 1
        order.pay_time = order.confirm_time = self.now()
        self.changed(order)
        return order

    def refund(self, order_sn: str, outcome: str) -> SandboxOrder:
        """An after-sales move on the whole order: requested, agreed, success, refused, withdrawn."""
        order = self.get(order_sn)
        if order.confirm_status != 1:
            raise BookError("conflict", f"order {order_sn} is not paid: nothing to refund")
        if outcome not in REFUND_MOVES:
            raise BookError("conflict", f"unknown after-sales outcome {outcome!r}")
        order.refund_status, order.after_sales_status = REFUND_MOVES[outcome]
        self.changed(order)
        return order

    def ship(self, order: SandboxOrder, logistics_id: int, tracking: str) -> None:
        """The delivery itself; the caller has checked the state."""
        order.order_status = 2
        order.shipping_time = self.now()
        order.deliveries.append({"at": self.now(), "logistics_id": logistics_id, "tracking_number": tracking})
        self.changed(order)

    def note(self, order: SandboxOrder, text: str, tag: int | None) -> None:
        order.remark = text or None
        if tag is not None:
            order.remark_tag = tag
        order.notes.append({"note": order.remark, "tag": order.remark_tag, "at": self.now()})
        self.changed(order)

    def edit(self, order_sn: str) -> None:
        """An edit that changes nothing but ``updated_at`` (a busy shop, a platform job)."""
        self.changed(self.get(order_sn))

    def listing(self, delay_s: float) -> list[SandboxOrder]:
        """What the incremental list can see now: each order's newest version older than the delay."""
        if delay_s <= 0:
            return list(self._orders.values())
        horizon = self.now() - timedelta(seconds=delay_s)
        visible = []
        for order in self._orders.values():
            ready = [v for v in order.versions if v.updated <= horizon]
            if ready:
                visible.append(ready[-1])
        return visible
