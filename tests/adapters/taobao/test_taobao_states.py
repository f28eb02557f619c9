"""Taobao's statuses and flags in the bridge's words: one table each, read both ways."""

from __future__ import annotations

import pytest

from adapters.taobao.states import FLAGS, flag_of, order_state, refund_state, severity_of
from bridge.core.trades import REFUND_HOLDS, SHIPPED_STATES, OrderState, RefundState, Severity

S, R, V = OrderState, RefundState, Severity


@pytest.mark.parametrize(
    ("status", "state"),
    [("WAIT_BUYER_PAY", S.UNPAID), ("TRADE_NO_CREATE_PAY", S.UNPAID), ("PAY_PENDING", S.UNPAID),
     ("WAIT_SELLER_SEND_GOODS", S.PAID), ("SELLER_CONSIGNED_PART", S.PART_SHIPPED),
     ("WAIT_BUYER_CONFIRM_GOODS", S.SHIPPED), ("TRADE_BUYER_SIGNED", S.SHIPPED),
     ("TRADE_FINISHED", S.FINISHED), ("TRADE_CLOSED", S.CLOSED), ("TRADE_CLOSED_BY_TAOBAO", S.CLOSED),
     ("PAID_FORBID_CONSIGN", S.OTHER), ("A_STATUS_TOP_ADDS_LATER", S.OTHER), ("", S.OTHER)],
)  # fmt: skip  # one case per line reads as a table
def test_order_state(status: str, state: OrderState) -> None:
    """Each TOP status reads as one state of the bridge; one it does not know, as OTHER."""
    assert order_state(status) is state


@pytest.mark.parametrize(
    ("status", "state"),
    [("NO_REFUND", R.NONE), ("WAIT_SELLER_AGREE", R.REQUESTED), ("WAIT_BUYER_RETURN_GOODS", R.REQUESTED),
     ("WAIT_SELLER_CONFIRM_GOODS", R.REQUESTED), ("SELLER_REFUSE_BUYER", R.REFUSED), ("CLOSED", R.NONE),
     ("SUCCESS", R.REFUNDED), ("SOMETHING_ELSE", R.NONE)],
)  # fmt: skip  # one case per line reads as a table
def test_refund_state(status: str, state: RefundState) -> None:
    """Each TOP refund status reads as one refund state of the bridge."""
    assert refund_state(status) is state


TOP_STATUSES = ["WAIT_BUYER_CONFIRM_GOODS", "TRADE_BUYER_SIGNED", "TRADE_FINISHED", "TRADE_CLOSED",
                "TRADE_CLOSED_BY_TAOBAO", "WAIT_SELLER_SEND_GOODS", "SELLER_CONSIGNED_PART"]  # fmt: skip
TOP_REFUNDS = ["NO_REFUND", "WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS",
               "SELLER_REFUSE_BUYER", "CLOSED", "SUCCESS"]  # fmt: skip
# what the bridge acted on when it kept TOP's words (bridge.core.models before the storefront port)
SHIPPED_STATUSES = {"WAIT_BUYER_CONFIRM_GOODS", "TRADE_FINISHED", "TRADE_BUYER_SIGNED"}
CLOSED_STATUSES = {"TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"}
REFUND_OPEN = {"WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS", "SUCCESS"}
GREY, RED, YELLOW, GREEN, BLUE, PINK = range(6)


@pytest.mark.parametrize("status", TOP_STATUSES)
def test_shipped_and_closed_are_what_the_bridge_always_took_them_for(status: str) -> None:
    """The bridge's shipped and closed groups name exactly the TOP statuses it acted on before."""
    assert (order_state(status) in SHIPPED_STATES) is (status in SHIPPED_STATUSES)
    assert (order_state(status) is S.CLOSED) is (status in CLOSED_STATUSES)


@pytest.mark.parametrize("status", TOP_REFUNDS)
def test_a_refund_holds_a_line_exactly_where_it_did(status: str) -> None:
    """``REFUND_HOLDS`` holds a line for exactly the TOP refund statuses that held it before."""
    assert (refund_state(status) in REFUND_HOLDS) is (status in REFUND_OPEN)


@pytest.mark.parametrize(
    ("flag", "severity"),
    [(GREY, V.NONE), (RED, V.ACT), (YELLOW, V.WATCH), (GREEN, V.DONE), (BLUE, None), (PINK, None), (9, None)],
)  # fmt: skip  # one case per line reads as a table
def test_flag_colours(flag: int, severity: Severity | None) -> None:
    """Grey, red, yellow and green are the bridge's marks; blue, pink and others a person's."""
    assert severity_of(flag) is severity
    if severity is not None:
        assert flag_of(severity) == flag


def test_every_severity_has_its_colour() -> None:
    assert set(FLAGS) == set(Severity)
