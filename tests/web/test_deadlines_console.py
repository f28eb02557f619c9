"""Delivery deadlines in the console: the time left (剩余时间) on queue rows and order pages, the queue in
deadline order, the 临近时限 tab (lines of any state within the margin, most urgent first) and the dashboard's
lines at risk and missed today per storefront; through the real app, on both engines (Taobao's deadline 24 h,
Pinduoduo's 12 h, the margin 2 h: see ``two_desk``)."""

from __future__ import annotations

import re
from datetime import timedelta

from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.services.deadlines import escalate_deadlines
from bridge.store.schema import lines
from tests.web.conftest import TwoDesk
from tests.web.rig import UNKNOWN_CARD

H = timedelta(hours=1)
_LEFT = re.compile(r'<span class="left left-(\w+)"[^>]*>([^<]+)</span>')
_ROW = re.compile(r'<li class="queue-item" data-line="(\d+)">')
_NEAR_TAB = re.compile(r'data-tab="deadline"[^>]*>[^<]*<span class="count">(\d+)</span>')


async def _paid(desk: TwoDesk, ln: LineRecord, ago: timedelta) -> None:
    """Make ``ln`` paid ``ago`` before the bridge's now."""
    async with desk.deps.store.engine.begin() as conn:
        paid = desk.deps.clock() - ago
        await conn.execute(lines.update().where(lines.c.id == ln.id).values(paid_at=paid))


async def _taobao_exception(desk: TwoDesk) -> LineRecord:
    tid = await desk.rig.order(message=f"卡号{UNKNOWN_CARD}")
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    assert ln.state is LineState.EXCEPTION
    return ln


async def _pdd_exception(desk: TwoDesk) -> LineRecord:
    order_sn = await desk.pdd_order(UNKNOWN_CARD)
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(order_sn)
    assert ln.state is LineState.EXCEPTION
    return ln


async def _html(desk: TwoDesk, path: str) -> str:
    answer = await desk.client.get(path)
    assert answer.status == 200
    return await answer.text()


async def test_a_queue_row_shows_the_time_left_to_its_deadline(two_desk: TwoDesk) -> None:
    """A Taobao line paid 20 h 47½ min ago has 3 h 12 min left of its 24 h: the row says so."""
    ln = await _taobao_exception(two_desk)
    await _paid(two_desk, ln, 24 * H - timedelta(hours=3, minutes=12, seconds=30))
    await two_desk.login("cs1")
    assert _LEFT.findall(await _html(two_desk, "/queue?list=1")) == [("on_time", "剩余 3小时12分")]


async def test_a_missed_deadline_shows_how_long_ago(two_desk: TwoDesk) -> None:
    """A Pinduoduo line 25 min past its 12 h deadline reads 已超时 25分, on the queue and its order page."""
    ln = await _pdd_exception(two_desk)
    await _paid(two_desk, ln, 12 * H + timedelta(minutes=25, seconds=30))
    await two_desk.login("cs1")
    assert _LEFT.findall(await _html(two_desk, "/queue?list=1")) == [("missed", "已超时 25分")]
    page = await _html(two_desk, f"/orders/{ln.shop}/{ln.tid}")
    assert "剩余时间" in page and _LEFT.findall(page) == [("missed", "已超时 25分")]


async def test_the_order_page_shows_each_lines_time_left(two_desk: TwoDesk) -> None:
    """The order page's line says its time left (in English too) and when the deadline falls."""
    ln = await _taobao_exception(two_desk)
    await _paid(two_desk, ln, 23 * H + timedelta(seconds=30))
    await two_desk.login("cs1")
    page = await _html(two_desk, f"/orders/main/{ln.tid}")
    assert _LEFT.findall(page) == [("at_risk", "剩余 59分")]
    await two_desk.client.get("/lang/en")
    assert _LEFT.findall(await _html(two_desk, f"/orders/main/{ln.tid}")) == [("at_risk", "59m left")]


async def test_a_delivered_line_shows_no_time_left(two_desk: TwoDesk) -> None:
    """Once delivered, a line has no deadline: its order page shows no 剩余时间."""
    tid = await two_desk.rig.order(message=(await two_desk.rig.cards())[0])
    for _ in range(2):
        await two_desk.rig.cycle()
    [ln] = await two_desk.rig.lines(tid)
    assert ln.state is LineState.DELIVERED
    await two_desk.login("cs1")
    assert "剩余时间" not in await _html(two_desk, f"/orders/main/{tid}")


async def test_the_queue_sorts_by_deadline_across_storefronts(two_desk: TwoDesk) -> None:
    """Paid 10 h ago on Taobao (14 h left) and 1 h ago on Pinduoduo (11 h left): oldest first lists the
    Taobao line first, the deadline order the Pinduoduo one."""
    taobao, pdd = await _taobao_exception(two_desk), await _pdd_exception(two_desk)
    await _paid(two_desk, taobao, 10 * H)
    await _paid(two_desk, pdd, 1 * H)
    await two_desk.login("cs1")
    assert _ROW.findall(await _html(two_desk, "/queue?list=1")) == [str(taobao.id), str(pdd.id)]
    by_due = await _html(two_desk, "/queue?list=1&sort=deadline")
    assert _ROW.findall(by_due) == [str(pdd.id), str(taobao.id)]


async def test_the_near_deadline_tab_lists_lines_in_any_state_most_urgent_first(two_desk: TwoDesk) -> None:
    """临近时限 holds the lines within 2 h of their deadline or past it, an exception or still moving, the
    most urgent first; a line with time to spare and a delivered line stay out."""
    pdd = await _pdd_exception(two_desk)
    spare = await _taobao_exception(two_desk)
    tid = await two_desk.rig.order(message=(await two_desk.rig.cards())[1])
    await two_desk.rig.cycle()
    [delivered] = await two_desk.rig.lines(tid)
    ready = await two_desk.rig.lines(await two_desk.rig.planned())  # planned, not sent yet
    assert [ln.state for ln in ready] == [LineState.READY] and delivered.state is LineState.DELIVERED
    half = timedelta(seconds=30)  # the seconds the test takes are never a whole minute
    await _paid(two_desk, pdd, 11.5 * H - half)  # 30 min left
    await _paid(two_desk, ready[0], 22.5 * H - half)  # 90 min left
    await _paid(two_desk, spare, 1 * H)
    await _paid(two_desk, delivered, 23 * H)
    await two_desk.login("cs1")
    html = await _html(two_desk, "/queue?list=1&tab=deadline")
    assert _ROW.findall(html) == [str(pdd.id), str(ready[0].id)]
    assert _NEAR_TAB.findall(html) == ["2"] and "临近发货时限" in html
    assert [text for _, text in _LEFT.findall(html)] == ["剩余 30分", "剩余 1小时30分"]
    assert _NEAR_TAB.findall(await _html(two_desk, "/queue?list=1")) == ["2"]


async def test_the_near_deadline_tab_keeps_the_storefront_filter(two_desk: TwoDesk) -> None:
    """Under 淘宝 the tab lists only Taobao lines near their deadline."""
    taobao, pdd = await _taobao_exception(two_desk), await _pdd_exception(two_desk)
    await _paid(two_desk, taobao, 23 * H)
    await _paid(two_desk, pdd, 11 * H)
    await two_desk.login("cs1")
    html = await _html(two_desk, "/queue?list=1&tab=deadline&storefront=taobao")
    assert _ROW.findall(html) == [str(taobao.id)]


async def test_the_dashboard_shows_lines_at_risk_and_missed_today_per_storefront(two_desk: TwoDesk) -> None:
    """One Pinduoduo line at risk, one Taobao line missed (recorded by the deadlines job): each storefront's
    row says so, and the dashboard's next steps point at the 临近时限 tab."""
    taobao, pdd = await _taobao_exception(two_desk), await _pdd_exception(two_desk)
    await _paid(two_desk, taobao, 25 * H)
    await _paid(two_desk, pdd, 11 * H)
    assert await escalate_deadlines(two_desk.deps) == (1, 0)
    await two_desk.login("cs1")
    html = await _html(two_desk, "/")
    rows = dict(re.findall(r'<tr data-storefront="(\w+)">(.*?)</tr>', html, re.S))
    cells = {
        sf: tuple(int(n) for n in re.findall(r'class="num [\w-]+">(?:<a [^>]+>)?(\d+)', row))
        for sf, row in rows.items()
    }
    assert cells == {"pinduoduo": (1, 0, 0), "taobao": (0, 1, 1)}
    assert 'href="/queue?tab=deadline&amp;storefront=pinduoduo"' in html
    assert "拼多多：1 个子订单临近发货时限，0 个已超时" in html


async def test_the_near_deadline_tab_offers_no_bulk_action(two_desk: TwoDesk) -> None:
    """Bulk actions act on the exception filter, not on the tab's lines: the tab offers none."""
    ln = await _taobao_exception(two_desk)
    await _paid(two_desk, ln, 23 * H)
    await two_desk.login("cs1")
    assert 'action="/queue/bulk"' in await _html(two_desk, "/queue?list=1")
    assert 'action="/queue/bulk"' not in await _html(two_desk, "/queue?list=1&tab=deadline")
