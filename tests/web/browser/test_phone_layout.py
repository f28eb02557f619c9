"""The console on a phone: no page scrolls sideways, and the navigation folds behind a menu button.

Like every browser test, these run on SQLite (tests/web/browser/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from tests.rig import line
from tests.web.browser.conftest import Live, Screenshot, login

PHONES = {"390x844": {"width": 390, "height": 844}, "360x740": {"width": 360, "height": 740}}


TABLET = {"768x1024": {"width": 768, "height": 1024}}  # the menu stays open from 601 px


async def _handheld(browser: Browser, size: dict[str, int]) -> AsyncIterator[Page]:
    context = await browser.new_context(
        viewport=size,  # type: ignore[arg-type]
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture(params=list(PHONES))
async def phone(request: pytest.FixtureRequest, browser: Browser) -> AsyncIterator[Page]:
    async for found in _handheld(browser, PHONES[request.param]):
        yield found


@pytest.fixture(params=list(PHONES | TABLET))
async def handheld(request: pytest.FixtureRequest, browser: Browser) -> AsyncIterator[Page]:
    async for found in _handheld(browser, (PHONES | TABLET)[request.param]):
        yield found


async def _an_exception(live: Live) -> int:
    """An order whose line waits for a person (no card in the buyer's message), with a long nickname."""
    tid = await live.rig.order(
        line("TV-RC-0100"), message="请尽快充值，谢谢！" * 3, nick="tb_一个很长很长的买家昵称_2026"
    )
    await live.wait_state(tid, "EXCEPTION")
    return tid


async def _scrolls_sideways(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0 or less when it fits).

    A phone's browser widens its layout viewport to a page too wide for it (zooming out), so the
    window must also still be the phone's own width.
    """
    assert page.viewport_size is not None
    inner = int(await page.evaluate("window.innerWidth"))
    assert inner == page.viewport_size["width"], f"the page widened the window to {inner} px"
    return int(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


PAGES = [
    "dashboard",
    "queue",
    "order",
    "mapping_editor",
    "mappings",
    "audit",
    "users",
    "login",
]


async def test_no_page_scrolls_sideways_on_a_phone_or_a_tablet(live: Live, handheld: Page) -> None:
    """Each page in turn (one console, one browser per screen size): none wider than the screen."""
    phone = handheld
    tid = await _an_exception(live)
    paths = {
        "dashboard": "/",
        "queue": "/queue",
        "order": f"/orders/main/{tid}",
        "mapping_editor": "/mappings/edit?sku=TV-RC-0100",
        "mappings": "/mappings",
        "audit": "/audit",
        "users": "/users",
        "login": "/login",
    }
    assert list(paths) == PAGES
    await login(phone, live, "admin1")
    await phone.goto(f"{live.url}/orders/main/{tid}")  # a row for the audit page: CS retried the line
    await phone.click("button:text('重试')")
    wide: dict[str, int] = {}
    for name in PAGES:
        if name == "login":
            await phone.context.clear_cookies()
        await phone.goto(f"{live.url}{paths[name]}")
        await expect(phone.locator("main")).to_be_visible()
        wide[name] = await _scrolls_sideways(phone)
    assert {name: px for name, px in wide.items() if px > 0} == {}


async def test_the_navigation_folds_into_a_menu_button_that_opens_on_tap(
    live: Live, phone: Page, screenshot: Screenshot
) -> None:
    await _an_exception(live)
    await login(phone, live, "cs1")
    nav = phone.locator("nav.main")
    button = phone.locator("label.menu-button")
    await expect(button).to_be_visible()
    await expect(nav).to_be_hidden()
    if phone.viewport_size == PHONES["390x844"]:
        await screenshot(phone, "dashboard-phone")
    await button.tap()
    await expect(nav).to_be_visible()
    await expect(phone.locator("header form.find input")).to_be_visible()
    queue = nav.get_by_role("link", name="异常队列")
    box = await queue.bounding_box()
    assert box is not None and box["width"] >= 200  # one link a line, full width: not a character a line
    await queue.tap()
    await phone.wait_for_url(f"{live.url}/queue")
    await expect(nav).to_be_hidden()  # a new page starts with the menu closed
    assert await _scrolls_sideways(phone) <= 0


async def test_on_a_laptop_the_navigation_is_always_shown(live: Live, page: Page) -> None:
    await login(page, live, "cs1")
    await expect(page.locator("nav.main")).to_be_visible()
    await expect(page.locator("label.menu-button")).to_be_hidden()
