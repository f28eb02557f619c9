"""A channel order's callback, queued with the line moves that settle it (``bridge.store.api_settle``).

Both engines. The client ``hall``'s order ``H1`` is a trade of shop ``hall``, tid ``H1``, its lines'
oids the body's line numbers; the lines are moved by ``move_lines`` directly, as every named move does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bridge.core.api_orders import ApiOrderRecord
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.store import SqlStore, open_store
from bridge.store.api_schema import api_callbacks
from bridge.store.api_settle import serve_api_shops
from bridge.store.transitions import move_line
from tests.factories import order_line, trade
from tests.sql_counts import counting

S = LineState
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
LINE = {"sku": "TV-RC-0100", "quantity": 1, "amount_fen": 10000, "card_no": "8371000012345678"}
URL = "https://hall.example/cb"
TO_DELIVERED = (S.READY, S.SUBMITTED, S.APPLIED, S.DELIVERED)


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    """A store that knows ``hall`` as a channel client's shop (as ``open_store`` is told by the daemon)."""
    opened = await open_store(database, api_shops=["hall"])
    try:
        yield opened
    finally:
        await opened.close()


async def _order(store: SqlStore, lines: int = 1, shop: str = "hall", **body: Any) -> list[LineRecord]:
    """The client's order H1 stored by the API and taken into the pipeline as a trade of ``shop``."""
    sent = {"order_id": "H1", "paid_at": "2026-12-08T09:58:00+08:00", "lines": [LINE] * lines}
    sent["callback_url"] = URL
    sent.update(body)
    await store.api_orders.add_order(ApiOrderRecord("hall", "H1", sent, "0" * 64, NOW, NOW, NOW))
    oids = [order_line(str(n)) for n in range(1, lines + 1)]
    return await store.intake.save_trade(shop, trade("H1", *oids), NOW, "test")


async def _move(store: SqlStore, line: LineRecord, *path: LineState) -> None:
    """Move ``line`` along ``path``, one transaction a step."""
    current = line.state
    for to in path:
        async with store.engine.begin() as conn:
            assert await move_line(conn, line, to, now=NOW, actor="test", frm=[current], reason="X")
        current = to


async def _callbacks(store: SqlStore) -> list[tuple[str, str]]:
    query = sa.select(api_callbacks.c.event_key, api_callbacks.c.state).order_by(api_callbacks.c.id)
    async with store.engine.connect() as conn:
        return [(r.event_key, r.state) for r in (await conn.execute(query)).all()]


async def test_a_line_delivered_queues_one_callback(store: SqlStore) -> None:
    """The order settles as delivered: one row, key ``hall.H1.1``, its body the order's view."""
    [line] = await _order(store)
    await _move(store, line, *TO_DELIVERED)
    async with store.engine.connect() as conn:
        row = (await conn.execute(sa.select(api_callbacks))).one()
    assert (row.event_key, row.state, row.url) == ("hall.H1.1", "delivered", URL)
    assert (row.payload["event"], row.payload["state"], row.payload["lines"][0]["state"]) == (
        "order.settled",
        "delivered",
        "delivered",
    )


async def test_the_write_back_s_delivery_queues_the_callback(store: SqlStore) -> None:
    """The pipeline's own move: the trade recorded delivered (``trades_delivered``) queues it."""
    [line] = await _order(store)
    await _move(store, line, S.READY, S.SUBMITTED, S.APPLIED)
    [due] = await store.delivery.claim_trades("w", NOW, 60, 10)
    await store.delivery.trade_delivered(due, outcome="SHIPPED", actor="test", now=NOW)
    assert await _callbacks(store) == [("hall.H1.1", "delivered")]


async def test_a_refund_before_provisioning_queues_refunded(store: SqlStore) -> None:
    """The refund's named move (``cancel_refunded``) settles the order as refunded."""
    [line] = await _order(store)
    assert await store.moves.cancel_refunded(line, refund_status="REFUNDED", now=NOW, actor="test")
    assert await _callbacks(store) == [("hall.H1.1", "refunded")]


async def test_another_settled_state_queues_the_next_callback(store: SqlStore) -> None:
    """Delivered, then reversed after a refund: ``.1`` then ``.2`` (the refund on its way queues none)."""
    [line] = await _order(store)
    await _move(store, line, *TO_DELIVERED, S.REVERSAL_PENDING, S.REVERSED)
    assert await _callbacks(store) == [("hall.H1.1", "delivered"), ("hall.H1.2", "reversed")]


async def test_the_state_announced_last_queues_nothing_again(store: SqlStore) -> None:
    """A second line needing attention leaves the order needing attention: still one callback."""
    first, second = await _order(store, lines=2)
    await _move(store, first, S.EXCEPTION)
    await _move(store, second, S.EXCEPTION)
    assert await _callbacks(store) == [("hall.H1.1", "needs_attention")]


async def test_an_order_still_moving_queues_nothing(store: SqlStore) -> None:
    """One line delivered, the other still being provisioned: the order is pending."""
    first, second = await _order(store, lines=2)
    await _move(store, first, S.READY, S.SUBMITTED, S.APPLIED)
    await _move(store, second, S.READY)
    assert await _callbacks(store) == []


async def test_an_order_without_a_callback_url_queues_nothing(store: SqlStore) -> None:
    """No URL, no notification."""
    [line] = await _order(store, callback_url=None)
    await _move(store, line, *TO_DELIVERED)
    assert await _callbacks(store) == []


async def test_the_callback_commits_with_the_move_or_not_at_all(store: SqlStore) -> None:
    """A failure later in the move's transaction leaves the line where it was and no callback."""
    [line] = await _order(store)
    await _move(store, line, S.READY, S.SUBMITTED, S.APPLIED)
    with pytest.raises(RuntimeError):
        async with store.engine.begin() as conn:
            assert await move_line(conn, line, S.DELIVERED, now=NOW, actor="test", frm=[S.APPLIED])
            raise RuntimeError("after the move")
    [stored] = await store.delivery.lines_of_tid("hall", "H1")
    assert (stored.state, await _callbacks(store)) == (S.APPLIED, [])


async def test_a_store_not_told_of_the_client_queues_nothing(database: str) -> None:
    """Opened without API shops (the API off), a client's order settles without a callback."""
    plain = await open_store(database)
    try:
        [line] = await _order(plain)
        await _move(plain, line, *TO_DELIVERED)
        assert await _callbacks(plain) == []
    finally:
        await plain.close()


async def test_a_marketplace_trade_s_moves_queue_nothing_and_cost_no_statement(store: SqlStore) -> None:
    """Shop ``tb``'s trade moves with the very statements it would on a store that knows no channel
    client (a client's order, the same move, costs more: the counter sees the hook), and queues nothing."""
    [ours] = await _order(store)
    [market] = await store.intake.save_trade("tb", trade("T1", order_line("1")), NOW, "test")
    [other] = await store.intake.save_trade("tb", trade("T2", order_line("1")), NOW, "test")
    with counting(store.engine) as counter:
        with counter.phase("client"):
            await _move(store, ours, S.EXCEPTION)
        with counter.phase("marketplace"):
            await _move(store, market, S.EXCEPTION)
        serve_api_shops(store.engine, [])
        with counter.phase("no clients"):
            await _move(store, other, S.EXCEPTION)
    assert counter.statements["marketplace"] == counter.statements["no clients"]
    assert counter.statements["client"] > counter.statements["marketplace"]
    assert await _callbacks(store) == [("hall.H1.1", "needs_attention")]
