"""The lab's orders dealt to both storefronts: every bad kind on each, and none Pinduoduo cannot take."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from bridge.lab import DEMO_MAPPINGS
from bridge.lab.channel import api_body
from bridge.lab.scenario import BAD_KINDS, PDD_BAD_KINDS, OrderMaker, Subscribers, pdd_order_body
from bridge.lab.torture_channel import DEALT
from bridge.services.mappings import load_mapping_set
from bridge.store.mapping_files import MappingDir

SUBS = Subscribers(["8371000000000001"], ["8371000000000002"], ["8371000000000003"])


def _maker() -> OrderMaker:
    return OrderMaker(load_mapping_set(MappingDir(DEMO_MAPPINGS)), SUBS, seed=7)


def test_sixty_orders_split_show_every_bad_kind_on_both_storefronts() -> None:
    """Dealt in turn, each storefront counts its own orders: the first 60 carry all of BAD_KINDS on each."""
    maker = _maker()
    kinds: dict[str, set[str]] = defaultdict(set)
    for n in range(60):
        order = maker.make_split(n)
        kinds[order.storefront].add(order.kind)
    assert set(BAD_KINDS) <= kinds["taobao"]
    assert set(BAD_KINDS) <= kinds["pinduoduo"]


def test_orders_are_dealt_to_the_storefronts_in_turn() -> None:
    """Even orders are Taobao's, odd ones Pinduoduo's: a run splits evenly."""
    maker = _maker()
    assert [maker.make_split(n).storefront for n in range(4)] == ["taobao", "pinduoduo"] * 2


def test_no_pinduoduo_order_expects_card_codes_delivered() -> None:
    """Pinduoduo delivers no codes: a card-delivery order there must end in CODES_NOT_DELIVERABLE."""
    maker = _maker()
    orders = [maker.make(n, "pinduoduo") for n in range(120)]
    codes = [ln for o in orders for ln in o.lines if ln.cards or ln.expect_reason == "CODES_NOT_DELIVERABLE"]
    assert codes, "the cycle has card-delivery orders"
    assert all(ln.expect_reason == PDD_BAD_KINDS["card_codes"] and ln.cards == 0 for ln in codes)


def test_taobao_still_delivers_card_codes() -> None:
    """The same cycle on Taobao keeps its card-delivery orders good."""
    maker = _maker()
    orders = [maker.make(n) for n in range(120)]
    assert any(ln.cards and ln.expect_reason is None for o in orders for ln in o.lines)


def test_a_pinduoduo_body_carries_the_card_as_the_recharge_account() -> None:
    """The smart-card number travels as the virtual order's recharge account; each price is per unit paid."""
    maker = _maker()
    order = next(o for o in (maker.make(n, "pinduoduo") for n in range(60)) if o.kind == "topup_qty")
    body = pdd_order_body(order)
    line = order.lines[0]
    assert body["recharge_account"] == line.card_no
    assert body["items"][0]["quantity"] == line.quantity
    assert float(body["items"][0]["price"]) * 100 * line.quantity == line.payment_fen


def test_a_pinduoduo_amount_mismatch_is_offered_below_the_mapped_price() -> None:
    """The platform charges price × quantity, so the mismatch is in the price the buyer sees."""
    maker = _maker()
    order = next(o for o in (maker.make(n, "pinduoduo") for n in range(60)) if o.kind == "amount_mismatch")
    line = order.lines[0]
    assert float(pdd_order_body(order)["items"][0]["price"]) * 100 == line.price_fen - 100


def test_a_pinduoduo_order_without_a_card_has_no_recharge_account() -> None:
    """ "no_card" there is an order whose buyer gave no recharge account."""
    maker = _maker()
    order = next(o for o in (maker.make(n, "pinduoduo") for n in range(60)) if o.kind == "no_card")
    assert pdd_order_body(order)["recharge_account"] is None


def test_ninety_orders_dealt_three_ways_show_every_bad_kind_on_each() -> None:
    """Dealt to Taobao, Pinduoduo and the channel in turn (``torture_channel.DEALT``): a third each,
    and the first 90 carry all of BAD_KINDS on each, the channel's card codes a good order."""
    maker = _maker()
    kinds: dict[str, list[str]] = defaultdict(list)
    for n in range(90):
        order = maker.make_split(n, DEALT)
        kinds[order.storefront].append(order.kind)
    assert {front: len(k) for front, k in kinds.items()} == {"taobao": 30, "pinduoduo": 30, "api": 30}
    assert all(set(BAD_KINDS) <= set(k) for k in kinds.values())
    assert "card_delivery" in kinds["api"] and "card_codes" not in kinds["api"]


def test_a_channel_order_body_names_each_line_by_sku_with_its_card() -> None:
    """The API body: each line's SKU, quantity, amount paid and card; a card-code line has no card."""
    maker = _maker()
    order = maker.make(5, "api")  # a card-delivery order
    topup = maker.make(0, "api")
    paid = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    assert api_body(order, "H1", paid, None)["lines"] == [
        {"sku": ln.outer_sku_id, "quantity": ln.quantity, "amount_fen": ln.payment_fen} for ln in order.lines
    ]
    body = api_body(topup, "H2", paid, "http://127.0.0.1:9/callbacks/hall")
    assert body["lines"][0]["card_no"] == topup.lines[0].card_no
    assert body["callback_url"] == "http://127.0.0.1:9/callbacks/hall"
    assert body["paid_at"] == "2026-12-08T10:00:00+00:00"
