"""The platform's order, after-sales and tag codes in the bridge's words."""

from __future__ import annotations

import pytest

from adapters.pinduoduo.states import order_state, refund_state, severity_of, tag_for
from bridge.core.trades import OrderState, RefundState, Severity

ORDERS = [
    ((0, 1, 1), OrderState.UNPAID),  # paid, group still forming: not 成交
    ((2, 1, 1), OrderState.CLOSED),  # cancelled
    ((1, 1, 1), OrderState.PAID),
    ((1, 1, 2), OrderState.PAID),  # after-sales under way: the refund state holds it
    ((1, 1, 4), OrderState.CLOSED),  # refunded before delivery
    ((1, 2, 1), OrderState.SHIPPED),
    ((1, 2, 4), OrderState.SHIPPED),  # refunded after delivery: still shipped; the refund says the rest
    ((1, 3, 1), OrderState.FINISHED),
    ((1, 7, 1), OrderState.OTHER),
]


@pytest.mark.parametrize(("codes", "state"), ORDERS, ids=[str(c) for c, _ in ORDERS])
def test_order_codes_map_to_one_state(codes: tuple[int, int, int], state: OrderState) -> None:
    """(confirm_status, order_status, refund_status) → the bridge's order state."""
    assert order_state(*codes) is state


REFUNDS = [
    ((1, None), RefundState.NONE),
    ((2, None), RefundState.REQUESTED),
    ((3, None), RefundState.REQUESTED),
    ((4, None), RefundState.REFUNDED),
    ((9, None), RefundState.REQUESTED),  # unknown: hold
    ((2, 2), RefundState.REQUESTED),
    ((2, 6), RefundState.REFUSED),
    ((1, 9), RefundState.NONE),
    ((4, 10), RefundState.REFUNDED),
    ((1, 11), RefundState.NONE),
    ((2, 14), RefundState.REQUESTED),  # exchange: hold
]


@pytest.mark.parametrize(("codes", "state"), REFUNDS, ids=[str(c) for c, _ in REFUNDS])
def test_after_sales_codes_map_to_one_refund_state(codes: tuple[int, int | None], state: RefundState) -> None:
    """``after_sales_status`` decides when given; ``refund_status`` otherwise; unknown codes hold."""
    assert refund_state(*codes) is state


def test_each_severity_has_its_own_colour_and_a_short_name() -> None:
    """ACT red, WATCH yellow, DONE green, each named in at most 3 characters, and read back."""
    tags = {s: tag_for(s) for s in (Severity.ACT, Severity.WATCH, Severity.DONE)}
    assert {s: t[0] for s, t in tags.items() if t} == {Severity.ACT: 1, Severity.WATCH: 2, Severity.DONE: 3}
    assert all(t and 1 <= len(t[1]) <= 3 for t in tags.values())
    assert all(severity_of(t[0]) is s for s, t in tags.items() if t)


def test_none_sends_no_tag_and_a_person_colour_is_not_ours() -> None:
    """No tag reads as NONE; blue and purple are a person's (``None``); NONE sends nothing."""
    assert (severity_of(None), severity_of(0)) == (Severity.NONE, Severity.NONE)
    assert (severity_of(4), severity_of(5)) == (None, None)
    assert tag_for(Severity.NONE) is None and tag_for(None) is None
