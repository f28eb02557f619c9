"""What the pages show: the queue's order, filters and search, the order page's masking."""

from __future__ import annotations

import re
from datetime import timedelta

from bridge.core.records import QueueFilter
from bridge.store.schema import lines
from tests.rig import line
from tests.web.conftest import Desk


async def _queue_tids(desk: Desk, query: str) -> list[str]:
    resp = await desk.client.get(f"/queue?{query}")
    assert resp.status == 200
    return re.findall(r'<a href="/orders/main/([A-Za-z0-9._-]+)">', await resp.text())


async def _three_exceptions(desk: Desk) -> list[str]:
    """An unknown card, a missing card and an unmapped SKU, placed in this order."""
    tids = [
        await desk.rig.order(message="卡号8371999999994321", nick="张三的店"),
        await desk.rig.order(message="请尽快充值", nick="lisi_88"),
        await desk.rig.order(line("TV-NEW-777", "5.00"), message="8371999999990000", nick="wangwu"),
    ]
    await desk.rig.cycle()
    return tids


async def test_queue_lists_exceptions_oldest_first(desk: Desk) -> None:
    """The line that has waited longest comes first."""
    tids = await _three_exceptions(desk)
    [oldest] = await desk.rig.lines(tids[2])
    async with desk.deps.store.engine.begin() as conn:
        earlier = desk.deps.clock() - timedelta(hours=2)
        await conn.execute(lines.update().where(lines.c.id == oldest.id).values(paid_at=earlier))
    await desk.login("cs1")
    assert (await _queue_tids(desk, ""))[0] == tids[2]


async def test_queue_filters_by_reason(desk: Desk) -> None:
    """Choosing a reason shows only the lines waiting for that reason."""
    tids = await _three_exceptions(desk)
    await desk.login("cs1")
    assert await _queue_tids(desk, "reason=CARD_MISSING") == [tids[1]]


async def test_search_finds_by_tid_nickname_and_cards_last_four(desk: Desk) -> None:
    """CS finds the order the buyer on the phone names, however they name it (the queue lists it)."""
    tids = await _three_exceptions(desk)
    await desk.login("cs1")
    assert await _queue_tids(desk, f"list=1&q={tids[2]}") == [tids[2]]
    assert await _queue_tids(desk, "list=1&q=lisi") == [tids[1]]
    assert await _queue_tids(desk, "list=1&q=4321") == [tids[0]]


async def test_search_text_is_only_ever_data(desk: Desk) -> None:
    """Quotes, wildcards and SQL in the search box match nothing and break nothing."""
    await _three_exceptions(desk)
    await desk.login("cs1")
    for hostile in ["' OR '1'='1", "%", "1; DROP TABLE lines; --", "\\", "9" * 40]:
        rows, total = await desk.deps.store.queue.queue(QueueFilter(q=hostile))
        assert (rows, total) == ([], 0)
    assert (await desk.client.get("/orders/main/" + "9" * 40)).status == 404
    _, underscore = await desk.deps.store.queue.queue(QueueFilter(q="_"))
    assert underscore == 1  # "lisi_88" only: "_" is a character, not a wildcard
    assert len(await _queue_tids(desk, "")) == 3


async def test_each_queue_row_says_what_went_wrong_and_what_was_bought(desk: Desk) -> None:
    """Reason in short Chinese, the product, the amount and the masked card (the advice: order page)."""
    await _three_exceptions(desk)
    await desk.login("cs1")
    html = await (await desk.client.get("/queue?reason=SUBSCRIBER_NOT_FOUND")).text()
    assert "查无此卡" in html and "数字电视缴费" in html and "¥100.00" in html
    assert "智能卡号不存在" not in html
    assert "****4321" in html and "8371999999994321" not in html


async def test_order_page_masks_every_card_number(desk: Desk) -> None:
    """Lines, buyer message and timeline show only the last 4 digits."""
    card = (await desk.rig.cards())[0]
    tid = await desk.rig.order(message=f"卡号{card}")
    await desk.rig.cycle()
    await desk.login("cs1")
    html = await (await desk.client.get(f"/orders/main/{tid}")).text()
    assert card not in html and card[-4:] in html
    assert "已发货" in html


async def test_order_page_never_shows_a_pin(desk: Desk) -> None:
    """Card delivery issues PINs: they stay out of the page."""
    tid = await desk.rig.order(line("TV-CARD-0100", "100.00"), message=None)
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    pins = [c["pin"] for op in ln.operations for c in (op.result or {}).get("cards", [])]
    await desk.login("cs1")
    html = await (await desk.client.get(f"/orders/main/{tid}")).text()
    assert pins and all(pin not in html for pin in pins)


async def test_english_switch_changes_the_words(desk: Desk) -> None:
    """/lang/en remembers English; the queue then speaks English."""
    await desk.login("cs1")
    await desk.client.get("/lang/en?next=/queue")
    html = await (await desk.client.get("/queue")).text()
    assert "Exception queue" in html and "异常队列" not in html


async def test_dashboard_tells_cs_what_to_do_next(desk: Desk) -> None:
    """With exceptions waiting, the dashboard points to the queue."""
    await _three_exceptions(desk)
    await desk.login("cs1")
    html = await (await desk.client.get("/dashboard/live")).text()
    assert "有 3 个订单在等人处理" in html and 'href="/queue"' in html


async def test_dashboard_shows_which_instance_polls_each_shop(desk: Desk) -> None:
    """The poll panel names the instance holding the shop's poller lease and when the lease ends."""
    await desk.rig.cycle()
    [cursor] = await desk.deps.store.views.cursor_rows()
    await desk.login("cs1")
    html = await (await desk.client.get("/dashboard/live")).text()
    assert f"拉单实例：{desk.deps.owner}，租约至" in html and cursor["poller"] == desk.deps.owner
