"""The TOP wire shapes, validated with pydantic and turned into domain models.

The gateway answers in two shapes (``simplify=true`` or not, taobao-top.md
§2.1), sends ids as numbers or strings and beyond 2^53 (§2.2), money as yuan
strings and times as GMT+8 text. All of that stops here: services only see
``bridge.core.trades``, states in the bridge's words (``adapters.taobao.states``).
Anything malformed becomes ``Permanent`` with code ``MARKETPLACE_DATA_INVALID``
and a message naming the trade and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from adapters.taobao.signing import parse_timestamp
from adapters.taobao.states import order_state, refund_state, severity_of
from bridge.core.errors import Permanent
from bridge.core.models import CST
from bridge.core.money import yuan_to_fen
from bridge.core.trades import OrderLine, OrderState, Trade, TradeSummary

DATA_INVALID = "MARKETPLACE_DATA_INVALID"


_MAX_ID = 2**63 - 1  # ids are signed 64-bit on the platform and in the store


def to_id(value: object) -> int:
    """An id from a JSON number or its digits (ids pass 2^53); ``ValueError`` naming the value."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_ID:
        return value
    shown = value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "…"
    raise ValueError(f"not an id (integer 1..2^63-1 or its digits): {shown!r}")


def _to_fen(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError(f"not a yuan string: {value!r}")
    return yuan_to_fen(value)


def _to_time(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a yyyy-MM-dd HH:mm:ss time: {value!r}")
    return parse_timestamp(value)


def _to_text(value: object) -> object:
    """Numbers where the docs say String (``sku_id``) are kept as their digits."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


WireId = Annotated[int, BeforeValidator(to_id)]
_Fen = Annotated[int, BeforeValidator(_to_fen)]
_Time = Annotated[datetime, BeforeValidator(_to_time)]
WireTime = _Time
"""A marketplace time (``yyyy-MM-dd HH:mm:ss``, GMT+8) read as an aware datetime."""
_Text = Annotated[str, BeforeValidator(_to_text)]


def unlist(value: object, item_key: str) -> object:
    """``[...]`` (simplified) or ``{"trade": [...]}`` (not) as a plain list; absent → ``[]``."""
    if value is None:
        return []
    if isinstance(value, dict) and set(value) <= {item_key}:
        return value.get(item_key) or []
    return value


def _prefer_str_id(data: object, key: str) -> object:
    """Take ``tid_str`` / ``oid_str`` over the number when both are present."""
    if isinstance(data, dict) and data.get(f"{key}_str") not in (None, ""):
        return {**data, key: data[f"{key}_str"]}
    return data


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=False)

    @field_validator("*", mode="after")
    @classmethod
    def _real_text(cls, value: object) -> object:
        """JSON can carry a lone surrogate (``\\udc80``): no character, and unstorable. Name the field."""
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(
                    f"not valid Unicode text (a lone surrogate at position {exc.start})"
                ) from None
        return value


class WireOrder(_Wire):
    """One ``orders`` item of ``taobao.trade.fullinfo.get``."""

    oid: WireId
    outer_sku_id: _Text | None = None
    sku_id: _Text | None = None
    title: str
    num: int = Field(ge=1)
    price: _Fen
    payment: _Fen
    status: str
    refund_status: str = "NO_REFUND"
    customization: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _ids(cls, data: object) -> object:
        return _prefer_str_id(data, "oid")

    def to_domain(self) -> OrderLine:
        return OrderLine(
            oid=str(self.oid),
            sku_code=self.outer_sku_id or None,
            platform_sku_id=self.sku_id or None,
            title=self.title,
            quantity=self.num,
            price_fen=self.price,
            payment_fen=self.payment,
            state=order_state(self.status),
            refund=refund_state(self.refund_status),
            customization=self.customization or None,
            platform_status=self.status,
        )


class _WithTid(_Wire):
    tid: WireId
    status: str
    modified: _Time

    @model_validator(mode="before")
    @classmethod
    def _ids(cls, data: object) -> object:
        return _prefer_str_id(data, "tid")


class WireOrderRefund(_Wire):
    """One ``orders`` item of the incremental list: ``orders.oid`` and ``orders.refund_status``."""

    oid: WireId
    refund_status: str = "NO_REFUND"

    @model_validator(mode="before")
    @classmethod
    def _ids(cls, data: object) -> object:
        return _prefer_str_id(data, "oid")


class WireTradeSummary(_WithTid):
    """One ``trades`` item of the incremental list (``LIST_FIELDS``); ``orders`` only when asked."""

    orders: list[WireOrderRefund] | None = None

    @model_validator(mode="before")
    @classmethod
    def _orders(cls, data: object) -> object:
        if isinstance(data, dict) and "orders" in data:
            return {**data, "orders": unlist(data["orders"], "order")}
        return data

    def to_domain(self) -> TradeSummary:
        refunds = None
        if self.orders:
            refunds = tuple(sorted((str(o.oid), refund_state(o.refund_status)) for o in self.orders))
        return TradeSummary(
            tid=str(self.tid), state=order_state(self.status), modified=self.modified, refunds=refunds
        )


class WireTrade(_WithTid):
    """The ``trade`` of ``taobao.trade.fullinfo.get``."""

    type: str
    buyer_nick: str = ""
    created: _Time
    pay_time: _Time | None = None
    consign_time: _Time | None = None
    payment: _Fen
    buyer_message: str | None = None
    buyer_open_uid: str | None = None
    seller_memo: str | None = None
    seller_flag: int = Field(default=0, ge=0)
    orders: list[WireOrder] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _orders(cls, data: object) -> object:
        if isinstance(data, dict) and "orders" in data:
            return {**data, "orders": unlist(data["orders"], "order")}
        return data

    def to_domain(self) -> Trade:
        return Trade(
            tid=str(self.tid),
            state=order_state(self.status),
            buyer=self.buyer_nick,
            created=self.created,
            modified=self.modified,
            payment_fen=self.payment,
            lines=tuple(o.to_domain() for o in self.orders),
            paid_at=self.pay_time,
            shipped_at=self.consign_time,
            buyer_message=self.buyer_message or None,
            buyer_id=self.buyer_open_uid or None,
            note=self.seller_memo or None,
            note_severity=severity_of(self.seller_flag),
            kind=self.type,
            platform_status=self.status,
        )


class WireListPage(_Wire):
    """The envelope fields of ``taobao.trades.sold.increment.get``."""

    total_results: int | None = Field(default=None, ge=0)
    has_next: bool | None = None


@dataclass(frozen=True)
class ListPage:
    total_results: int | None
    has_next: bool | None
    trades: list[TradeSummary]
    problems: list[str] = field(default_factory=list)


def _raw_tid(raw: object) -> str:
    if isinstance(raw, dict):
        for key in ("tid_str", "tid"):
            if raw.get(key) not in (None, ""):
                return str(raw[key])
    return "?"


def data_invalid(what: str, exc: ValidationError) -> Permanent:
    """A ``Permanent`` naming ``what`` (e.g. ``trade 123``) and each bad field."""
    problems = "; ".join(
        f"field {'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
    )
    return Permanent(f"{what}: {problems}", code=DATA_INVALID)


def unwrap(method: str, body: object) -> dict[str, Any]:
    """The success payload of ``method``, with or without the ``*_response`` wrapper."""
    if not isinstance(body, dict):
        raise Permanent(f"{method}: the answer is not a JSON object", code=DATA_INVALID)
    key = method.removeprefix("taobao.").replace(".", "_") + "_response"
    inner = body.get(key, body)
    if not isinstance(inner, dict):
        raise Permanent(f"{method}: field {key} is not an object", code=DATA_INVALID)
    return inner


def parse_trade(payload: dict[str, Any]) -> Trade:
    """The fullinfo payload (``{"trade": {...}}``) as a domain ``Trade``."""
    raw = payload.get("trade")
    if not isinstance(raw, dict):
        raise Permanent("trade ?: field trade: missing or not an object", code=DATA_INVALID)
    try:
        return WireTrade.model_validate(raw).to_domain()
    except ValidationError as exc:
        raise data_invalid(f"trade {_raw_tid(raw)}", exc) from None


def parse_seller_flag(tid: str, payload: dict[str, Any]) -> int:
    """The ``seller_flag`` of a fullinfo payload read for that field alone (absent: 0, grey)."""
    raw = payload.get("trade")
    flag = raw.get("seller_flag", 0) if isinstance(raw, dict) else None
    if not isinstance(flag, int) or isinstance(flag, bool) or flag < 0:
        raise Permanent(f"trade {tid}: field seller_flag: not a flag ({flag!r})", code=DATA_INVALID)
    return flag


def parse_list_page(payload: dict[str, Any]) -> ListPage:
    """One page of the incremental list as summaries plus its paging fields."""
    try:
        head = WireListPage.model_validate(payload)
    except ValidationError as exc:
        raise data_invalid("trade list", exc) from None
    items = unlist(payload.get("trades"), "trade")
    if not isinstance(items, list):
        raise Permanent("trade list: field trades: not a list", code=DATA_INVALID)
    summaries, problems = [], []
    for raw in items:
        try:
            summaries.append(WireTradeSummary.model_validate(raw).to_domain())
        except ValidationError as exc:
            # one bad entry must not stop intake for the whole window: an entry whose tid is
            # readable is listed as "unknown state" (the full read decides, or records why not);
            # one without a readable tid cannot be acted on and is reported
            problems.append(str(data_invalid(f"trade {_raw_tid(raw)}", exc)))
            tid = _readable_tid(raw)
            if tid is not None:
                summaries.append(TradeSummary(tid=tid, state=OrderState.OTHER, modified=UNREADABLE_TIME))
    return ListPage(head.total_results, head.has_next, summaries, problems)


UNREADABLE_TIME = datetime(1970, 1, 1, tzinfo=CST)
"""``modified`` of a listed trade whose entry could not be read: older than anything real."""


def _readable_tid(raw: object) -> str | None:
    if not isinstance(raw, dict):
        return None
    for key in ("tid_str", "tid"):
        try:
            return str(to_id(raw.get(key)))
        except ValueError:
            continue
    return None


def parse_time(payload: dict[str, Any]) -> datetime:
    """``taobao.time.get``'s ``time`` as an aware datetime."""
    try:
        return _to_time(payload.get("time"))
    except ValueError as exc:
        raise Permanent(f"server time: field time: {exc}", code=DATA_INVALID) from None


def parse_shipping(tid: str, payload: dict[str, Any]) -> bool:
    """``shipping.is_success`` of ``taobao.logistics.dummy.send`` for trade ``tid``."""
    shipping = payload.get("shipping")
    ok = shipping.get("is_success") if isinstance(shipping, dict) else None
    if not isinstance(ok, bool):
        raise Permanent(
            f"trade {tid}: field shipping.is_success: missing or not a boolean", code=DATA_INVALID
        )
    return ok
