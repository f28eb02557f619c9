"""The dashboard's channel-callbacks card: pending, failing and the oldest's wait by channel, marked once
past [api] callback_alert_after_s; on both engines, through the real app."""

from __future__ import annotations

import re

from bridge.core.api_orders import ApiOrderRecord
from bridge.store.api_callbacks import queue_callback
from tests.web.conftest import Desk


async def _queue(desk: Desk, order_id: str) -> None:
    now = desk.deps.clock()
    store = desk.deps.store
    await store.api_orders.add_order(ApiOrderRecord("hall", order_id, {}, "0" * 64, now, now, now))
    async with store.engine.begin() as conn:  # the rig's store is a SqlStore
        await queue_callback(conn, "hall", order_id, "delivered", "http://127.0.0.1:9/hook", {}, now)


def _row(html: str) -> str:
    found = re.search(r'<tr data-client="hall".*?</tr>', html, re.S)
    assert found is not None, "no row for the channel"
    return found.group(0)


async def test_no_card_without_the_api_or_any_callback(desk: Desk) -> None:
    """A bridge without channels shows no callbacks card."""
    await desk.login("cs1")
    assert 'id="callbacks"' not in await (await desk.client.get("/dashboard/live")).text()


async def test_the_card_counts_pending_and_failing_and_the_oldest_wait(desk: Desk) -> None:
    """Two pending, one tried and failed, the oldest 20 minutes: past the default 15, so marked."""
    await _queue(desk, "H-1")
    desk.rig.later(300)
    await _queue(desk, "H-2")
    [first] = await desk.deps.store.api_callbacks.claim_due("me", desk.deps.clock(), 30, 1)
    await desk.deps.store.api_callbacks.record_failure(first.id, "me", None, "no answer", desk.deps.clock())
    desk.rig.later(900)
    await desk.login("cs1")
    row = _row(await (await desk.client.get("/dashboard/live")).text())
    assert re.search(r'class="num pending">2<', row) and re.search(r'class="num failing">1<', row)
    assert "20 分" in row and "已超过告警时长" in row and 'class="late"' in row


async def test_a_callback_within_the_alert_time_is_not_marked(desk: Desk) -> None:
    """Five minutes pending: counted, not marked late."""
    await _queue(desk, "H-1")
    desk.rig.later(300)
    await desk.login("cs1")
    row = _row(await (await desk.client.get("/dashboard/live")).text())
    assert re.search(r'class="num pending">1<', row) and "已超过告警时长" not in row
