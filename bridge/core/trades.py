"""A storefront's orders in the bridge's own words: every storefront's adapter speaks these.

A *trade* is one order a buyer paid for on a storefront (Taobao's trade,
Pinduoduo's order); its *lines* are the goods in it. Ids are text as the
storefront writes them (Taobao's digits, Pinduoduo's ``231207-123456789012345``),
never numbers: the bridge only compares, stores and shows them. States are the
bridge's own (``OrderState``, ``RefundState``); each adapter maps its platform's
states onto them in one table and keeps the platform's word in
``platform_status`` for people to read. Annotations for customer service are a
note with a ``Severity``; each adapter renders the severity its own way (Taobao's
flag colours, Pinduoduo's note tags).

Frozen dataclasses, no I/O. Money is integer fen; datetimes are timezone-aware.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class OrderState(enum.StrEnum):
    """Where a trade is on its storefront, in the bridge's words."""

    UNPAID = "unpaid"  # created, not paid (or paid but not yet confirmed by the platform)
    PAID = "paid"  # paid, waiting for the seller to deliver: the bridge's work
    PART_SHIPPED = "part_shipped"  # some lines delivered, some not
    SHIPPED = "shipped"  # delivered, waiting for the buyer to confirm
    FINISHED = "finished"  # the buyer confirmed (or the platform did for them)
    CLOSED = "closed"  # closed before delivery: unpaid, cancelled, fully refunded
    OTHER = "other"  # a state the bridge does not act on; ``platform_status`` says which


SHIPPED_STATES = frozenset({OrderState.SHIPPED, OrderState.FINISHED})
"""Delivered as far as the storefront is concerned."""


class RefundState(enum.StrEnum):
    """A line's after-sales state, in the bridge's words."""

    NONE = "none"  # no refund asked, or the request was withdrawn or closed
    REQUESTED = "requested"  # the buyer asked; the seller has not refunded yet: do not provision
    REFUSED = "refused"  # the seller refused; the buyer may still escalate
    REFUNDED = "refunded"  # the money went back to the buyer


REFUND_HOLDS = frozenset({RefundState.REQUESTED, RefundState.REFUNDED})
"""A line in one of these refund states must not be provisioned."""


class Severity(enum.StrEnum):
    """How much a note asks of customer service (rendered per storefront: flag colour, tag)."""

    NONE = "none"  # no mark (clears the bridge's mark)
    DONE = "done"  # settled: nothing to do
    WATCH = "watch"  # moving or waiting on someone: look if it lasts
    ACT = "act"  # a person must act


class DeliveryOutcome(enum.StrEnum):
    """What a delivery found: the bridge shipped it, or it already was."""

    SHIPPED = "shipped"
    ALREADY_SHIPPED = "already_shipped"


@dataclass(frozen=True)
class TradeSummary:
    """One row of a storefront's list of changed trades: enough to decide to read it in full."""

    tid: str
    state: OrderState
    modified: datetime
    refunds: tuple[tuple[str, RefundState], ...] | None = None
    """Each line's (oid, refund state), by oid, when the list carried them."""


@dataclass(frozen=True)
class OrderLine:
    """One line of a trade, as the storefront reports it."""

    oid: str
    sku_code: str | None  # the seller's own code for the SKU (Taobao outer_sku_id, Pinduoduo 商家编码)
    platform_sku_id: str | None  # the storefront's own SKU id
    title: str
    quantity: int
    price_fen: int
    payment_fen: int
    state: OrderState
    refund: RefundState = RefundState.NONE
    customization: str | None = None  # what the buyer wrote for this line (a recharge account, a card no.)
    platform_status: str = ""
    product_code: str | None = None  # a billing product named directly (the order API), no SKU to map


@dataclass(frozen=True)
class Trade:
    """A full trade, the storefront's final word on its state."""

    tid: str
    state: OrderState
    buyer: str  # the buyer's name as the storefront shows it to the seller (may be masked)
    created: datetime
    modified: datetime
    payment_fen: int
    lines: tuple[OrderLine, ...]
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    buyer_message: str | None = None
    buyer_id: str | None = None  # the storefront's stable id for the buyer, when it gives one
    note: str | None = None  # the seller's note on the trade (Taobao seller memo, Pinduoduo 商家备注)
    note_severity: Severity | None = Severity.NONE  # None: a mark the bridge never sets (a person's)
    kind: str = ""  # the storefront's trade type, for people to read
    platform_status: str = ""


@dataclass(frozen=True)
class ListingRules:
    """How a storefront's list of changed trades may be asked for.

    ``max_window``: the longest ``[start, end]`` one listing covers;
    ``settle_lag``: how far behind the storefront's clock a window's end must stay
    for the listing to be complete (trades changed later may still appear in it);
    ``reach_back``: how far back a listing may start (``None``: no limit).
    """

    max_window: timedelta
    settle_lag: timedelta = timedelta(0)
    reach_back: timedelta | None = None


@dataclass(frozen=True)
class NoteRules:
    """How long a seller's note may be on a storefront: in UTF-8 bytes, in characters, or both."""

    max_bytes: int | None = None
    max_chars: int | None = None

    def fit(self, text: str) -> bool:
        """Whether ``text`` keeps both limits."""
        return (self.max_chars is None or len(text) <= self.max_chars) and (
            self.max_bytes is None or len(text.encode("utf-8")) <= self.max_bytes
        )


@dataclass(frozen=True)
class PushMessage:
    """One pushed notice that a trade changed, by ids only (may be stale, repeated, out of order:
    it only says "read this trade again"). ``shop_account`` is the storefront's name for the
    shop the notice is about, when sent."""

    message_id: str
    topic: str
    tid: str | None = None
    oid: str | None = None
    refund_id: str | None = None
    shop_account: str | None = None
    published: datetime | None = None


@dataclass(frozen=True)
class PushBatch:
    """What one consume handed out: readable messages, and the ids of unreadable ones with why."""

    messages: tuple[PushMessage, ...] = ()
    unreadable: tuple[tuple[str | None, str], ...] = ()

    def __len__(self) -> int:
        return len(self.messages) + len(self.unreadable)
