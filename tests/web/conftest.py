"""Fixtures of the console tests.

``desk``: the console over a bridge wired to both sandboxes, its services run
by hand (``cycle``), served by pytest-aiohttp's test client, with a CS and an
admin account. The browser fixtures live in ``tests/web/browser``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bridge.lab.sandboxes import running_sandboxes
from bridge.services.deps import Deps, utc_now
from bridge.web import make_console_app
from bridge.wiring import build_deps
from tests.web.rig import PASSWORD, Market, add_users, console_settings, csrf_in, cycle, login_csrf_in

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@dataclass
class Desk:
    deps: Deps
    market: Market
    client: TestClient[web.Request, web.Application]
    offset: list[float] = field(default_factory=lambda: [0.0])

    async def cycle(self) -> None:
        await cycle(self.deps)

    def later(self, seconds: float) -> None:
        """Move the bridge's clock forward (backoff) without sleeping."""
        self.offset[0] += seconds

    async def exhausted(self) -> None:
        """Drive the open lines to EXCEPTION RETRIES_EXHAUSTED (billing core failing), then heal it."""
        self.market.sb.billing.sandbox.set_knobs(error_rate=1.0)
        for _ in range(self.deps.settings.fulfilment.max_attempts + 1):
            await self.cycle()
            self.later(30)
        self.market.sb.billing.sandbox.set_knobs(error_rate=0.0)
        self.deps.runtime.breaker.until = None

    async def login(self, name: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        """Sign in through the form (fresh cookies); returns the answer to the POST."""
        self.client.session.cookie_jar.clear()
        page = await self.client.get("/login")
        token = login_csrf_in(await page.text())
        return await self.client.post(
            "/login", data={"csrf": token, "name": name, "password": password, "next": "/"}
        )

    async def csrf(self) -> str:
        return csrf_in(await (await self.client.get("/")).text())

    async def post(self, path: str, data: dict[str, Any] | None = None) -> aiohttp.ClientResponse:
        """A form POST with the session's CSRF token, not following the redirect."""
        form = {"csrf": await self.csrf(), **(data or {})}
        return await self.client.post(path, data=form, allow_redirects=False)


@pytest.fixture
async def desk(tmp_path: Path, aiohttp_client: ClientFactory) -> AsyncIterator[Desk]:
    async with running_sandboxes(seed=11) as sb:
        settings = console_settings(
            sb,
            tmp_path,
            polling={"overlap_s": 120, "initial_lookback_s": 300},
            fulfilment={"max_attempts": 2},
        )
        offset = [0.0]
        clock = lambda: utc_now() + timedelta(seconds=offset[0])  # noqa: E731  (the desk's movable clock)
        async with build_deps(settings, clock=clock) as deps, aiohttp.ClientSession() as http:
            await add_users(deps)
            client = await aiohttp_client(make_console_app(deps))
            yield Desk(deps, Market(sb, http), client, offset)
