"""The dashboard's channel-callbacks card: pending, failing and the oldest's wait by channel, marked once
past [api] callback_alert_after_s; on both engines, through the real app."""

from __future__ import annotations

import re

from tests.factories import queue_delivered_callback
from tests.web.conftest import Desk


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
    await queue_delivered_callback(desk.deps, "H-1")
    desk.rig.later(300)
    await queue_delivered_callback(desk.deps, "H-2")
    [first] = await desk.deps.store.api_callbacks.claim_due("me", desk.deps.clock(), 30, 1)
    await desk.deps.store.api_callbacks.record_failure(first.id, "me", None, "no answer", desk.deps.clock())
    desk.rig.later(900)
    await desk.login("cs1")
    row = _row(await (await desk.client.get("/dashboard/live")).text())
    assert re.search(r'class="num pending">2<', row) and re.search(r'class="num failing">1<', row)
    assert "20 分" in row and "已超过告警时长" in row and 'class="late"' in row


async def test_a_callback_within_the_alert_time_is_not_marked(desk: Desk) -> None:
    """Five minutes pending: counted, not marked late."""
    await queue_delivered_callback(desk.deps, "H-1")
    desk.rig.later(300)
    await desk.login("cs1")
    row = _row(await (await desk.client.get("/dashboard/live")).text())
    assert re.search(r'class="num pending">1<', row) and "已超过告警时长" not in row
