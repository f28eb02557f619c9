"""When a re-listed trade is read in full again: only when its state may have changed."""

from __future__ import annotations

from datetime import datetime, timedelta

from bridge.core.models import CST
from bridge.core.records import KnownTrade
from bridge.core.relisting import needs_read
from bridge.core.trades import OrderState, RefundState, TradeSummary

T0 = datetime(2026, 12, 1, 10, 0, 0, tzinfo=CST)
PAID = OrderState.PAID
SHIPPED = OrderState.SHIPPED
NONE, REQUESTED = RefundState.NONE, RefundState.REQUESTED


def known(status: str = PAID, *, delivered: bool = False, refund: str = NONE) -> KnownTrade:
    return KnownTrade(
        status=status,
        modified=T0,
        read_at=T0 + timedelta(seconds=5),
        delivered=delivered,
        refunds=(("7", refund),),
    )


def listed(state: OrderState = PAID, *, later_s: int = 0, refund: RefundState | None = NONE) -> TradeSummary:
    refunds = None if refund is None else (("7", refund),)
    return TradeSummary(tid="1", state=state, modified=T0 + timedelta(seconds=later_s), refunds=refunds)


def test_a_trade_the_store_does_not_hold_is_read() -> None:
    assert needs_read(None, listed())


def test_an_unreadable_listing_entry_is_read() -> None:
    assert needs_read(known(), listed(OrderState.OTHER))


def test_a_memo_write_that_only_moves_modified_costs_no_read() -> None:
    assert not needs_read(known(), listed(later_s=30))


def test_a_refund_that_leaves_the_trade_status_alone_is_read() -> None:
    assert needs_read(known(SHIPPED), listed(SHIPPED, later_s=30, refund=REQUESTED))


def test_the_bridges_own_delivery_costs_no_read() -> None:
    assert not needs_read(known(delivered=True), listed(SHIPPED, later_s=3))


def test_a_trade_shipped_by_someone_else_is_read() -> None:
    assert needs_read(known(delivered=False), listed(SHIPPED, later_s=3))


def test_a_closed_trade_is_read_even_after_our_delivery() -> None:
    assert needs_read(known(delivered=True), listed(OrderState.CLOSED, later_s=3))


def test_without_the_orders_fields_only_an_equal_settled_time_skips() -> None:
    assert not needs_read(known(), listed(refund=None))
    assert needs_read(known(), listed(later_s=1, refund=None))
    too_soon = KnownTrade(status=PAID, modified=T0, read_at=T0, delivered=False, refunds=(("7", NONE),))
    assert needs_read(too_soon, listed(refund=None))  # read within the same second: a change may hide
