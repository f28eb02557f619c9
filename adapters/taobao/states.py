"""Taobao's words for a trade's state, a refund and a seller flag, and the bridge's for each.

One table each, the only place the bridge's ``OrderState``, ``RefundState`` and
``Severity`` meet TOP's ``status``, ``refund_status`` and ``seller_flag``
(taobao-top.md: trade and order statuses, refund statuses, memo flags 0-5):

- a status TOP adds later reads as ``OrderState.OTHER`` (the bridge does not act on
  it; the text stays in ``platform_status`` for people);
- a refund status not in the table reads as ``RefundState.NONE``, as the bridge
  always treated a status it did not know;
- red, yellow, green and grey are the bridge's marks (``ACT``, ``WATCH``, ``DONE``,
  ``NONE``); blue, pink and any other number are a person's (``None``: kept as set).
"""

from __future__ import annotations

from bridge.core.trades import OrderState, RefundState, Severity

S, R, V = OrderState, RefundState, Severity

ORDER_STATES: dict[str, OrderState] = {
    "TRADE_NO_CREATE_PAY": S.UNPAID,  # no Alipay trade made yet
    "WAIT_BUYER_PAY": S.UNPAID,
    "PAY_PENDING": S.UNPAID,  # paid by a channel that has not confirmed yet
    "WAIT_PRE_AUTH_CONFIRM": S.UNPAID,  # 0-yuan purchase, waiting for the pre-authorisation
    "WAIT_SELLER_SEND_GOODS": S.PAID,
    "SELLER_CONSIGNED_PART": S.PART_SHIPPED,
    "WAIT_BUYER_CONFIRM_GOODS": S.SHIPPED,
    "TRADE_BUYER_SIGNED": S.SHIPPED,  # signed for (cash on delivery)
    "TRADE_FINISHED": S.FINISHED,
    "TRADE_CLOSED": S.CLOSED,  # refunded in full after payment, or closed by the seller
    "TRADE_CLOSED_BY_TAOBAO": S.CLOSED,  # closed before payment
    "PAID_FORBID_CONSIGN": S.OTHER,  # paid, but the platform forbids shipping it
}
"""TOP's trade and order ``status`` → the bridge's ``OrderState``."""

REFUND_STATES: dict[str, RefundState] = {
    "NO_REFUND": R.NONE,
    "WAIT_SELLER_AGREE": R.REQUESTED,
    "WAIT_BUYER_RETURN_GOODS": R.REQUESTED,
    "WAIT_SELLER_CONFIRM_GOODS": R.REQUESTED,
    "SELLER_REFUSE_BUYER": R.REFUSED,
    "CLOSED": R.NONE,  # the buyer withdrew, or the request lapsed
    "SUCCESS": R.REFUNDED,
}
"""TOP's ``refund_status`` of an order → the bridge's ``RefundState``."""

FLAGS: dict[Severity, int] = {V.NONE: 0, V.ACT: 1, V.WATCH: 2, V.DONE: 3}
"""The bridge's ``Severity`` → the seller flag colour it sets (grey, red, yellow, green)."""

_SEVERITIES = {flag: severity for severity, flag in FLAGS.items()}


def order_state(status: str) -> OrderState:
    """A trade's or an order's TOP ``status`` in the bridge's words."""
    return ORDER_STATES.get(status, S.OTHER)


def refund_state(status: str) -> RefundState:
    """An order's TOP ``refund_status`` in the bridge's words."""
    return REFUND_STATES.get(status, R.NONE)


def severity_of(flag: int) -> Severity | None:
    """The mark a seller flag stands for; ``None`` for a colour only a person sets (blue, pink)."""
    return _SEVERITIES.get(flag)


def flag_of(severity: Severity) -> int:
    """The seller flag the bridge sets for ``severity``."""
    return FLAGS[severity]
