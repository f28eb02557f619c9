"""How sandbox trades look on the wire (TOP JSON) and to the shopper endpoints.

The router answers only the ``fields`` asked for, in the simplified or the
wrapped shape, with ids as JSON numbers (exact beyond 2^53) plus
``tid_str``/``oid_str``, money as yuan strings and times as GMT+8 text
(taobao-top.md §2). List APIs never carry ``buyer_message``, ``seller_memo``
or ``orders.customization`` (§3.1), so a client that forgets fullinfo
notices. The inspection JSON is for people and tests: ISO-8601 times with
microseconds and offset.

Written from the protocol description on its own: the sandbox never imports
the client's ``adapters.taobao.wire`` (nor the client), so a field the two
read differently fails a client-against-sandbox test instead of agreeing with
itself. Only the published signing and time-format rules
(``adapters.taobao.signing``) are shared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from adapters.taobao.sandbox.book import SELLER_NICK, SandboxLine, SandboxTrade
from adapters.taobao.signing import format_timestamp
from bridge.core.money import fen_to_yuan

dumps = partial(json.dumps, ensure_ascii=False)
"""JSON as the sandbox writes it: UTF-8 text, Chinese unescaped."""


def _time(value: datetime | None) -> str | None:
    return format_timestamp(value) if value else None


_TRADE_FIELDS: dict[str, Callable[[SandboxTrade], object]] = {
    "tid": lambda t: t.tid,
    "tid_str": lambda t: str(t.tid),
    "status": lambda t: t.status,
    "type": lambda t: t.type,
    "created": lambda t: _time(t.created),
    "modified": lambda t: _time(t.modified),
    "pay_time": lambda t: _time(t.pay_time),
    "consign_time": lambda t: _time(t.consign_time),
    "payment": lambda t: fen_to_yuan(t.payment_fen),
    "total_fee": lambda t: fen_to_yuan(sum(x.price_fen * x.quantity for x in t.lines)),
    "post_fee": lambda t: "0.00",
    "buyer_nick": lambda t: t.buyer_nick,
    "buyer_open_uid": lambda t: f"AAH{t.tid % 10**12:012d}",
    "buyer_message": lambda t: t.buyer_message,
    "has_buyer_message": lambda t: bool(t.buyer_message),
    "seller_memo": lambda t: t.memo,
    "seller_flag": lambda t: t.flag,
    "seller_nick": lambda t: SELLER_NICK,
    "shipping_type": lambda t: "virtual",
}

_ORDER_FIELDS: dict[str, Callable[[SandboxLine], object]] = {
    "oid": lambda x: x.oid,
    "oid_str": lambda x: str(x.oid),
    "sku_id": lambda x: x.sku_id,
    "outer_sku_id": lambda x: x.outer_sku_id,
    "title": lambda x: x.title,
    "num": lambda x: x.quantity,
    "price": lambda x: fen_to_yuan(x.price_fen),
    "payment": lambda x: fen_to_yuan(x.payment_fen),
    "total_fee": lambda x: fen_to_yuan(x.price_fen * x.quantity),
    "status": lambda x: x.status,
    "refund_status": lambda x: x.refund_status,
    "customization": lambda x: x.customization,
}

_FULLINFO_ONLY = frozenset({"buyer_message", "seller_memo"})
_ORDER_FULLINFO_ONLY = frozenset({"customization"})


@dataclass(frozen=True)
class FieldSpec:
    """The parsed ``fields`` parameter: trade fields and order fields (``orders`` = all)."""

    trade: frozenset[str]
    orders: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> FieldSpec:
        names = {n.strip() for n in text.split(",") if n.strip()}
        orders = {n.removeprefix("orders.") for n in names if n.startswith("orders.")}
        if "orders" in names:
            orders |= set(_ORDER_FIELDS)
        return cls(frozenset(names & set(_TRADE_FIELDS)), frozenset(orders & set(_ORDER_FIELDS)))


def _pick(getters: dict[str, Callable[[Any], object]], names: frozenset[str], item: object) -> dict[str, Any]:
    out = {}
    for name in sorted(names):
        value = getters[name](item)
        if value is not None:  # TOP leaves absent values out
            out[name] = value
    return out


def wire_trade(trade: SandboxTrade, spec: FieldSpec, *, simplify: bool, full: bool) -> dict[str, Any]:
    """One trade as TOP JSON; ``full`` is fullinfo (list APIs hide some fields)."""
    trade_fields = spec.trade if full else spec.trade - _FULLINFO_ONLY
    order_fields = spec.orders if full else spec.orders - _ORDER_FULLINFO_ONLY
    out = _pick(_TRADE_FIELDS, trade_fields, trade)
    if order_fields:
        orders = [_pick(_ORDER_FIELDS, order_fields, line) for line in trade.lines]
        out["orders"] = orders if simplify else {"order": orders}
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="microseconds") if value else None


def inspect_trade(trade: SandboxTrade) -> dict[str, Any]:
    """The shopper/inspection view of a trade (not a TOP shape)."""
    return {
        "tid": trade.tid,
        "status": trade.status,
        "type": trade.type,
        "buyer_nick": trade.buyer_nick,
        "buyer_message": trade.buyer_message,
        "created": _iso(trade.created),
        "modified": _iso(trade.modified),
        "paid_at": _iso(trade.pay_time),
        "consigned_at": _iso(trade.consign_time),
        "payment": fen_to_yuan(trade.payment_fen),
        "deliveries": [{"at": _iso(d["at"]), "feature": d["feature"]} for d in trade.deliveries],
        "dummy_send_calls": trade.dummy_send_calls,
        "memo": trade.memo,
        "flag": trade.flag,
        "memo_history": [
            {"memo": m["memo"], "flag": m["flag"], "at": _iso(m["at"])} for m in trade.memo_history
        ],
        "lines": [
            {
                "oid": line.oid,
                "outer_sku_id": line.outer_sku_id,
                "sku_id": line.sku_id,
                "title": line.title,
                "quantity": line.quantity,
                "price": fen_to_yuan(line.price_fen),
                "payment": fen_to_yuan(line.payment_fen),
                "status": line.status,
                "refund_status": line.refund_status,
                "customization": line.customization,
            }
            for line in trade.lines
        ],
    }
