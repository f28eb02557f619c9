"""The exception queue in Chromium against the running daemon: a bulk retry of a filter with its
confirmation and outcome, the list following a line handled in another browser, phone cards."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.rig import line
from tests.web.browser.conftest import Live, Screenshot, login

UNKNOWN_CARD = "8371999999995678"


async def _exceptions(live: Live, messages: list[str]) -> list[int]:
    tids = [
        await live.rig.order(line("TV-RC-0100"), message=m, nick=f"买家{n}") for n, m in enumerate(messages)
    ]
    for tid in tids:
        await live.wait_state(tid, "EXCEPTION")
    return tids


async def test_bulk_retry_of_a_reason_tab_is_confirmed_and_reports_the_settled_outcome(
    live: Live, page: Page, screenshot: Screenshot
) -> None:
    """已停机 ×2 (the accounts reopened at the hall since) and 查无此卡 ×1: retry the tab's two."""
    suspended = (await live.rig.cards(status="suspended"))[:2]
    tids = await _exceptions(live, [f"卡号{c}" for c in suspended] + [f"卡号{UNKNOWN_CARD}"])
    for card in suspended:
        live.rig.sb.billing.sandbox.state.accounts[card].status = "active"
    await login(page, live, "cs1")
    await page.goto(f"{live.url}/queue")
    await expect(page.locator(".reason-tabs .tab.on")).to_contain_text("全部 3")
    await page.click(".reason-tabs >> text=已停机")
    await expect(page.locator(".queue-item")).to_have_count(2)
    await page.click("button:text('重试全部 2 条')")
    await expect(page.locator(".batch-confirm h2")).to_have_text("确认重试这 2 条？")
    await expect(page.locator(".batch-filter")).to_contain_text("已停机")
    await screenshot(page, "queue-bulk-confirm")
    await page.fill(".batch-confirm input[name=note]", "营业厅已复机")
    await page.click(".batch-confirm button[type=submit]")
    await expect(page.locator(".batch-result")).to_have_text(
        "2 条已开通，0 条又转人工，0 条已不在队列", timeout=30_000
    )
    await expect(page.locator(".batch-outcome")).to_contain_text("已全部结束", timeout=30_000)
    await screenshot(page, "queue-bulk-outcome")
    for tid in tids[:2]:
        assert len(await live.rig.ledger(tid)) == 1
    [unknown] = await live.rig.lines(tids[2])
    assert unknown.state.value == "EXCEPTION"


async def test_a_line_resolved_in_another_browser_leaves_the_list_with_a_notice(
    live: Live, page: Page, browser: Browser
) -> None:
    """The queue open in one browser; another resolves a line: it leaves, a new one comes, each noticed."""
    tids = await _exceptions(live, [f"卡号{UNKNOWN_CARD}", f"卡号{UNKNOWN_CARD}"])
    await login(page, live, "cs1")
    await page.goto(f"{live.url}/queue")
    await expect(page.locator(".queue-item")).to_have_count(2)

    other = await browser.new_context(locale="zh-CN")
    try:
        colleague = await other.new_page()
        await login(colleague, live, "cs2")
        await colleague.goto(f"{live.url}/orders/main/{tids[0]}")
        colleague.on("dialog", lambda d: d.accept())
        await colleague.click("details.more:has(form[action$='/resolve']) summary")
        await colleague.fill("form[action$='/resolve'] input[name=note]", "营业厅已办理")
        await colleague.click("form[action$='/resolve'] button[type=submit]")
        await live.wait_state(tids[0], "RESOLVED")
    finally:
        await other.close()

    await expect(page.locator(".queue-notice")).to_have_text("1 条已被处理", timeout=15_000)
    await expect(page.locator(".queue-item")).to_have_count(1)
    await expect(page.locator(".queue-item a").first).to_have_text(str(tids[1]))

    [late] = await _exceptions(live, ["请尽快充值"])  # a new exception arrives: it appears too
    await expect(page.locator(".queue-notice")).to_have_text("1 条新异常", timeout=15_000)
    await expect(page.locator(f".queue-item a:text('{late}')")).to_be_visible()
    await expect(page.locator(".reason-tabs .tab.on")).to_contain_text("全部 2")


async def _fits(page: Page, width: int) -> None:
    assert await page.evaluate("document.querySelector('main').scrollWidth") <= width
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, (page.url, wide, width)


async def test_on_a_phone_the_queue_is_cards_and_never_scrolls_sideways(
    live: Live, browser: Browser, screenshot: Screenshot
) -> None:
    """360×740 and 390×844: each row a card, nothing wider than the screen (queue and confirmation)."""
    await _exceptions(live, [f"卡号{UNKNOWN_CARD}", "请尽快充值，谢谢！这是一段很长很长的买家留言" * 3])
    for width, height in ((360, 740), (390, 844)):
        context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        try:
            page = await context.new_page()
            await login(page, live, "cs1")
            await page.goto(f"{live.url}/queue")
            await expect(page.locator(".queue-item")).to_have_count(2)
            box = await page.locator(".queue-item").first.bounding_box()
            assert box is not None and box["width"] <= width
            assert (
                await page.evaluate("getComputedStyle(document.querySelector('.queue-item')).borderRadius")
                != "0px"
            )
            await _fits(page, width)
            await screenshot(page, f"queue-phone-{width}")
            await page.click("button:text('重试全部 2 条')")
            await expect(page.locator(".batch-confirm h2")).to_have_text("确认重试这 2 条？")
            await _fits(page, width)
        finally:
            await context.close()
