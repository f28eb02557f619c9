"""Ceilings: which paid lines wait for an admin, with the figures in Chinese; defaults from the catalogue."""

from __future__ import annotations

import pytest

from bridge.core.ceilings import Ceilings, Size, check, default_ceilings, trade_size
from bridge.core.mapping import PlanError, PlanReason
from bridge.core.models import Product, ProductKind
from tests.factories import order_line

CEILINGS = Ceilings(line_amount_fen=50_000, line_quantity=5, trade_amount_fen=80_000, trade_quantity=8)
SMALL_TRADE = Size(0, 0)


@pytest.mark.parametrize(
    ("qty", "price", "trade", "reason", "words"),
    [
        (6, 10_000, SMALL_TRADE, PlanReason.LINE_OVER_CEILING, "金额 ¥600.00 超过单笔上限 ¥500.00"),
        (6, 100, SMALL_TRADE, PlanReason.LINE_OVER_CEILING, "数量 6 超过单笔上限 5"),
        (1, 100, Size(80_001, 1), PlanReason.TRADE_OVER_CEILING, "整笔订单金额 ¥800.01 超过整单上限 ¥800.00"),
        (1, 100, Size(100, 9), PlanReason.TRADE_OVER_CEILING, "整笔订单数量 9 超过整单上限 8"),
    ],
)
def test_a_line_or_trade_above_a_ceiling_is_stopped_with_the_figures_in_chinese(
    qty: int, price: int, trade: Size, reason: PlanReason, words: str
) -> None:
    """Each ceiling stops a line above it; the reason code says which, the detail names figure and ceiling."""
    with pytest.raises(PlanError) as caught:
        check(order_line(qty=qty, price=price), trade, CEILINGS)
    assert caught.value.reason is reason and caught.value.detail == words


def test_a_line_and_trade_exactly_at_the_ceilings_pass() -> None:
    """A ceiling is the most allowed: at it, nothing waits."""
    check(order_line(qty=5, price=10_000), Size(80_000, 8), CEILINGS)


def test_the_line_ceiling_is_named_before_the_trade_ceiling() -> None:
    """A line above both says it is the line (the figure CS can see on the line itself)."""
    with pytest.raises(PlanError) as caught:
        check(order_line(qty=6, price=10_000), Size(10**9, 10**6), CEILINGS)
    assert caught.value.reason is PlanReason.LINE_OVER_CEILING


def test_defaults_follow_the_catalogues_largest_product() -> None:
    """Line: 5 × the largest price and 36 units; trade: twice the line's."""
    products = [
        Product("RC-0050", "50元", ProductKind.RECHARGE, 5_000),
        Product("RC-2000", "2000元", ProductKind.RECHARGE, 200_000),
        Product("CH-A", "频道", ProductKind.CHANNEL, 200, "month"),
    ]
    assert default_ceilings(products) == Ceilings(1_000_000, 36, 2_000_000, 72)


def test_the_issues_hundred_thousand_cards_wait_under_the_default_ceilings() -> None:
    """100,000 × ¥50 (credited ¥5,000,000 before) is above the defaults of a ¥2,000 catalogue."""
    products = [Product("RC-2000", "2000元", ProductKind.RECHARGE, 200_000)]
    line = order_line(qty=100_000, price=5_000)
    with pytest.raises(PlanError, match="超过单笔上限"):
        check(line, trade_size([line]), default_ceilings(products))


def test_a_trades_size_adds_up_every_line() -> None:
    lines = [order_line(2001, qty=2, price=100), order_line(2002, qty=3, price=1_000)]
    assert trade_size(lines) == Size(3_200, 5)
