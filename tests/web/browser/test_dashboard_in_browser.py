"""The dashboard in a real browser: charts drawn from the store, nothing fetched from elsewhere."""

from __future__ import annotations

import re

from playwright.async_api import Page, Request, expect

from tests.rig import line
from tests.web.browser.conftest import Live, Screenshot, login

DURATION = re.compile(r"^\d+ (秒|分 \d+ 秒)$")


async def _a_morning(live: Live) -> None:
    """Three orders delivered (one of two lines), two unmapped lines in one order, one without a card."""
    cards = await live.rig.cards()
    good = [
        await live.rig.order(line(), message=f"卡号 {cards[0]}"),
        await live.rig.order(line(), line("TV-RC-0100", "100.00"), message=f"卡号 {cards[1]}"),
        await live.rig.order(line(), message=cards[2]),
    ]
    waiting = [
        await live.rig.order(line("TV-NEW-901", "5.00"), line("TV-NEW-902", "8.00"), message=cards[3]),
        await live.rig.order(message="请尽快充值"),
    ]
    for tid in good:
        await live.wait_state(tid, "DELIVERED")
    for tid in waiting:
        await live.wait_state(tid, "EXCEPTION")
    # the dashboard serves the latest snapshot while a reading is under way: one read after the morning
    # (the first call may join a reading begun before it; the second begins its own)
    for _ in range(2):
        await live.deps.runtime.figures.refresh(live.deps)


async def _values(page: Page, selector: str) -> list[int]:
    return [int(v) for v in await page.locator(selector).evaluate_all("rs => rs.map(r => r.dataset.value)")]


async def test_the_dashboard_draws_its_charts_and_times_from_the_store(
    live: Live, page: Page, screenshot: Screenshot
) -> None:
    await _a_morning(live)
    requested: list[str] = []

    def note(request: Request) -> None:
        requested.append(request.url)

    page.on("request", note)
    await login(page, live, "cs1")
    await expect(page.locator(".step.urgent")).to_contain_text("有 2 个订单在等人处理（3 个子订单）")

    reasons = page.locator("svg#chart-reasons")
    await expect(reasons).to_be_visible()
    assert await _values(page, "svg#chart-reasons rect.bar") == [2, 1]
    await expect(reasons.locator("text.label")).to_have_text(["未映射", "无卡号"])
    await expect(reasons.locator("title").first).to_have_text("异常原因")

    hours = page.locator("svg#chart-hours")
    await expect(hours).to_be_visible()
    assert len(await _values(page, "svg#chart-hours rect.col")) == 72
    assert sum(await _values(page, "svg#chart-hours rect.col.incoming")) == 5
    assert sum(await _values(page, "svg#chart-hours rect.col.delivered")) == 3
    assert sum(await _values(page, "svg#chart-hours rect.col.exceptions")) == 3
    tall = await hours.locator("rect.col.incoming").evaluate_all(
        "rs => rs.filter(r => r.getBoundingClientRect().height > 0).length"
    )
    assert tall >= 1  # the bars are drawn, not only listed

    await expect(page.locator("#delivered-today")).to_have_text("3")
    await expect(page.locator("#latency .p50")).to_have_text(DURATION)
    await expect(page.locator("#latency .p95")).to_have_text(DURATION)
    await expect(page.locator("#latency")).to_contain_text("近 1 小时发货 4 个子订单")
    await expect(page.locator('tr.poll[data-shop="main"] .wm-age')).to_have_text(
        re.compile(r"^落后 \d+ (秒|分 \d+ 秒)$")
    )

    await screenshot(page, "dashboard")
    await page.locator("#trend details.figures summary").click()
    await expect(page.locator("#trend details.figures table tbody tr")).to_have_count(24)

    await page.wait_for_timeout(11_000)  # one live refresh: the charts are redrawn in place
    assert await _values(page, "svg#chart-reasons rect.bar") == [2, 1]
    assert requested and all(url.startswith(live.url + "/") for url in requested), [
        url for url in requested if not url.startswith(live.url + "/")
    ]
    assert any(url.endswith("/dashboard/live") for url in requested)
