"""Plain domain data shared by the core, the services and the adapters.

Frozen dataclasses, no I/O. Adapters build these from wire shapes (validated
with pydantic at the boundary); services and the store pass them around.
Money is integer fen; datetimes are timezone-aware.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")
"""Marketplace time: China Standard Time, UTC+8, no DST."""


# ---------------------------------------------------------------- marketplace


class TradeStatus(str, enum.Enum):
    """Marketplace trade states the bridge acts on (others are kept as text)."""

    WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
    WAIT_SELLER_SEND_GOODS = "WAIT_SELLER_SEND_GOODS"
    SELLER_CONSIGNED_PART = "SELLER_CONSIGNED_PART"
    WAIT_BUYER_CONFIRM_GOODS = "WAIT_BUYER_CONFIRM_GOODS"
    TRADE_FINISHED = "TRADE_FINISHED"
    TRADE_CLOSED = "TRADE_CLOSED"
    TRADE_CLOSED_BY_TAOBAO = "TRADE_CLOSED_BY_TAOBAO"


SHIPPED_STATUSES = frozenset({"WAIT_BUYER_CONFIRM_GOODS", "TRADE_FINISHED", "TRADE_BUYER_SIGNED"})
CLOSED_STATUSES = frozenset({"TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"})


class RefundStatus(str, enum.Enum):
    NO_REFUND = "NO_REFUND"
    WAIT_SELLER_AGREE = "WAIT_SELLER_AGREE"
    WAIT_BUYER_RETURN_GOODS = "WAIT_BUYER_RETURN_GOODS"
    WAIT_SELLER_CONFIRM_GOODS = "WAIT_SELLER_CONFIRM_GOODS"
    SELLER_REFUSE_BUYER = "SELLER_REFUSE_BUYER"
    CLOSED = "CLOSED"
    SUCCESS = "SUCCESS"


REFUND_OPEN = frozenset(
    {"WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS", "SUCCESS"}
)
"""A line with one of these refund states must not be provisioned."""


@dataclass(frozen=True)
class TradeSummary:
    """One row of the incremental trade list: enough to decide to read it fully."""

    tid: str
    status: str
    modified: datetime
    refunds: tuple[tuple[str, str], ...] | None = None
    """Each order's (oid, refund_status), by oid, when the list carried the orders' fields."""


@dataclass(frozen=True)
class OrderLine:
    """One order line (oid) of a trade, as the marketplace reports it."""

    oid: str
    outer_sku_id: str | None
    sku_id: str | None
    title: str
    quantity: int
    price_fen: int
    payment_fen: int
    status: str
    refund_status: str = RefundStatus.NO_REFUND.value
    customization: str | None = None


@dataclass(frozen=True)
class Trade:
    """A full trade (``taobao.trade.fullinfo.get``), the final word on its state."""

    tid: str
    status: str
    type: str
    buyer_nick: str
    created: datetime
    modified: datetime
    payment_fen: int
    lines: tuple[OrderLine, ...]
    pay_time: datetime | None = None
    consign_time: datetime | None = None
    buyer_message: str | None = None
    buyer_open_uid: str | None = None
    seller_memo: str | None = None
    seller_flag: int = 0


class DeliveryOutcome(str, enum.Enum):
    """What ``deliver`` found: we shipped it, or it already was."""

    SHIPPED = "shipped"
    ALREADY_SHIPPED = "already_shipped"


class MemoFlag(int, enum.Enum):
    """Seller flag colours as the marketplace numbers them."""

    GREY = 0
    RED = 1
    YELLOW = 2
    GREEN = 3
    BLUE = 4
    PINK = 5


# -------------------------------------------------------------- billing core


class ProductKind(str, enum.Enum):
    RECHARGE = "recharge"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Product:
    """A catalogue product of the billing core."""

    product_code: str
    name: str
    kind: ProductKind
    price_fen: int
    period: str | None = None
    requires_two_way: bool = False


@dataclass(frozen=True)
class Entitlement:
    product_code: str
    valid_until: date


@dataclass(frozen=True)
class Subscriber:
    card_no: str
    subscriber_id: str
    status: str
    two_way: bool
    region: str
    balance_fen: int
    entitlements: tuple[Entitlement, ...] = ()


class OperationKind(str, enum.Enum):
    RECHARGE = "recharge"
    SUBSCRIBE = "subscribe"
    ISSUE_CARDS = "issue_cards"


@dataclass(frozen=True)
class Recharge:
    request_id: str
    card_no: str
    amount_fen: int
    kind: OperationKind = field(default=OperationKind.RECHARGE, init=False)


@dataclass(frozen=True)
class Subscribe:
    request_id: str
    card_no: str
    product_code: str
    months: int
    kind: OperationKind = field(default=OperationKind.SUBSCRIBE, init=False)


@dataclass(frozen=True)
class IssueCards:
    request_id: str
    face_value_fen: int
    count: int
    kind: OperationKind = field(default=OperationKind.ISSUE_CARDS, init=False)


Operation = Recharge | Subscribe | IssueCards


@dataclass(frozen=True)
class IssuedCard:
    serial: str
    pin: str
    face_value_fen: int
    expires_on: date

    def __repr__(self) -> str:  # never print a PIN
        return f"IssuedCard(serial={self.serial!r}, pin='***', face_value_fen={self.face_value_fen})"


@dataclass(frozen=True)
class OperationResult:
    """The billing core's record of an applied (or reversed) operation."""

    request_id: str
    operation_id: str
    kind: OperationKind
    status: str  # "applied" | "reversed"
    applied_at: datetime
    balance_fen: int | None = None
    valid_until: date | None = None
    cards: tuple[IssuedCard, ...] = ()
    applied: Operation | None = field(default=None, compare=False, repr=False)
    """What was applied (card, amount, product), when the core echoes it (version 1.1)."""
