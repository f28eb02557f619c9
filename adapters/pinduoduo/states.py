"""Pinduoduo's order, after-sales and note-tag codes in the bridge's words, one table each.

An order carries three codes (docs/storefronts/pinduoduo.md §3):
``confirm_status`` (成交状态: 0 not yet, 1 done, 2 cancelled), ``order_status``
(发货状态: 1 to ship, 2 shipped, 3 received) and ``refund_status`` (1 none or
closed, 2 after-sales under way, 3 refunding, 4 refunded), plus the finer
``after_sales_status`` when the answer has it. A Pinduoduo order has no
per-line states: every line takes the order's. The note's colour tag
(``remark_tag`` 1 red … 5 purple, with a ``tag_name`` of at most 3 characters)
renders the bridge's ``Severity``; blue and purple are a person's.
"""

from __future__ import annotations

from bridge.core.trades import OrderState, RefundState, Severity

CONFIRM_PENDING, CONFIRMED, CONFIRM_CANCELLED = 0, 1, 2
TO_SHIP, SHIPPED, RECEIVED = 1, 2, 3
REFUND_NONE, REFUND_UNDER_WAY, REFUND_REFUNDING, REFUND_DONE = 1, 2, 3, 4

_SHIP_STATES = {TO_SHIP: OrderState.PAID, SHIPPED: OrderState.SHIPPED, RECEIVED: OrderState.FINISHED}

REFUND_STATES: dict[int, RefundState] = {
    REFUND_NONE: RefundState.NONE,
    REFUND_UNDER_WAY: RefundState.REQUESTED,
    REFUND_REFUNDING: RefundState.REQUESTED,  # agreed, the money is on its way: still hold
    REFUND_DONE: RefundState.REFUNDED,
}
"""``refund_status`` → the bridge's refund state."""

AFTER_SALES_STATES: dict[int, RefundState] = {
    0: RefundState.NONE,  # 无售后
    **dict.fromkeys((2, 3, 4, 5, 7, 8), RefundState.REQUESTED),  # asked, agreed, under review
    6: RefundState.REFUSED,  # 驳回退款，待买家处理
    9: RefundState.NONE,  # 平台拒绝退款，退款关闭
    10: RefundState.REFUNDED,  # 退款成功
    **dict.fromkeys((11, 12, 13), RefundState.NONE),  # withdrawn, lapsed
}
"""``after_sales_status`` → refund state; exchange and repair codes (14+) are absent: they hold."""

TAGS: dict[Severity, tuple[int, str]] = {
    Severity.ACT: (1, "需处理"),  # red
    Severity.WATCH: (2, "跟进中"),  # yellow
    Severity.DONE: (3, "已完成"),  # green
}
"""Severity → (``tag``, ``tag_name``); ``NONE`` sends no tag (see ``tag_for``)."""

_SEVERITIES = {tag: severity for severity, (tag, _) in TAGS.items()}


def order_state(confirm_status: int, order_status: int, refund_status: int) -> OrderState:
    """The bridge's state of an order from its three codes."""
    if confirm_status == CONFIRM_CANCELLED:
        return OrderState.CLOSED
    if confirm_status != CONFIRMED:
        return OrderState.UNPAID  # paid but not 成交 yet (a group still forming): not ours to ship
    if order_status == TO_SHIP and refund_status == REFUND_DONE:
        return OrderState.CLOSED  # refunded before delivery
    return _SHIP_STATES.get(order_status, OrderState.OTHER)


def refund_state(refund_status: int, after_sales_status: int | None = None) -> RefundState:
    """The bridge's refund state: the finer ``after_sales_status`` when given, else ``refund_status``.

    A code the tables do not know holds the line (``REQUESTED``): a person looks.
    """
    if after_sales_status is not None:
        return AFTER_SALES_STATES.get(after_sales_status, RefundState.REQUESTED)
    return REFUND_STATES.get(refund_status, RefundState.REQUESTED)


def platform_status(confirm_status: int, order_status: int, refund_status: int) -> str:
    """The three codes as people read them in the seller console."""
    return f"confirm_status={confirm_status} order_status={order_status} refund_status={refund_status}"


def severity_of(tag: int | None) -> Severity | None:
    """The severity a note tag shows: ``NONE`` when untagged, ``None`` for a person's colour."""
    if not tag:
        return Severity.NONE
    return _SEVERITIES.get(tag)


def tag_for(severity: Severity | None) -> tuple[int, str] | None:
    """The ``(tag, tag_name)`` to send, or ``None`` to send none.

    The platform documents no way to clear a tag (tag and tag_name go together
    or not at all), so ``NONE`` and ``None`` both leave the tag as it is.
    """
    return TAGS.get(severity) if severity is not None else None
