"""The callbacks' outbox as the sender uses it (both engines): claims with a lease, each try written only
by the lease's owner, a 2xx acknowledged whoever holds the row, figures by client."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bridge.core.api_orders import ApiOrderRecord
from bridge.store import SqlStore
from bridge.store.api_callbacks import queue_callback

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


async def _queue(store: SqlStore, client: str, order_id: str, at: datetime = NOW) -> str:
    await store.api_orders.add_order(ApiOrderRecord(client, order_id, {}, "0" * 64, at, at, at))
    async with store.engine.begin() as conn:
        key = await queue_callback(conn, client, order_id, "delivered", "http://h/x", {"n": 1}, at)
    assert key is not None
    return key


async def test_a_failure_is_written_only_by_the_lease_s_owner(store: SqlStore) -> None:
    """A sender whose lease ran out and was taken over writes nothing; the new owner's try counts."""
    await _queue(store, "hall", "H-1")
    [row] = await store.api_callbacks.claim_due("one", NOW, 30, 10)
    later = NOW + timedelta(seconds=31)
    [again] = await store.api_callbacks.claim_due("two", later, 30, 10)
    assert not await store.api_callbacks.record_failure(row.id, "one", 500, "HTTP 500", later)
    assert await store.api_callbacks.record_failure(again.id, "two", None, "no answer", later)
    [now] = await store.api_callbacks.order_callbacks("hall", "H-1")
    assert (now.attempts, now.last_status, now.last_error) == (1, None, "no answer")


async def test_a_failed_row_is_due_again_at_its_next_try_only(store: SqlStore) -> None:
    """The lease is released with the failure; the row waits for ``next_at``."""
    await _queue(store, "hall", "H-1")
    [row] = await store.api_callbacks.claim_due("one", NOW, 30, 10)
    await store.api_callbacks.record_failure(row.id, "one", 503, "HTTP 503", NOW + timedelta(seconds=5))
    assert await store.api_callbacks.claim_due("one", NOW + timedelta(seconds=4), 30, 10) == []
    assert len(await store.api_callbacks.claim_due("one", NOW + timedelta(seconds=5), 30, 10)) == 1


async def test_concurrent_claims_take_disjoint_rows(store: SqlStore) -> None:
    """Two instances claiming at once (SKIP LOCKED on PostgreSQL, serialised on SQLite) never share one."""
    for n in range(20):
        await _queue(store, "hall", f"H-{n}")
    one, two = await asyncio.gather(
        store.api_callbacks.claim_due("one", NOW, 30, 12), store.api_callbacks.claim_due("two", NOW, 30, 12)
    )
    ids_one, ids_two = {r.id for r in one}, {r.id for r in two}
    assert not ids_one & ids_two and len(ids_one | ids_two) == 20


async def test_a_2xx_is_acknowledged_once(store: SqlStore) -> None:
    """The first acknowledgement lands; a second (a late duplicate) changes nothing."""
    await _queue(store, "hall", "H-1")
    [row] = await store.api_callbacks.claim_due("one", NOW, 30, 10)
    assert await store.api_callbacks.acknowledge(row.id, "one", 204, NOW)
    assert not await store.api_callbacks.acknowledge(row.id, "one", 200, NOW + timedelta(seconds=1))
    assert await store.api_callbacks.claim_due("one", NOW + timedelta(days=1), 30, 10) == []


async def test_figures_count_each_client_s_pending_failing_and_oldest(store: SqlStore) -> None:
    """Acknowledged callbacks are left out; a client with none pending has no figures."""
    await _queue(store, "hall", "H-1", NOW - timedelta(minutes=10))
    await _queue(store, "hall", "H-2")
    await _queue(store, "app", "A-1")
    rows = await store.api_callbacks.claim_due("one", NOW, 30, 10)
    by_order = {r.order_id: r for r in rows}
    await store.api_callbacks.record_failure(by_order["H-1"].id, "one", 500, "HTTP 500", NOW)
    await store.api_callbacks.acknowledge(by_order["A-1"].id, "one", 200, NOW)
    [hall] = await store.api_callbacks.figures(NOW)
    assert (hall.client, hall.pending, hall.failing, hall.oldest_pending_s) == ("hall", 2, 1, 600.0)
