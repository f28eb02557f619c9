"""The console in a real browser (Debian's Chromium) against the real daemon and both sandboxes."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from bridge.lab.scenario import OrderMaker, fetch_subscribers, place_order
from tests.rig import line
from tests.web.browser.conftest import Live, Screenshot, login

UNKNOWN_CARD = "8371999999995678"


async def _busy_shop(live: Live, orders: int = 24) -> None:
    """A realistic morning: a stream of orders, a fifth of them needing a person."""
    subs = await fetch_subscribers(live.rig.http, live.rig.sb.billing_url)
    maker = OrderMaker(live.deps.runtime.mappings, subs, seed=3)
    for n in range(orders):
        await place_order(live.rig.http, live.rig.sb.market_url, maker.make(n))


async def _settled(live: Live) -> bool:
    counts = await live.deps.store.views.progress()
    busy = sum(counts.get(s, 0) for s in ("RECEIVED", "READY", "SUBMITTED", "UNKNOWN", "APPLIED"))
    return busy == 0 and counts["_trades_due"] == 0 and counts["_memos_pending"] == 0


async def test_cs_finds_an_exception_by_tid_corrects_the_card_and_sees_it_delivered(
    live: Live, page: Page, screenshot: Screenshot
) -> None:
    """The whole CS flow; also takes the README's screenshots of the three main pages."""
    await _busy_shop(live)
    tid = await live.rig.order(line("TV-RC-0100"), message=f"卡号 {UNKNOWN_CARD}", nick="tb_王小明")
    await live.wait_state(tid, "EXCEPTION")
    await live.wait_for(lambda: _settled(live))
    await login(page, live, "cs1")
    await expect(page.locator(".step.urgent")).to_contain_text("个订单在等人处理")
    await screenshot(page, "dashboard")

    await page.click("nav.main >> text=异常队列")
    await expect(page.locator(".queue-list")).to_be_visible()
    await screenshot(page, "exception-queue")
    await page.fill("form.filters input[name=q]", str(tid))
    await page.click("form.filters button[type=submit]")  # one order matches: it opens

    await expect(page.locator(".linehead .badge")).to_have_text("异常")
    await expect(page.locator(".todo .next")).to_contain_text("计费系统查无此卡")
    await screenshot(page, "order")
    card = (await live.rig.cards())[0]
    await page.fill("input[name=card]", card)
    await page.click("text=校验并充值")
    await expect(page.locator(".linehead .badge")).to_have_text("已发货", timeout=20_000)
    assert [op["card_no"] for op in await live.rig.ledger(tid)] == [card]


async def test_cs_cannot_open_the_mapping_editor(live: Live, page: Page) -> None:
    """CS sees the catalogue but the editor answers "admins only"."""
    await login(page, live, "cs1")
    await page.goto(f"{live.url}/mappings")
    await expect(page.locator("text=新增映射")).to_have_count(0)
    response = await page.goto(f"{live.url}/mappings/edit?new=TV-NEW-555")
    assert response is not None and response.status == 403
    await expect(page.locator("h1")).to_have_text("仅限管理员")


async def test_admin_maps_an_unmapped_sku_and_the_parked_orders_deliver(live: Live, page: Page) -> None:
    """From the inbox to a saved mapping; both parked orders then deliver by themselves."""
    cards = await live.rig.cards()
    tids = [await live.rig.order(line("TV-NEW-555", "6.00"), message=cards[i]) for i in (3, 4)]
    for tid in tids:
        await live.wait_state(tid, "EXCEPTION")
    await login(page, live, "admin1")
    await page.click("nav.main >> text=商品映射")
    inbox = page.locator("#inbox tr", has_text="TV-NEW-555")
    await expect(inbox).to_contain_text("2")
    await inbox.locator("text=添加映射").click()
    await page.select_option("select[name=product]", "CH-FYZQ")
    await page.fill("input[name=units]", "3")
    await expect(page.locator("input[name=price]")).to_have_value("6.00")
    await page.click("button[value=preview]")
    await expect(page.locator("text=2 个子订单保存后会自动开通")).to_be_visible()
    await page.click("button[value=save]")
    await expect(page.locator(".flash.done")).to_contain_text("2 个子订单已继续开通")
    for tid in tids:
        await live.wait_state(tid, "DELIVERED")
    await page.goto(f"{live.url}/orders/main/{tids[0]}")
    await expect(page.locator(".linehead .badge")).to_have_text("已发货")


async def test_a_post_without_csrf_token_is_refused(live: Live, page: Page) -> None:
    """A form stripped of its token is refused, and the line is left as it was."""
    tid = await live.rig.order(message="请尽快充值")
    await live.wait_state(tid, "EXCEPTION")
    await login(page, live, "cs1")
    await page.goto(f"{live.url}/orders/main/{tid}")
    await page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    await page.click("button:text('重试')")
    await expect(page.locator("h1")).to_have_text("请求被拒绝")
    [ln] = await live.rig.lines(tid)
    assert ln.state.value == "EXCEPTION"
    assert await live.deps.store.console.audit_entries() == []


async def test_no_page_but_login_opens_without_a_session(live: Live, page: Page) -> None:
    """Every page sends a visitor without a session to the sign-in form."""
    for path in [
        "/",
        "/queue",
        "/orders/main/1",
        "/mappings",
        "/mappings/edit",
        "/mappings/history",
        "/audit",
        "/users",
    ]:
        await page.goto(f"{live.url}{path}")
        assert re.fullmatch(rf"{re.escape(live.url)}/login\?next=.*", page.url), path
        await expect(page.locator("input[name=password]")).to_be_visible()
