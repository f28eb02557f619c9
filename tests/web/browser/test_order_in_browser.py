"""The order page in Chromium against the running daemon: card correction, signing in, timeline, phone."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from bridge.services.accounts import session_digest
from bridge.web.auth import SESSION_COOKIE
from tests.rig import line
from tests.web.browser.conftest import Live, login

UNKNOWN_CARD = "8371999999995678"


async def _exception_order(live: Live, page: Page) -> int:
    """An order whose card the billing core does not know, open in the page as cs1."""
    tid = await live.rig.order(line("TV-RC-0100"), message=f"卡号 {UNKNOWN_CARD}")
    await live.wait_state(tid, "EXCEPTION")
    await login(page, live, "cs1")
    await page.goto(f"{live.url}/orders/main/{tid}")
    return tid


async def _audit_count(live: Live, tid: str) -> int:
    return len(await live.deps.store.console.audit_entries(tid=tid, limit=100))


_HOLD_SUBMITS = """() => document.querySelector('form.cardfix').addEventListener('submit', ev => {
    if (!ev.defaultPrevented) { window.heldSubmits = (window.heldSubmits || 0) + 1; }
    ev.preventDefault();
})"""
"""Counts the submits the page's own check let through, and holds them (the server never sees them)."""


async def test_a_wrong_card_stays_in_the_field_then_the_right_one_delivers(live: Live, page: Page) -> None:
    """Error at the field with the number kept; the right number delivers; no stale notice after."""
    tid = await _exception_order(live, page)
    await expect(page.locator("#order-summary")).to_have_text("1 条子订单需要人工处理")
    card = page.locator("input[name=card]")
    await card.fill("8371 0000 0000 0001")
    button = page.locator("form.cardfix button[type=submit]")
    await page.evaluate(_HOLD_SUBMITS)
    await button.click()
    await expect(button).to_be_disabled()
    await expect(button).to_have_text("正在校验……")
    await button.click(force=True)  # a second click while working sends nothing more
    assert await page.evaluate("window.heldSubmits") == 1
    await page.reload()
    await card.fill("8371 0000 0000 0001")
    await button.click()
    error = page.locator(".field-error[role=alert]")
    await expect(error).to_contain_text("计费系统查无此卡号")
    await expect(card).to_have_value("8371 0000 0000 0001")
    assert await card.get_attribute("aria-describedby") == await error.get_attribute("id")
    await expect(page.locator(".flash")).to_have_count(0)

    right = (await live.rig.cards())[0]
    await card.fill(right)
    await page.click("text=校验并充值")
    await expect(page.locator(".linehead .badge")).to_have_text("已发货", timeout=20_000)
    await expect(page.locator("#order-summary")).to_have_text("已发货")
    await expect(page.locator(".flash")).to_have_count(0)
    await expect(page.locator("[data-reload-every]")).to_have_count(0)
    assert [op["card_no"] for op in await live.rig.ledger(tid)] == [right]


async def test_an_empty_or_short_number_is_stopped_in_the_page_in_chinese(live: Live, page: Page) -> None:
    """No English bubble and nothing sent: the page's own check, in Chinese, at the field."""
    tid = await _exception_order(live, page)
    before = await _audit_count(live, tid)
    error = page.locator(".field-error[role=alert]")
    await page.click("text=校验并充值")
    await expect(error).to_have_text("请填写智能卡号。")
    await page.fill("input[name=card]", "8371 0000")
    await page.click("text=校验并充值")
    await expect(error).to_have_text("卡号应为 16 位数字，请核对后重新输入。")
    await expect(page.locator("input[name=card]")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("input[name=card]")).to_have_value("8371 0000")
    assert page.url == f"{live.url}/orders/main/{tid}" and await _audit_count(live, tid) == before
    await page.fill("input[name=card]", "8371 0000 0000 000")  # typing clears the old message
    await expect(error).to_have_text("")
    # full-width digits and hyphens read as the server reads them: let through to the billing core
    await page.fill("input[name=card]", "８３７１－００００－００００－０００１")
    await page.click("text=校验并充值")
    await expect(error).to_contain_text("计费系统查无此卡号")


async def test_after_the_session_ran_out_signing_in_brings_the_number_back(live: Live, page: Page) -> None:
    """Submit with an expired session → sign in → the same order with the number still typed."""
    tid = await _exception_order(live, page)
    card = (await live.rig.cards())[1]
    [session] = [c for c in await page.context.cookies() if c.get("name") == SESSION_COOKIE]
    await live.deps.store.accounts.end_session(session_digest(session.get("value", "")))
    await page.fill("input[name=card]", card)
    await page.click("text=校验并充值")
    await page.wait_for_url(re.compile(r"/login\?next="))
    assert card not in page.url
    await expect(page.locator(".login .flash")).to_contain_text("刚才填写的卡号已为您保留")
    await page.fill("input[name=name]", "cs1")
    await page.fill("input[name=password]", "correct-horse-1")
    await page.click("button[type=submit].primary")
    await page.wait_for_url(re.compile(rf"/orders/main/{tid}\?draft="))
    await expect(page.locator("input[name=card]")).to_have_value(card)
    await page.click("text=校验并充值")
    await expect(page.locator(".linehead .badge")).to_have_text("已发货", timeout=20_000)


async def test_the_timeline_reads_in_chinese_with_yuan_and_a_details_toggle(live: Live, page: Page) -> None:
    """Event names, labels and 元 in plain view; request ids and payloads only behind the toggle."""
    tid = await _exception_order(live, page)
    timeline = page.locator("table.timeline")
    await expect(timeline).to_contain_text("收到订单")
    await expect(timeline).to_contain_text("实付")
    await expect(timeline).to_contain_text("¥100.00")
    await expect(timeline).to_contain_text("系统")
    visible = await timeline.inner_text()
    assert "payment_fen" not in visible and "request_id" not in visible and live.deps.owner not in visible
    toggle = timeline.locator("details.tech").first
    await expect(toggle.locator("dl")).to_be_hidden()
    await toggle.locator("summary").click()
    await expect(toggle.locator("dl")).to_be_visible()
    await expect(toggle.locator("dl")).to_contain_text(f"main:{tid}:")  # the request ids


_WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map(el => el.tagName + '.' + el.className).slice(0, 5)"""
"""Elements of the page reaching past the screen's right edge, the top bar included."""


async def test_on_a_phone_the_order_page_never_scrolls_sideways(live: Live, browser: Browser) -> None:
    """360×740 and 390×844: the order page fits; its tables stack."""
    tid = await live.rig.order(line("TV-RC-0100"), message=f"卡号 {UNKNOWN_CARD}")
    await live.wait_state(tid, "EXCEPTION")
    for width, height in ((360, 740), (390, 844)):
        context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        try:
            phone = await context.new_page()
            await login(phone, live, "cs1")
            await phone.goto(f"{live.url}/orders/main/{tid}")
            await expect(phone.locator("input[name=card]")).to_be_visible()
            wide = await phone.evaluate(_WIDER_THAN_THE_SCREEN)
            assert wide == [], (width, wide)
            scroll = await phone.evaluate("document.querySelector('main').scrollWidth")
            assert scroll <= width, (width, scroll)
            heads = phone.locator("table.timeline thead")
            await expect(heads).to_be_hidden()
        finally:
            await context.close()
