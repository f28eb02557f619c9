"""A trade the bridge could not read, as CS sees it: above the exception queue and by its tid."""

from __future__ import annotations

from tests.web.conftest import Desk

_TID = "4797493193185844"


async def _unreadable(desk: Desk) -> None:
    await desk.deps.store.intake.record_intake_failure(
        "main", _TID, error="MARKETPLACE_DATA_INVALID: field payment", actor="test", now=desk.deps.clock()
    )


async def test_the_queue_lists_an_unreadable_trade_with_its_reason(desk: Desk) -> None:
    """The queue shows the trade as 无法读取的订单 with the raw reason and a link to its page."""
    await _unreadable(desk)
    await desk.login("cs1")
    html = await (await desk.client.get("/queue?list=1")).text()
    assert "无法读取的订单" in html
    assert "field payment" in html
    assert f'href="/orders/main/{_TID}"' in html


async def test_a_search_by_tid_opens_the_unreadable_trade(desk: Desk) -> None:
    """Searching its tid opens its order page (no 404), which says it could not be read."""
    await _unreadable(desk)
    await desk.login("cs1")
    resp = await desk.client.get(f"/queue?q={_TID}")
    assert resp.status == 200
    assert str(resp.url).endswith(f"/orders/main/{_TID}")
    html = await resp.text()
    assert "无法读取的订单" in html
    assert "读取订单失败" in html
