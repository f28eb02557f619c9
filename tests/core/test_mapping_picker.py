"""The editor's product picker: the catalogue products whose price × units is the listing's price."""

from __future__ import annotations

from bridge.core.mapping import Catalogue, Delivery
from bridge.core.mapping.picker import parse_choice, suggest_products
from bridge.core.models import Product, ProductKind


def _catalogue(*products: Product) -> Catalogue:
    return Catalogue({p.product_code: p for p in products})


CH2 = Product("CH-2", "两元频道", ProductKind.CHANNEL, 200, "month")
CH3 = Product("CH-3", "三元频道", ProductKind.CHANNEL, 300, "month")
CH6 = Product("CH-6", "六元频道", ProductKind.CHANNEL, 600, "month")
CH8 = Product("CH-8", "八元频道", ProductKind.CHANNEL, 800, "month")
RC50 = Product("RC-50", "缴费卡 50元", ProductKind.RECHARGE, 5000)
RC100 = Product("RC-100", "缴费卡 100元", ProductKind.RECHARGE, 10000)
ALL = _catalogue(CH8, CH3, CH2, CH6, RC50, RC100)


def test_a_six_yuan_listing_suggests_six_by_one_three_by_two_two_by_three() -> None:
    found = [(s.product.product_code, s.units) for s in suggest_products(ALL, 600)]
    assert found == [("CH-6", 1), ("CH-3", 2), ("CH-2", 3)]


def test_recharge_cards_are_suggested_by_count_of_face_values() -> None:
    found = [(s.product.product_code, s.units) for s in suggest_products(ALL, 20000)]
    assert ("RC-100", 2) in found and ("RC-50", 4) in found
    assert found[0] == ("RC-100", 2)


def test_no_more_than_36_units() -> None:
    """¥80 is 40 months of a ¥2 channel: more than the billing core sells in one go."""
    found = [(s.product.product_code, s.units) for s in suggest_products(ALL, 8000)]
    assert ("CH-2", 40) not in found and ("CH-8", 10) in found and ("CH-3", 0) not in found


def test_a_price_nothing_fits_suggests_nothing() -> None:
    assert suggest_products(ALL, 500) == [] and suggest_products(ALL, 0) == []
    assert suggest_products(ALL, -600) == []


def test_a_suggestion_is_delivered_as_a_top_up_and_sent_back_as_code_and_units() -> None:
    [first, *_] = suggest_products(ALL, 600)
    assert first.delivery is Delivery.TOPUP and first.choice == "CH-6*1"
    assert parse_choice(ALL, "CH-2*3") == suggest_products(ALL, 600)[2]


def test_a_pick_not_in_the_catalogue_is_ignored() -> None:
    for choice in ("CH-9*1", "CH-2*0", "CH-2*x", "CH-2", "CH-2*37", ""):
        assert parse_choice(ALL, choice) is None
