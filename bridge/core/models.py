"""Plain domain data of the billing core, shared by the core, the services and the adapters.

Frozen dataclasses, no I/O. Adapters build these from wire shapes (validated
with pydantic at the boundary); services and the store pass them around.
Money is integer fen; datetimes are timezone-aware.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")
"""Storefront and billing time: China Standard Time, UTC+8, no DST."""


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
