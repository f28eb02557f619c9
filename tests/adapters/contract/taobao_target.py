"""The contract suite's Taobao target: ``TaobaoClient`` against the Taobao sandbox over HTTP.

Orders are placed, paid, refunded, inspected and its knobs set through the
sandbox's ``/sandbox/...`` endpoints; three moves it has no endpoint for are
made on the sandbox object served in this process: an edit (``shift``), a
seller refusing a refund (``SELLER_REFUSE_BUYER``) and a skewed clock.

Where Taobao differs by design: a lapsed session is a ``ConfigError`` (the
seller must authorise the app again; ``TAOBAO_SESSION_INVALID``); notes are
counted in UTF-8 bytes (1000); the delivery carries card codes
(``feature=identCode=...``); a refund that succeeds closes the trade, delivered
or not (``TRADE_CLOSED``: 付款以后退款成功，交易自动关闭, taobao-top.md); and
nothing documented says ``dummy.send`` refuses a trade whose refund is asked
(the sandbox ships it: the bridge holds such a line itself, never delivering).
Its sandbox cannot repeat rows across pages, cut pages short, or refuse a
second delivery vaguely (it always says B27; the client's re-read on B04/B55
is pinned in ``tests/adapters/taobao``), so those cases are skipped for it.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from adapters.taobao import TaobaoClient
from adapters.taobao.sandbox import RunningSandbox, TaobaoSandbox, start_sandbox
from adapters.taobao.sandbox.statuses import RefundStatus
from bridge.core.errors import ConfigError
from bridge.core.models import CST
from bridge.core.outcomes import SESSION_INVALID_CODE
from bridge.core.trades import OrderState
from bridge.ports.storefront import StorefrontPort

from .target import MISBEHAVIOURS, ContractTarget

_UNPLAYED = frozenset({"duplicates", "partial_pages", "vague_already_shipped"})
_REFUNDS = {"requested": "requested", "success": "success", "withdrawn": "closed"}


class _SkewedClock:
    """China time plus the skew the ``clock_skew_s`` misbehaviour sets."""

    def __init__(self) -> None:
        self.skew = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(CST) + self.skew


_KNOBS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "late_listing_s": lambda v: {"visibility_delay_s": v},
    "edits_while_paging": lambda v: {"shift_pages": v},
    "rate_limit": lambda v: {"error_rate": {"call_limit": 1.0 if v else 0.0}},
    "expired_token": lambda v: {"error_rate": {"session": 1.0 if v else 0.0}},
    "latency_ms": lambda v: {"latency_ms": v},
}
assert set(_KNOBS) | {"clock_skew_s"} | _UNPLAYED == MISBEHAVIOURS


class _Shop:
    """The hooks, on one served sandbox and one HTTP session."""

    def __init__(self, http: aiohttp.ClientSession, served: RunningSandbox, clock: _SkewedClock) -> None:
        self.http, self.served, self.clock = http, served, clock
        self.sandbox = served.sandbox

    async def admin(self, path: str, body: object = None) -> Any:
        verb = "POST" if body is not None else "GET"
        async with self.http.request(verb, self.served.url + path, json=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    def make_port(self, timeout_s: float = 5.0, max_retries: int = 0, page_size: int = 50) -> StorefrontPort:
        return TaobaoClient(
            self.http,
            url=self.served.router_url,
            app_key=self.sandbox.app_key,
            app_secret=self.sandbox.app_secret,
            session_key=self.sandbox.session_key,
            page_size=page_size,
            timeout_s=timeout_s,
            max_retries=max_retries,
            backoff_base_s=0.01,
            backoff_max_s=0.05,
        )

    async def place_paid(self, account: str) -> str:
        item = {"outer_sku_id": "RC-50", "title": "有线电视充值50元", "price": "50.00", "quantity": 1}
        body = {"buyer_nick": "tb_contract", "lines": [item | {"customization": account}]}
        tid = (await self.admin("/sandbox/trades", body))["tid"]
        await self.admin(f"/sandbox/trades/{tid}/pay", {})
        return str(tid)

    async def refund(self, tid: str, outcome: str) -> None:
        trade = self.sandbox.book.get(int(tid))
        if outcome == "refused":  # the seller refuses in the back office: no shopper endpoint
            trade.lines[0].refund_status = RefundStatus.SELLER_REFUSE_BUYER.value
            self.sandbox.book.changed(trade)
            return
        body = {"oid": trade.lines[0].oid, "outcome": _REFUNDS[outcome]}
        await self.admin(f"/sandbox/trades/{tid}/refund", body)

    async def edit(self, tid: str) -> None:
        self.sandbox.shift(int(tid))

    async def delivered(self, tid: str) -> int:
        return len((await self.admin(f"/sandbox/trades/{tid}"))["deliveries"])

    async def delivered_codes(self, tid: str) -> list[str]:
        feature = (await self.admin(f"/sandbox/trades/{tid}"))["deliveries"][-1]["feature"] or ""
        _, _, entries = feature.partition("identCode=")
        return [code for entry in entries.split("|") for code in entry.partition(":")[2].split(",")]

    async def misbehave(self, **neutral: Any) -> None:
        knobs: dict[str, Any] = {}
        for name, value in neutral.items():
            if name == "clock_skew_s":
                self.clock.skew = timedelta(seconds=value)
            else:
                knobs.update(_KNOBS[name](value))
        if knobs:
            await self.admin("/sandbox/knobs", knobs)


@asynccontextmanager
async def taobao() -> AsyncIterator[ContractTarget]:
    clock = _SkewedClock()
    served = await start_sandbox(sandbox=TaobaoSandbox(rng=random.Random(20261207), clock=clock))
    try:
        async with aiohttp.ClientSession() as http:
            shop = _Shop(http, served, clock)
            yield ContractTarget(
                name="taobao",
                port=shop.make_port(max_retries=2),
                make_port=shop.make_port,
                place_paid=shop.place_paid,
                refund=shop.refund,
                edit=shop.edit,
                delivered=shop.delivered,
                delivered_codes=shop.delivered_codes,
                misbehave=shop.misbehave,
                unknown_tid="999999999999999",
                expired_token_error=ConfigError,
                expired_token_code=SESSION_INVALID_CODE,
                oversized_note="备" * 400,  # 1200 UTF-8 bytes
                refunded_after_delivery=OrderState.CLOSED,
                blocks_delivery_while_refund_asked=False,
                plays=MISBEHAVIOURS - _UNPLAYED,
            )
    finally:
        await served.runner.cleanup()
