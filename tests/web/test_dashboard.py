"""What the dashboard's figures say, read over HTTP from the real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

from bridge.core.trends import hour_index
from bridge.services.push import push_all
from bridge.store.schema import trades
from tests.rig import line
from tests.web.conftest import Desk


async def _body(desk: Desk) -> str:
    resp = await desk.client.get("/dashboard/live")
    assert resp.status == 200
    return await resp.text()


def _bars(html: str, chart_id: str) -> list[tuple[str, int]]:
    """The chart's bars as (class, value), in drawing order."""
    svg = re.search(rf'<svg class="chart [^"]*" id="{chart_id}".*?</svg>', html, re.S)
    assert svg, f"{chart_id} is missing"
    return [
        (c, int(v))
        for c, v in re.findall(r'<rect class="(?:bar|col) ?([^"]*)"[^>]*data-value="(\d+)"', svg[0])
    ]


async def _delivered_order(desk: Desk) -> int:
    card = (await desk.rig.cards())[0]
    tid = await desk.rig.order(line(), line("TV-RC-0100", "100.00"), message=f"卡号 {card}")
    for _ in range(3):
        await desk.rig.cycle()
    assert {ln.state.value for ln in await desk.rig.lines(tid)} == {"DELIVERED"}
    return tid


async def test_waiting_work_is_counted_in_orders_and_their_lines(desk: Desk) -> None:
    """Two unmapped lines in one order and a line without a card: 2 orders, 3 lines."""
    await desk.rig.order(line("TV-NEW-1", "5.00"), line("TV-NEW-2", "5.00"), message="8371999999990000")
    await desk.rig.order(message="请尽快充值")
    await desk.rig.cycle()
    await desk.login("cs1")
    html = await _body(desk)
    assert "有 2 个订单在等人处理（3 个子订单）" in html
    await desk.client.get("/lang/en?next=/")
    assert "2 orders are waiting for a person (3 lines)" in await _body(desk)


async def test_exceptions_by_reason_are_bars_with_short_labels_leading_to_the_queue(desk: Desk) -> None:
    await desk.rig.order(line("TV-NEW-1", "5.00"), line("TV-NEW-2", "5.00"), message="8371999999990000")
    await desk.rig.order(message="请尽快充值")
    await desk.rig.cycle()
    await desk.login("cs1")
    html = await _body(desk)
    assert _bars(html, "chart-reasons") == [("", 2), ("", 1)]
    chart = html[html.index('id="chart-reasons"') : html.index("</svg>", html.index('id="chart-reasons"'))]
    assert chart.index("未映射") < chart.index("无卡号")
    assert '<a href="/queue?reason=UNMAPPED_SKU">' in chart and "<title" in chart and "<desc" in chart


async def test_today_delivered_counts_orders_and_the_day_chart_shows_the_hour(desk: Desk) -> None:
    """One order of two lines delivered: 1 order today; received and delivered in the current hour."""
    await _delivered_order(desk)
    await desk.login("cs1")
    html = await _body(desk)
    assert re.search(r'id="delivered-today">1<', html)
    bars = _bars(html, "chart-hours")
    assert len(bars) == 24 * 3
    by_series = {name: [v for c, v in bars if c == name] for name in ("incoming", "delivered", "exceptions")}
    assert by_series["incoming"][-1] == by_series["delivered"][-1] == 1 or by_series["incoming"][-2] == 1
    assert [sum(v) for v in by_series.values()] == [1, 1, 0]
    table = html[html.index('id="trend"') :]
    assert re.search(r"<td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td>", table)


async def test_each_order_is_counted_in_the_hour_it_happened(desk: Desk) -> None:
    """Received 5 h 10 min before it was delivered: two different bars, the day's first hour left out."""
    tid = await _delivered_order(desk)
    now = desk.deps.clock()
    async with desk.deps.store.engine.begin() as conn:
        await conn.execute(
            trades.update().where(trades.c.tid == tid).values(created_at=now - timedelta(minutes=310))
        )
    await desk.login("cs1")
    bars = _bars(await _body(desk), "chart-hours")
    incoming = [v for c, v in bars if c == "incoming"]
    back = hour_index(now) - hour_index(now - timedelta(minutes=310))  # 5 or 6 whole hours back
    assert incoming[-1 - back] == 1 and sum(incoming) == 1
    assert sum(v for c, v in bars if c == "delivered") == 1
    async with desk.deps.store.engine.begin() as conn:
        await conn.execute(
            trades.update().where(trades.c.tid == tid).values(created_at=now - timedelta(hours=24))
        )
    bars = _bars(await _body(desk), "chart-hours")
    assert sum(v for c, v in bars if c == "incoming") == 0


async def test_payment_to_delivery_times_of_the_last_hour(desk: Desk) -> None:
    """Shown as median / 95th percentile once lines are delivered; a dash before, and an hour later."""
    await desk.login("cs1")
    html = await _body(desk)
    latency = html[html.index('id="latency"') : html.index("</div>", html.index('id="latency"'))]
    assert '<span class="p50" title="中位数">—</span>' in latency and "近 1 小时没有发货" in latency
    await _delivered_order(desk)
    html = await _body(desk)
    latency = html[html.index('id="latency"') : html.index("</div>", html.index('id="latency"'))]
    assert re.search(r'<span class="p50" title="中位数">\d+ 秒</span>', latency), latency
    assert "近 1 小时发货 2 个子订单" in latency
    desk.rig.later(3700)
    assert "近 1 小时没有发货" in await _body(desk)


async def test_watermark_age_per_shop_is_flagged_over_the_alert_line(desk: Desk) -> None:
    await desk.rig.cycle()
    await desk.login("cs1")
    html = await _body(desk)
    poll = html[html.index('<tr class="poll" data-shop="main">') :]
    assert re.search(r'<span class="wm-age">落后 \d+ (秒|分 \d+ 秒)</span>', poll)
    assert "超过告警线" not in poll
    desk.rig.later(desk.deps.settings.alerts.watermark_age_s + 60)
    poll = (await _body(desk)).split('<tr class="poll" data-shop="main">')[1]
    assert "超过告警线（30 分 0 秒）" in poll and 'class="small watermark err"' in poll


async def test_the_billing_core_and_push_are_in_the_health_panel(desk: Desk) -> None:
    await desk.login("cs1")
    html = await _body(desk)
    health = html[html.index('id="health"') :]
    assert "计费系统" in health and "正常" in health
    assert "消息推送" in health and ("已开启" in health or "未开启" in health)
    desk.deps.runtime.breaker.open(desk.deps.clock().replace(year=2999), "closed for maintenance")
    health = (await _body(desk)).split('id="health"')[1]
    assert '<span class="badge bad">暂停</span>' in health


async def test_the_billing_core_s_last_call_is_shown_with_its_outcome_and_time(desk: Desk) -> None:
    await desk.login("cs1")
    assert "本实例启动后还没有调用计费系统" in await _body(desk)
    await _delivered_order(desk)
    last = desk.deps.runtime.last_billing_call
    assert last is not None and last.outcome == "ok"
    html = await _body(desk)
    assert re.search(rf'id="billing-last">本实例最近一次调用：{last.operation}，成功，耗时 \d+ 毫秒（', html)
    desk.rig.sb.billing.sandbox.set_knobs(error_rate=1.0)
    await desk.rig.order(message=f"卡号 {(await desk.rig.cards())[5]}")
    await desk.rig.cycle()
    html = await _body(desk)
    assert re.search(
        r'<div class="small err" id="billing-last">本实例最近一次调用：\w+，(暂时失败|不可用)，', html
    ), html


async def test_push_health_shows_this_instance_s_last_consume(desk: Desk) -> None:
    await desk.login("cs1")
    assert '<div class="muted" id="push-last">本实例还没有取过消息</div>' in await _body(desk)
    await desk.rig.order(message="请尽快充值")
    await push_all(desk.deps)
    last = desk.deps.runtime.last_consume
    assert last is not None and last.outcome == "ok" and last.items == 0  # the last round found none
    assert re.search(
        r'id="push-last">本实例最近一次取消息：[\d: -]+，取到 0 条，成功</div>', await _body(desk)
    )
