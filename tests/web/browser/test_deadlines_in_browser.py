"""The delivery deadline's escalation in Chromium against the running daemon (both storefronts): a
Pinduoduo line near its deadline is in the 临近时限 tab with its time left and its storefront's badge,
and the dashboard counts it at risk under 拼多多."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Page, expect

from bridge.store.schema import lines
from tests.web.browser.conftest import LiveTwo, Screenshot, login
from tests.web.rig import UNKNOWN_CARD


async def _pdd_exception(live: LiveTwo) -> str:
    """A paid Pinduoduo order whose card no subscriber has: its order_sn, once its line is in EXCEPTION."""
    item = {"outer_id": "TV-RC-0100", "goods_name": "100元充值卡", "price": "100.00"}
    body = {"items": [item], "recharge_account": UNKNOWN_CARD}
    async with live.rig.http.post(f"{live.pdd.url}/sandbox/orders", json=body) as answer:
        assert answer.status == 200, await answer.text()
        order_sn = str((await answer.json())["order_sn"])
    await live.wait_state(order_sn, "EXCEPTION")
    return order_sn


async def test_a_line_near_its_deadline_is_escalated_in_its_tab_and_on_the_dashboard(
    live_two: LiveTwo, page: Page, screenshot: Screenshot
) -> None:
    """Paid 11 h ago on Pinduoduo (12 h deadline, 2 h margin): under an hour left, so 临近时限 lists it with
    剩余 5x分 and 拼多多, and the dashboard's 拼多多 row counts 1 at risk."""
    order_sn = await _pdd_exception(live_two)
    [ln] = await live_two.rig.lines(order_sn)
    async with live_two.deps.store.engine.begin() as conn:
        paid = live_two.deps.clock() - timedelta(hours=11, seconds=30)
        await conn.execute(lines.update().where(lines.c.id == ln.id).values(paid_at=paid))
    await login(page, live_two, "cs1")

    await page.goto(f"{live_two.url}/queue")
    await expect(page.locator(".reason-tabs [data-tab=deadline] .count")).to_have_text("1")
    await page.click(".reason-tabs [data-tab=deadline]")
    await expect(page.locator("h1")).to_have_text("临近发货时限")
    row = page.locator(".queue-item")
    await expect(row).to_have_count(1)
    await expect(row.locator("a").first).to_have_text(order_sn)
    await expect(row.locator(".left.left-at_risk")).to_have_text(re.compile(r"^剩余 5\d分$"))
    await expect(row.locator(".badge.storefront")).to_have_text("拼多多")
    await screenshot(page, "queue-near-deadline")

    await page.goto(f"{live_two.url}/")
    at_risk = page.locator("#deadlines tr[data-storefront=pinduoduo] .at-risk")
    await expect(at_risk).to_have_text("1", timeout=15_000)
    await expect(page.locator("#deadlines tr[data-storefront=taobao] .at-risk")).to_have_text("0")
    await expect(page.locator("[data-deadline-step=pinduoduo]")).to_contain_text("拼多多")
    await screenshot(page, "dashboard-deadlines")
