"""How sandbox orders look on the wire (the gateway's JSON) and to the control endpoints, and its errors.

Written from the platform's description on its own: the sandbox never
imports the client's ``adapters.pinduoduo.wire`` (nor the client), so a field
the two read differently fails a client-against-sandbox test instead of
agreeing with itself. Amounts are JSON numbers in yuan, times GMT+8 text,
ids numbers; the list and the detail never carry the virtual order's
recharge fields (only ``pdd.order.virtual.information.get`` does).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from typing import Any

from adapters.pinduoduo.sandbox.book import SandboxItem, SandboxOrder
from adapters.pinduoduo.signing import format_time

dumps = partial(json.dumps, ensure_ascii=False)
"""JSON as the sandbox writes it: UTF-8 text, Chinese unescaped."""


class PddFault(Exception):
    """An ``error_response``; always sent with HTTP 200, as the real gateway does."""

    def __init__(self, code: int, msg: str, sub_code: str | None = None, sub_msg: str | None = None) -> None:
        super().__init__(f"{code} {msg} {sub_code or ''}")
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg

    def body(self, request_id: str) -> dict[str, Any]:
        err: dict[str, Any] = {"error_code": self.code, "error_msg": self.msg, "request_id": request_id}
        if self.sub_code:
            err["sub_code"] = self.sub_code
        if self.sub_msg:
            err["sub_msg"] = self.sub_msg
        return {"error_response": err}


def invalid(name: str, why: str) -> PddFault:
    """A business parameter the method refuses (10000 参数错误)."""
    return PddFault(10000, "参数错误", f"isv.invalid-parameter:{name}", why)


def business(sub_code: str, why: str) -> PddFault:
    """A business refusal (50001 业务服务错误)."""
    return PddFault(50001, "业务服务错误", sub_code, why)


def _time(value: datetime | None) -> str | None:
    return format_time(value) if value else None


def _yuan(fen: int) -> float:
    return fen / 100


def _item(item: SandboxItem) -> dict[str, Any]:
    return {
        "sku_id": item.sku_id,
        "goods_id": item.goods_id,
        "goods_name": item.goods_name,
        "goods_count": item.goods_count,
        "goods_price": _yuan(item.price_fen),
        "goods_spec": "默认",
        "outer_id": item.outer_id,
        "outer_goods_id": item.outer_goods_id,
    }


def wire_order(order: SandboxOrder) -> dict[str, Any]:
    """One order as the list and the detail carry it."""
    return {
        "order_sn": order.order_sn,
        "confirm_status": order.confirm_status,
        "order_status": order.order_status,
        "refund_status": order.refund_status,
        "after_sales_status": order.after_sales_status,
        "created_time": _time(order.created),
        "updated_at": _time(order.updated),
        "confirm_time": _time(order.confirm_time),
        "pay_time": _time(order.pay_time),
        "shipping_time": _time(order.shipping_time),
        "pay_amount": _yuan(order.pay_fen),
        "goods_amount": _yuan(order.pay_fen),
        "discount_amount": 0,
        "postage": 0,
        "trade_type": 0,
        "is_lucky_flag": 1,
        "buyer_memo": order.buyer_memo or "",
        "remark": order.remark or "",
        "remark_tag": order.remark_tag,
        "item_list": [_item(i) for i in order.items],
        "receiver_name": "",
        "receiver_phone": "",
        "receiver_address": "",
    }


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def inspect_order(order: SandboxOrder) -> dict[str, Any]:
    """The control endpoints' view: everything, ISO-8601 times, deliveries and notes included."""
    return {
        **wire_order(order),
        "updated_at": iso(order.updated),
        "created_time": iso(order.created),
        "pay_time": iso(order.pay_time),
        "shipping_time": iso(order.shipping_time),
        "recharge_account": order.recharge_account,
        "contact_phone": order.contact_phone,
        "send_calls": order.send_calls,
        "deliveries": [{**d, "at": iso(d["at"])} for d in order.deliveries],
        "notes": [{**n, "at": iso(n["at"])} for n in order.notes],
    }
