"""Lines that name a billing product directly (the order API's ``product_code``, no SKU): planned from
the catalogue, one unit per quantity at its price, with the same checks as a SKU's line."""

from __future__ import annotations

import pytest

from bridge.core.mapping import (
    Delivery,
    MappingSet,
    PlanError,
    PlanReason,
    build_mapping_set,
    plan_line,
    requires_card_no,
)
from bridge.core.models import IssueCards, Recharge, Subscribe
from bridge.core.trades import OrderLine, OrderState
from tests.core.test_mapping import CARD, CATALOGUE, SKUS

SHOP, TID = "hall", "H20261208001"


@pytest.fixture(scope="module")
def mapping() -> MappingSet:
    """The mapping tests' catalogue and SKUs (RC-0050, RC-2000, CH-FYZQ)."""
    result = build_mapping_set(CATALOGUE, SKUS)
    assert isinstance(result, MappingSet), result
    return result


def _line(
    product: str, quantity: int, paid_fen: int, card: str | None = CARD, sku: str | None = None
) -> OrderLine:
    return OrderLine(
        oid="1",
        sku_code=sku,
        platform_sku_id=None,
        title="",
        quantity=quantity,
        price_fen=paid_fen // quantity,
        payment_fen=paid_fen,
        state=OrderState.PAID,
        customization=card,
        product_code=product,
    )


def test_a_recharge_product_with_a_card_number_is_credited_to_it(mapping: MappingSet) -> None:
    """3 × RC-0050 for 150 yuan: one recharge of 150 yuan to the card, request_id hall:H…:1:0."""
    plan = plan_line(SHOP, TID, _line("RC-0050", 3, 15000), CARD, mapping)
    assert (plan.product_code, plan.delivery) == ("RC-0050", Delivery.TOPUP)
    assert plan.operations == (Recharge(f"{SHOP}:{TID}:1:0", CARD, 15000),)


def test_a_recharge_product_without_a_card_number_is_card_codes(mapping: MappingSet) -> None:
    """No card number: the product's face-value cards are issued, one a quantity."""
    line = _line("RC-0050", 2, 10000, card=None)
    assert not requires_card_no(line, mapping)
    plan = plan_line(SHOP, TID, line, "", mapping)
    assert plan.operations == (IssueCards(f"{SHOP}:{TID}:1:0", 5000, 2),)


def test_a_channel_product_is_a_month_a_quantity(mapping: MappingSet) -> None:
    """4 × CH-FYZQ: a four-month subscription on the card."""
    plan = plan_line(SHOP, TID, _line("CH-FYZQ", 4, 800), CARD, mapping)
    assert plan.operations == (Subscribe(f"{SHOP}:{TID}:1:0", CARD, "CH-FYZQ", 4),)


def test_a_product_line_paying_other_than_price_times_quantity_is_a_mismatch(mapping: MappingSet) -> None:
    """2 × RC-0050 paid 99 yuan: AMOUNT_MISMATCH, as for a SKU."""
    with pytest.raises(PlanError) as err:
        plan_line(SHOP, TID, _line("RC-0050", 2, 9900), CARD, mapping)
    assert err.value.reason is PlanReason.AMOUNT_MISMATCH


def test_an_unknown_product_code_is_unmapped_naming_it(mapping: MappingSet) -> None:
    """A product the catalogue does not have: UNMAPPED_SKU, its detail naming the product code."""
    line = _line("RC-9999", 1, 5000)
    assert not requires_card_no(line, mapping)
    with pytest.raises(PlanError) as err:
        plan_line(SHOP, TID, line, CARD, mapping)
    assert err.value.reason is PlanReason.UNMAPPED_SKU
    assert 'product_code "RC-9999"' in err.value.detail


def test_a_sku_line_ignores_a_product_code(mapping: MappingSet) -> None:
    """A line with a SKU is planned from the SKU's rule (the marketplace path), whatever product it names."""
    plan = plan_line(SHOP, TID, _line("CH-FYZQ", 1, 5000, sku="TV-RC-0050"), CARD, mapping)
    assert plan.product_code == "RC-0050"
