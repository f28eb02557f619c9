"""A marketplace sandbox whose gateway corrupts chosen answers, and the corruptions themselves.

``HostileSandbox`` serves the real sandbox's protocol (signatures checked,
the real trades) but passes each answer through a fault before it leaves:
one trade's ``fullinfo`` can be made malformed, every list page duplicated or
reordered. The bridge under test talks to it with its real client, so a fault
crosses the whole path: HTTP, the adapter's wire parsing, intake, the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from adapters.taobao.sandbox import TaobaoSandbox
from adapters.taobao.sandbox.app import ROUTER_PATH
from adapters.taobao.sandbox.gateway import Gateway
from adapters.taobao.sandbox.shopper import ShopperRoutes

Fault = Callable[[dict[str, Any]], dict[str, Any]]
"""Takes the decoded success payload, returns the one to send (mutating it is fine)."""

FULLINFO = "taobao.trade.fullinfo.get"
LIST = "taobao.trades.sold.increment.get"


class HostileSandbox(TaobaoSandbox):
    """The sandbox marketplace, with ``trade_faults`` by tid and one ``list_fault`` for every page."""

    def __init__(self) -> None:
        super().__init__()
        self.trade_faults: dict[str, Fault] = {}
        self.list_fault: Fault | None = None

    def make_app(self) -> web.Application:
        gateway = Gateway(self.credentials, self.book, self.controls)

        async def route(request: web.Request) -> web.Response:
            answer = await gateway.handle(request)
            params = {
                **request.query,
                **{k: v for k, v in (await request.post()).items() if isinstance(v, str)},
            }
            fault = self._fault_for(params)
            if fault is None or not isinstance(answer.body, bytes):
                return answer
            payload = json.loads(answer.body)
            if "error_response" in payload:
                return answer
            # ensure_ascii: lone surrogates travel as \\udXXX escapes, as a broken upstream would send them
            return web.Response(body=json.dumps(fault(payload)).encode(), content_type="application/json")

        app = web.Application()
        app.router.add_post(ROUTER_PATH, route)
        app.router.add_routes(ShopperRoutes(self.book, self.controls).routes())
        return app

    def _fault_for(self, params: dict[str, str]) -> Fault | None:
        method = params.get("method")
        if method == FULLINFO and params.get("tid", "").isdigit():
            return self.trade_faults.get(str(params["tid"]))
        return self.list_fault if method == LIST else None


def on_trade(change: Callable[[dict[str, Any]], None]) -> Fault:
    """A fault that edits the ``trade`` object of a fullinfo answer."""

    def fault(payload: dict[str, Any]) -> dict[str, Any]:
        change(payload["trade"])
        return payload

    return fault


def _set(key: str, value: Any, *, order: bool = False) -> Callable[[dict[str, Any]], None]:
    def change(trade: dict[str, Any]) -> None:
        target = trade["orders"][0] if order else trade
        target[key] = value
        target.pop(f"{key}_str", None)  # the client prefers tid_str/oid_str: take it away too

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda trade: trade.pop(key, None)


TRADE_FAULTS: dict[str, tuple[Fault, str]] = {
    # name: (the corruption, what the recorded error must name)
    "orders-missing": (on_trade(_drop("orders")), "field orders"),
    "payment-missing": (on_trade(_drop("payment")), "field payment"),
    "payment-a-number": (on_trade(_set("payment", 100.5)), "field payment"),
    "status-a-number": (on_trade(_set("status", 5)), "field status"),
    "orders-a-string": (on_trade(_set("orders", "none")), "field orders"),
    "oid-negative": (on_trade(_set("oid", -5, order=True)), "field orders.0.oid"),
    "oid-huge": (on_trade(_set("oid", 2**80, order=True)), "field orders.0.oid"),
    "quantity-zero": (on_trade(_set("num", 0, order=True)), "field orders.0.num"),
    "price-garbage": (on_trade(_set("price", "１００.00元", order=True)), "field orders.0.price"),
    "created-feb-30": (on_trade(_set("created", "2026-02-30 10:00:00")), "field created"),
    "modified-words": (on_trade(_set("modified", "yesterday")), "field modified"),
    "pay-time-year-0": (on_trade(_set("pay_time", "0000-01-01 00:00:00")), "field pay_time"),
    "message-lone-surrogate": (on_trade(_set("buyer_message", "卡号\udc80")), "field buyer_message"),
    "title-a-list": (on_trade(_set("title", ["a"], order=True)), "field orders.0.title"),
    "trade-null": (lambda payload: {"trade": None}, "field trade"),
    "another-trade": (on_trade(_set("tid", 12345678901234567)), "for trade 12345678901234567"),
}
