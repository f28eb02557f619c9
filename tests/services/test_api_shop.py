"""The order API's storefront over the store (``bridge.services.api_shop``), on both engines: a client's
orders listed by change a page at a time, read as trades in the bridge's words, delivered once with
their codes, annotated; another client's orders are never its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bridge.core.api_orders import ApiOrderRecord
from bridge.core.errors import Permanent
from bridge.core.mapping import MappingSet, build_mapping_set
from bridge.core.trades import DeliveryOutcome, OrderState, RefundState, Severity
from bridge.services.api_shop import ApiShop
from bridge.store import SqlStore
from bridge.store.api_schema import api_orders
from tests.api.channel import line, order
from tests.core.test_mapping import CARD, CATALOGUE, SKUS

T0 = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
MAPPING = build_mapping_set(CATALOGUE, SKUS)
assert isinstance(MAPPING, MappingSet)


def _shop(store: SqlStore, client: str = "hall", now: datetime = T0) -> ApiShop:
    return ApiShop(client, store.api_orders, lambda: now, lambda: MAPPING)


async def _add(
    store: SqlStore, order_id: str, *lines: dict[str, Any], at: datetime = T0, client: str = "hall"
) -> None:
    record = ApiOrderRecord(client, order_id, order(order_id, *lines), "0" * 64, at, at, at)
    await store.api_orders.add_order(record)


async def _listed(shop: ApiShop, start: datetime, end: datetime) -> list[list[str]]:
    return [[s.tid for s in page] async for page in shop.list_pages(start, end)]


async def test_orders_are_listed_by_change_a_hundred_a_page(store: SqlStore) -> None:
    """150 orders changed within the window: two pages (100, 50) by modified_at then order id; those
    changed outside it, and another client's, are not listed."""
    for n in range(150):  # two orders a second: ties broken by order id
        await _add(store, f"H{n:03}", at=T0 + timedelta(seconds=n // 2))
    await _add(store, "LATE", at=T0 + timedelta(hours=1))
    await _add(store, "OTHER", at=T0, client="app")
    pages = await _listed(_shop(store), T0, T0 + timedelta(minutes=5))
    assert [len(page) for page in pages] == [100, 50]
    assert [tid for page in pages for tid in page] == [f"H{n:03}" for n in range(150)]


async def test_a_full_page_at_the_end_asks_once_more_and_stops(store: SqlStore) -> None:
    """Exactly 100 orders: one page, then an empty read ends the listing."""
    for n in range(100):
        await _add(store, f"H{n:03}", at=T0)
    assert [len(page) for page in await _listed(_shop(store), T0, T0)] == [100]


async def test_an_order_reads_as_a_paid_trade_of_the_client(store: SqlStore) -> None:
    """Lines by position (oid "1", "2"), the card number as the line's customization, the unit price
    from the amount, a product code carried, the SKU's title; the buyer is the client."""
    await _add(
        store,
        "H1",
        line(sku="TV-RC-0050-X2", quantity=2, amount_fen=20000),
        line(sku=None, product_code="RC-0050", quantity=3, amount_fen=15000),
    )
    trade = await _shop(store).get_trade("H1")
    assert (trade.tid, trade.state, trade.buyer, trade.payment_fen) == ("H1", OrderState.PAID, "hall", 35000)
    one, two = trade.lines
    assert (one.oid, one.sku_code, one.price_fen, one.customization, one.title) == (
        "1",
        "TV-RC-0050-X2",
        10000,
        CARD,
        "两张装",
    )
    assert (two.oid, two.sku_code, two.product_code, two.title) == (
        "2",
        None,
        "RC-0050",
        "数字电视缴费卡 50元",
    )


async def test_a_refund_asked_for_refunds_every_line(store: SqlStore) -> None:
    """With the order's refund requested, every line reads REFUNDED, in the listing and the trade."""
    await _add(store, "H1", line(), line())
    shop = _shop(store)
    assert {r for _, r in (await _listed_summaries(shop))[0].refunds or ()} == {RefundState.NONE}
    await _refund(store, "H1")
    trade = await shop.get_trade("H1")
    assert {ln.refund for ln in trade.lines} == {RefundState.REFUNDED}
    assert (await _listed_summaries(shop))[0].refunds == (
        ("1", RefundState.REFUNDED),
        ("2", RefundState.REFUNDED),
    )


async def test_delivery_is_recorded_once_with_its_codes(store: SqlStore) -> None:
    """The first delivery stores the time and the codes and reads SHIPPED; the second is ALREADY_SHIPPED
    and changes nothing."""
    await _add(store, "H1", line(sku="TV-CARD-0050", card_no=None))
    first = await _shop(store, now=T0 + timedelta(seconds=5)).deliver("H1", {"1": ["C-1"]})
    again = await _shop(store, now=T0 + timedelta(seconds=9)).deliver("H1", {"1": ["C-2"]})
    assert (first, again) == (DeliveryOutcome.SHIPPED, DeliveryOutcome.ALREADY_SHIPPED)
    stored = await store.api_orders.order("hall", "H1")
    assert stored is not None
    assert (stored.delivered_at, stored.codes) == (T0 + timedelta(seconds=5), {"1": ["C-1"]})
    assert (await _shop(store).get_trade("H1")).state is OrderState.SHIPPED


async def test_a_note_and_its_mark_are_kept(store: SqlStore) -> None:
    """A note with a mark is stored; a later note without one keeps the mark."""
    await _add(store, "H1", line())
    shop = _shop(store)
    await shop.annotate("H1", "需要人工处理", Severity.ACT)
    await shop.annotate("H1", "已处理", None)
    trade = await shop.get_trade("H1")
    assert (trade.note, trade.note_severity) == ("已处理", Severity.ACT)


@pytest.mark.parametrize("call", ["get_trade", "deliver", "annotate"])
async def test_another_client_s_order_is_not_found(store: SqlStore, call: str) -> None:
    """An order of another client under the id is refused as none (Permanent), never read or changed."""
    await _add(store, "H1", line(), client="app")
    shop = _shop(store)
    with pytest.raises(Permanent):
        if call == "get_trade":
            await shop.get_trade("H1")
        elif call == "deliver":
            await shop.deliver("H1")
        else:
            await shop.annotate("H1", "x", None)
    stored = await store.api_orders.order("app", "H1")
    assert stored is not None and (stored.delivered_at, stored.note) == (None, None)


async def _listed_summaries(shop: ApiShop) -> list[Any]:
    return [s async for page in shop.list_pages(T0, T0 + timedelta(hours=1)) for s in page]


async def _refund(store: SqlStore, order_id: str) -> None:
    async with store._engine.begin() as conn:
        await conn.execute(
            update(api_orders)
            .where(api_orders.c.order_id == order_id)
            .values(refund_requested_at=T0, modified_at=T0 + timedelta(seconds=1))
        )
