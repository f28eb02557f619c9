"""The reconciliation page in a real browser (Debian's Chromium) against the running daemon."""

from __future__ import annotations

from datetime import datetime

from playwright.async_api import Page, expect

from bridge.core.models import CST
from bridge.services.reconcile import reconcile_day
from tests.rig import line
from tests.web.browser.conftest import Live, Screenshot, login


async def test_cs_opens_a_disagreement_from_the_reconciliation_and_downloads_the_csv(
    live: Live, page: Page, screenshot: Screenshot
) -> None:
    cards = await live.rig.cards()
    tid = await live.rig.order(line(), message=f"卡号{cards[0]}")
    await live.wait_state(tid, "DELIVERED")
    [ln] = await live.rig.lines(tid)
    live.rig.sb.billing.sandbox.state.forget(ln.operations[0].request_id)  # lost in the billing core
    today = datetime.now(CST).date().isoformat()
    report = await reconcile_day(live.deps, datetime.now(CST).date())
    assert len(report.rows) == 1

    await login(page, live, "cs1")
    await page.goto(f"{live.url}/reconcile")
    runs = page.locator("table.recon-runs tbody tr")
    await expect(runs).to_have_count(1)
    await expect(runs.first).to_contain_text(today)
    await expect(runs.first.locator("td.recon-bad")).to_have_text("1")
    row = page.locator("table.recon-rows tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("本系统记为已开通或已发货，但计费系统没有这笔操作")
    await expect(row).to_contain_text("¥100.00")
    await screenshot(page, "reconciliation")

    async with page.expect_download() as waiting:
        await page.click(f"a[href='/reconcile/{today}.csv']")
    download = await waiting.value
    assert download.suggested_filename == f"reconcile-{today}.csv"
    text = (await download.path()).read_text(encoding="utf-8-sig")
    assert "RECON_DELIVERED_NOT_APPLIED" in text and str(tid) in text

    await row.get_by_role("link", name=str(tid)).click()
    await page.wait_for_url(f"{live.url}/orders/main/{tid}")
    await expect(page.locator(".linehead .badge")).to_have_text("已发货")
