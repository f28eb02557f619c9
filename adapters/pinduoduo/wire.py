"""The Pinduoduo answers the client reads, validated with pydantic and turned into the bridge's trades.

The gateway sends amounts as JSON numbers in yuan, times as GMT+8 text, ids
as numbers or text, and every answer wrapped in ``<name>_response``
(docs/storefronts/pinduoduo.md §2). All of that stops here: callers see
``bridge.core.trades``. Anything malformed becomes ``Permanent`` with code
``MARKETPLACE_DATA_INVALID`` and a message naming the order and the field.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from adapters.pinduoduo.signing import parse_time
from adapters.pinduoduo.states import order_state, platform_status, refund_state, severity_of
from bridge.core.errors import Permanent
from bridge.core.trades import OrderLine, RefundState, Trade, TradeSummary

DATA_INVALID = "MARKETPLACE_DATA_INVALID"
ORDER_SN_MAX = 64
"""The longest order_sn accepted (the platform's are 22 characters; docs/storefronts/pinduoduo.md §2)."""


def _fen(value: object) -> int:
    """A yuan amount (number or text, at most two decimals) as fen."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a yuan amount: {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a yuan amount: {value!r}") from None
    fen = amount * 100
    if not amount.is_finite() or amount < 0 or fen != fen.to_integral_value():
        raise ValueError(f"not a yuan amount with at most two decimals: {value!r}")
    return int(fen)


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"not a yyyy-MM-dd HH:mm:ss time: {value!r}")
    return parse_time(value)


def _text(value: object) -> object:
    """Ids the platform sends as numbers are kept as their digits."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _order_sn(value: object) -> object:
    text = _text(value)
    if (
        not isinstance(text, str)
        or not 1 <= len(text) <= ORDER_SN_MAX
        or not text.isprintable()
        or " " in text
    ):
        raise ValueError(f"not an order_sn (1..{ORDER_SN_MAX} printable characters, no space): {value!r}")
    return text


Fen = Annotated[int, BeforeValidator(_fen)]
Time = Annotated[datetime, BeforeValidator(_time)]
Text = Annotated[str, BeforeValidator(_text)]
OrderSn = Annotated[str, BeforeValidator(_order_sn)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class WireItem(_Wire):
    """One ``item_list`` entry: a SKU of the order."""

    sku_id: Text = Field(min_length=1)
    goods_id: Text | None = None
    goods_name: str
    goods_count: int = Field(ge=1)
    goods_price: Fen
    outer_id: str | None = None  # 商家外部编码（sku）
    outer_goods_id: str | None = None  # 商家外部编码（商品）


class WireOrder(_Wire):
    """One order as the list and the detail carry it (the fields the bridge reads)."""

    order_sn: OrderSn
    confirm_status: int
    order_status: int
    refund_status: int
    after_sales_status: int | None = None
    updated_at: Time
    created_time: Time
    confirm_time: Time | None = None
    pay_time: Time | None = None
    shipping_time: Time | None = None
    pay_amount: Fen
    trade_type: int | None = None
    buyer_memo: str | None = None
    remark: str | None = None
    remark_tag: int | None = None
    item_list: list[WireItem] = Field(min_length=1)

    def oids(self) -> list[str]:
        """Each item's line id: its ``sku_id``, with ``-2``, ``-3`` … on repeats within the order."""
        seen: dict[str, int] = {}
        out = []
        for item in self.item_list:
            seen[item.sku_id] = seen.get(item.sku_id, 0) + 1
            out.append(item.sku_id if seen[item.sku_id] == 1 else f"{item.sku_id}-{seen[item.sku_id]}")
        return out

    def refund(self) -> RefundState:
        return refund_state(self.refund_status, self.after_sales_status)

    def summary(self) -> TradeSummary:
        state = order_state(self.confirm_status, self.order_status, self.refund_status)
        refund = self.refund()
        # by oid, as the port (and the store's known versions) keep them: in the platform's item order
        # an unchanged order of several SKUs would look changed at every re-listing and be read again
        refunds = tuple(sorted((oid, refund) for oid in self.oids()))
        return TradeSummary(self.order_sn, state, self.updated_at, refunds)

    def trade(self, customization: str | None) -> Trade:
        state = order_state(self.confirm_status, self.order_status, self.refund_status)
        status = platform_status(self.confirm_status, self.order_status, self.refund_status)
        payments = _split(self.pay_amount, [i.goods_price * i.goods_count for i in self.item_list])
        lines = tuple(
            OrderLine(
                oid=oid,
                sku_code=item.outer_id or item.outer_goods_id or None,
                platform_sku_id=item.sku_id,
                title=item.goods_name,
                quantity=item.goods_count,
                price_fen=item.goods_price,
                payment_fen=paid,
                state=state,
                refund=self.refund(),
                customization=customization,
                platform_status=status,
            )
            for oid, item, paid in zip(self.oids(), self.item_list, payments, strict=True)
        )
        return Trade(
            tid=self.order_sn,
            state=state,
            buyer="",  # the platform shows the seller no buyer name for an order
            created=self.created_time,
            modified=self.updated_at,
            payment_fen=self.pay_amount,
            lines=lines,
            paid_at=self.pay_time,
            shipped_at=self.shipping_time,
            buyer_message=self.buyer_memo or None,
            note=self.remark or None,
            note_severity=severity_of(self.remark_tag),
            kind=f"trade_type={self.trade_type}" if self.trade_type is not None else "",
            platform_status=status,
        )


def _split(total: int, weights: list[int]) -> list[int]:
    """``total`` shared by ``weights`` (the last takes the rounding); all to the first when weightless."""
    whole = sum(weights)
    if len(weights) == 1 or whole <= 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * w // whole for w in weights[:-1]]
    return [*shares, total - sum(shares)]


class ListPage(_Wire):
    """``order_sn_increment_get_response``."""

    total_count: int | None = Field(default=None, ge=0)
    has_next: bool | None = None
    order_sn_list: list[dict[str, Any]] = Field(default_factory=list)


class VirtualInfo(_Wire):
    """``order_virtual_information_response``: the virtual order's own fields."""

    order_sn: OrderSn | None = None
    phone_number_chosen_by_user: Text | None = None  # 选号卡号
    contact_phone: Text | None = None  # 联系人手机号

    def customization(self) -> str | None:
        """What the buyer gave for the recharge, labelled as the seller console shows it."""
        parts = [
            f"{label}：{value.strip()}"
            for label, value in (
                ("选号卡号", self.phone_number_chosen_by_user),
                ("联系人手机号", self.contact_phone),
            )
            if value and value.strip()
        ]
        return " ".join(parts) or None


def _invalid(what: str, exc: ValidationError) -> Permanent:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(answer)"
    return Permanent(f"{what}: field {where}: {first['msg']}", code=DATA_INVALID)


def unwrap(payload: object, key: str) -> dict[str, Any]:
    """The object under ``key`` of an answer, or ``Permanent`` naming what is missing."""
    inner = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(inner, dict):
        raise Permanent(f"answer: field {key}: missing or not an object", code=DATA_INVALID)
    return inner


def parse_list_page(payload: object) -> tuple[int | None, bool | None, list[WireOrder], list[str]]:
    """(total_count, has_next, orders, problems): an unreadable row is a problem, not the page's end."""
    try:
        page = ListPage.model_validate(unwrap(payload, "order_sn_increment_get_response"))
    except ValidationError as exc:
        raise _invalid("order list", exc) from None
    orders, problems = [], []
    for row in page.order_sn_list:
        try:
            orders.append(WireOrder.model_validate(row))
        except ValidationError as exc:
            problems.append(str(_invalid(f"order {str(row.get('order_sn'))[:64]}", exc)))
    return page.total_count, page.has_next, orders, problems


def parse_order(order_sn: str, payload: object) -> WireOrder:
    """``order_info_get_response.order_info`` for ``order_sn``."""
    try:
        info = unwrap(unwrap(payload, "order_info_get_response"), "order_info")
        order = WireOrder.model_validate(info)
    except ValidationError as exc:
        raise _invalid(f"order {order_sn}", exc) from None
    if order.order_sn != order_sn:
        raise Permanent(
            f"order {order_sn}: field order_sn: the answer is for {order.order_sn}", code=DATA_INVALID
        )
    return order


def parse_virtual(order_sn: str, payload: object) -> VirtualInfo:
    try:
        return VirtualInfo.model_validate(unwrap(payload, "order_virtual_information_response"))
    except ValidationError as exc:
        raise _invalid(f"order {order_sn} virtual information", exc) from None


def parse_shipped(order_sn: str, payload: object) -> bool:
    """``logistics_online_send_response.is_success``."""
    value = unwrap(payload, "logistics_online_send_response").get("is_success")
    if not isinstance(value, bool):
        raise Permanent(f"order {order_sn}: field is_success: not a boolean", code=DATA_INVALID)
    return value


def parse_note_updated(order_sn: str, payload: object) -> tuple[bool, str]:
    """``response.success`` and the error text the note update answered with."""
    inner = unwrap(payload, "response")
    success = inner.get("success")
    if not isinstance(success, bool):
        raise Permanent(f"order {order_sn}: field response.success: not a boolean", code=DATA_INVALID)
    return success, f"{inner.get('error_code') or ''} {inner.get('error_msg') or ''}".strip()


def parse_server_time(payload: object) -> datetime:
    """``time_get_response.time``."""
    try:
        return parse_time(unwrap(payload, "time_get_response").get("time"))  # type: ignore[arg-type]
    except ValueError as exc:
        raise Permanent(f"time: field time: {exc}", code=DATA_INVALID) from None
