"""TOP's own trade and refund statuses, as the sandbox marketplace keeps its trades in them.

The sandbox speaks TOP's words (the bridge's are ``bridge.core.trades``; the Taobao
client maps between them in ``adapters.taobao.states``).
"""

from __future__ import annotations

import enum


class TradeStatus(enum.StrEnum):
    """The trade and order statuses the sandbox moves its trades through."""

    WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
    WAIT_SELLER_SEND_GOODS = "WAIT_SELLER_SEND_GOODS"
    SELLER_CONSIGNED_PART = "SELLER_CONSIGNED_PART"
    WAIT_BUYER_CONFIRM_GOODS = "WAIT_BUYER_CONFIRM_GOODS"
    TRADE_FINISHED = "TRADE_FINISHED"
    TRADE_CLOSED = "TRADE_CLOSED"
    TRADE_CLOSED_BY_TAOBAO = "TRADE_CLOSED_BY_TAOBAO"


class RefundStatus(enum.StrEnum):
    """An order's ``refund_status``."""

    NO_REFUND = "NO_REFUND"
    WAIT_SELLER_AGREE = "WAIT_SELLER_AGREE"
    WAIT_BUYER_RETURN_GOODS = "WAIT_BUYER_RETURN_GOODS"
    WAIT_SELLER_CONFIRM_GOODS = "WAIT_SELLER_CONFIRM_GOODS"
    SELLER_REFUSE_BUYER = "SELLER_REFUSE_BUYER"
    CLOSED = "CLOSED"
    SUCCESS = "SUCCESS"


SHIPPED_STATUSES = frozenset({"WAIT_BUYER_CONFIRM_GOODS", "TRADE_FINISHED", "TRADE_BUYER_SIGNED"})
"""Shipped: dummy.send answers "already shipped" (B27)."""
CLOSED_STATUSES = frozenset({"TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"})
