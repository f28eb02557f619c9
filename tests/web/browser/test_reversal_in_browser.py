"""A reversal after delivery in a real browser (Debian's Chromium) against the running daemon:
CS clicks "申请冲正" twice while the billing core loses the reversal's answer."""

from __future__ import annotations

from playwright.async_api import Dialog, Page, expect

from tests.rig import line
from tests.web.browser.conftest import Live, Screenshot, login


async def test_reverse_clicked_twice_with_the_answer_lost_reverses_once(
    live: Live, page: Page, screenshot: Screenshot
) -> None:
    rig = live.rig
    card = (await rig.cards())[5]
    tid = await rig.order(line("TV-RC-0100"), message=f"卡号 {card}", nick="tb_李雷")
    await live.wait_state(tid, "DELIVERED")
    oid = int((await rig.market_trade(tid))["lines"][0]["oid"])
    await rig.refund(tid, oid, "success")
    await live.wait_state(tid, "REVERSAL_PENDING", timeout_s=40)
    rig.sb.billing.sandbox.set_knobs(lose_reversal_answer_rate=1.0)

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)
    await login(page, live, "cs1")
    await page.goto(f"{live.url}/orders/main/{tid}")
    await expect(page.locator(".linehead .badge")).to_have_text("待冲正")
    stale = await page.context.new_page()  # the same order open in a second tab, not reloaded
    stale.on("dialog", accept)
    await stale.goto(f"{live.url}/orders/main/{tid}")
    button = page.locator(".reversal button[name=reverse]")
    await expect(button).to_be_visible()
    await button.dblclick()
    await expect(page.locator(".linehead .badge")).to_have_text("已冲正", timeout=20_000)
    await screenshot(page, "reversal-done")
    await stale.locator(".reversal button[name=reverse]").click()  # clicked again from the old page
    await expect(stale.locator(".flash.unchanged")).to_contain_text("无需重复操作")

    [op] = await rig.ledger(tid)
    assert (op["status"], op["reversals"]) == ("reversed", 1)
    stats = await rig.get(f"{rig.sb.billing_url}/sandbox/stats")
    assert stats["lost_reversal_answers"] >= 1
    assert list(stats["reversals"]["by_request_id"].values()) == [1]
    audit = await live.deps.store.console.audit_entries(tid=tid, action="reversal_request")
    outcomes = sorted(a.outcome for a in audit)  # every submit after the first did nothing
    assert outcomes[0] == "done" and set(outcomes[1:]) == {"unchanged"}

    async def memo_green() -> bool:
        trade = await rig.market_trade(tid)
        return "已退款冲正" in (trade["memo"] or "") and trade["flag"] == 3

    await live.wait_for(memo_green)
    await page.reload()
    await expect(page.locator(".timeline")).to_contain_text("冲正完成")
