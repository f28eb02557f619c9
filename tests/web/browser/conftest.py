"""Browser fixtures: Debian's Chromium driven by Playwright against the real daemon app.

``live`` runs both sandboxes and the whole daemon (scheduler included) in this
process, serving the console on a free port, exactly as ``bridge run`` does;
its ``rig`` (tests/rig.py) places orders and reads the store and the ledger.
Chromium must be installed (``scripts/setup-browser``); when it is missing
the browser tests fail and say so: they are never skipped silently.

``screenshot(page, name)`` writes a full-page PNG into a temporary folder, or
into ``$BRIDGE_SCREENSHOTS_DIR`` when set: ``scripts/screenshots`` points it
at docs/screenshots to refresh the README's pictures.

The browser tests run on SQLite (``database`` below): what they add is the page in a real browser,
which does not depend on the engine; the same pages' HTTP tests (tests/web) and the pipeline under
them run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, async_playwright

from adapters.pinduoduo.sandbox.app import RunningSandbox, start_sandbox
from bridge.app import make_app
from bridge.lab.sandboxes import running_sandboxes
from bridge.services.deps import Deps
from bridge.web.keys import DEPS_KEY
from tests.databases import throwaway_database
from tests.rig import Rig
from tests.web.rig import PASSWORD, add_users, console_settings, two_storefronts

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
SCREENSHOTS_ENV = "BRIDGE_SCREENSHOTS_DIR"
VIEWPORT = {"width": 1366, "height": 800}  # a laptop screen


@dataclass
class Live:
    url: str
    rig: Rig

    @property
    def deps(self) -> Deps:
        return self.rig.deps

    async def wait_for(self, check: Callable[[], Awaitable[bool]], timeout_s: float = 20.0) -> None:
        """Until ``check()`` holds (the daemon works on its own schedule)."""
        deadline = time.monotonic() + timeout_s
        while not await check():
            assert time.monotonic() < deadline, "timed out waiting for the daemon"
            await asyncio.sleep(0.2)

    async def wait_state(self, tid: str, state: str, timeout_s: float = 20.0) -> None:
        async def done() -> bool:
            try:
                return all(ln.state.value == state for ln in await self.rig.lines(tid))
            except ValueError:  # the trade is not stored yet
                return False

        await self.wait_for(done, timeout_s)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh SQLite store for each browser test (the engine-specific paths have their HTTP tests)."""
    async with throwaway_database("sqlite", tmp_path) as dsn:
        yield dsn


@pytest.fixture
async def live(tmp_path: Path, database: str) -> AsyncIterator[Live]:
    async with running_sandboxes(seed=11) as sb, aiohttp.ClientSession() as http:
        app = make_app(console_settings(sb, tmp_path, database=database))
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            await add_users(app[DEPS_KEY])
            url = "http://{}:{}".format(*runner.addresses[0][:2])
            yield Live(url, Rig(sb, app[DEPS_KEY], http))
        finally:
            await runner.cleanup()


@dataclass
class LiveTwo(Live):
    """``Live`` over a daemon with a Taobao shop (``main``) and a Pinduoduo shop (``pdd``, on ``pdd``)."""

    pdd: RunningSandbox


@pytest.fixture
async def live_two(tmp_path: Path, database: str) -> AsyncIterator[LiveTwo]:
    """The daemon selling on both storefronts (Pinduoduo's delivery deadline 12 h, Taobao's 24 h)."""
    pdd = await start_sandbox()
    try:
        async with running_sandboxes(seed=11) as sb, aiohttp.ClientSession() as http:
            settings_for = two_storefronts(pdd.router_url)
            settings = settings_for(sb, tmp_path, database=database, deadlines={"pinduoduo_s": 12 * 3600})
            app = make_app(settings)
            runner = web.AppRunner(app, handle_signals=False)
            await runner.setup()
            try:
                await web.TCPSite(runner, "127.0.0.1", 0).start()
                await add_users(app[DEPS_KEY])
                url = "http://{}:{}".format(*runner.addresses[0][:2])
                yield LiveTwo(url, Rig(sb, app[DEPS_KEY], http), pdd)
            finally:
                await runner.cleanup()
    finally:
        await pdd.runner.cleanup()


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


Screenshot = Callable[[Page, str], Awaitable[None]]


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$BRIDGE_SCREENSHOTS_DIR`` if set, else a temporary folder."""
    named = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshots_dir: Path) -> Screenshot:
    """``await screenshot(page, name)``: a full-page PNG of ``page``, as ``name.png``."""

    async def take(page: Page, name: str) -> None:
        await page.screenshot(path=str(screenshots_dir / f"{name}.png"), full_page=True)

    return take
