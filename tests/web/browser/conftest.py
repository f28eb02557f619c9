"""Browser fixtures: Debian's Chromium driven by Playwright against the real daemon app.

``live`` runs both sandboxes and the whole daemon (scheduler included) in this
process, serving the console on a free port, exactly as ``bridge run`` does.
Chromium must be installed (``scripts/setup-browser``); when it is missing
the browser tests fail and say so: they are never skipped silently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, async_playwright

from bridge.app import DEPS_KEY, make_app
from bridge.core.records import LineRecord
from bridge.lab.sandboxes import running_sandboxes
from bridge.services.deps import Deps
from tests.web.rig import PASSWORD, Market, add_users, console_settings, lines_of

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 800}  # a laptop screen


@dataclass
class Live:
    url: str
    deps: Deps
    market: Market

    async def lines(self, tid: int) -> list[LineRecord]:
        return await lines_of(self.deps, tid)

    async def wait_for(self, check: Callable[[], Awaitable[bool]], timeout_s: float = 20.0) -> None:
        """Until ``check()`` holds (the daemon works on its own schedule)."""
        deadline = time.monotonic() + timeout_s
        while not await check():
            assert time.monotonic() < deadline, "timed out waiting for the daemon"
            await asyncio.sleep(0.2)

    async def wait_state(self, tid: int, state: str, timeout_s: float = 20.0) -> None:
        async def done() -> bool:
            try:
                return all(ln.state.value == state for ln in await self.lines(tid))
            except ValueError:  # the trade is not stored yet
                return False

        await self.wait_for(done, timeout_s)


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with running_sandboxes(seed=11) as sb, aiohttp.ClientSession() as http:
        app = make_app(console_settings(sb, tmp_path))
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            await add_users(app[DEPS_KEY])
            url = "http://{}:{}".format(*runner.addresses[0][:2])
            yield Live(url, app[DEPS_KEY], Market(sb, http))
        finally:
            await runner.cleanup()


def _require_chromium() -> None:
    """Fail (never skip) when Chromium is missing, saying how to install it."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Install it with scripts/setup-browser (scripts/test runs it first).",
            pytrace=False,
        )


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    _require_chromium()
    async with async_playwright() as pw:
        found = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield found
        finally:
            await found.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=VIEWPORT, locale="zh-CN")  # type: ignore[arg-type]
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def login(page: Page, live: Live, name: str) -> None:
    """Sign in through the form, as a person would."""
    await page.goto(f"{live.url}/login")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit].primary")
    await page.wait_for_url(f"{live.url}/")


async def screenshot(page: Page, name: str) -> None:
    """A full-page PNG for the README, in docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
