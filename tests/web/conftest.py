"""Fixtures of the console tests.

``desk``: the console over the shared rig (tests/rig.py: a bridge wired to
both sandboxes, its services run by hand with ``rig.cycle()``), served by
pytest-aiohttp's test client, with CS and admin accounts. The browser
fixtures live in ``tests/web/browser``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.pinduoduo.sandbox.app import RunningSandbox, start_sandbox
from bridge.services.deps import Deps
from bridge.web import make_console_app
from tests.rig import Rig, open_rig
from tests.web.rig import PASSWORD, add_users, console_settings, csrf_in, login_csrf_in, two_storefronts

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@dataclass
class Desk:
    """The console over ``rig``: its test client, sign-in and forms."""

    rig: Rig
    client: TestClient[web.Request, web.Application]

    @property
    def deps(self) -> Deps:
        return self.rig.deps

    async def exhausted(self) -> None:
        """Drive the open lines to EXCEPTION RETRIES_EXHAUSTED (billing core failing), then heal it."""
        self.rig.sb.billing.sandbox.set_knobs(error_rate=1.0)
        for _ in range(self.deps.settings.fulfilment.max_attempts + 1):
            await self.rig.cycle()
            self.rig.later(30)
        self.rig.sb.billing.sandbox.set_knobs(error_rate=0.0)
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
async def desk(tmp_path: Path, database: str, aiohttp_client: ClientFactory) -> AsyncIterator[Desk]:
    """The console over a rig, once on SQLite and once on PostgreSQL."""
    async with open_rig(
        tmp_path, settings_for=console_settings, database=database, fulfilment={"max_attempts": 2}
    ) as rig:
        await add_users(rig.deps)
        yield Desk(rig, await aiohttp_client(make_console_app(rig.deps)))


PDD_DEADLINE_S = 12 * 3600
"""The Pinduoduo shop's delivery deadline in ``two_desk`` (Taobao's: the default 24 h)."""


@dataclass
class TwoDesk(Desk):
    """``Desk`` over a bridge with a Taobao shop (``main``) and a Pinduoduo shop (``pdd``)."""

    pdd: RunningSandbox

    async def pdd_order(self, card: str | None = None, outer_id: str = "TV-RC-0100") -> str:
        """Place (and pay) one Pinduoduo order of one 100-yuan line, ``card`` as the recharge account;
        its order_sn."""
        item = {"outer_id": outer_id, "goods_name": "100元充值卡", "price": "100.00"}
        body = {"items": [item], "recharge_account": card}
        async with self.rig.http.post(f"{self.pdd.url}/sandbox/orders", json=body) as answer:
            assert answer.status == 200, await answer.text()
            return str((await answer.json())["order_sn"])


@pytest.fixture
async def two_desk(tmp_path: Path, database: str, aiohttp_client: ClientFactory) -> AsyncIterator[TwoDesk]:
    """The console over a bridge selling on both storefronts (Taobao's deadline 24 h from payment, the
    default, Pinduoduo's 12 h; a 2-hour margin), once on SQLite and once on PostgreSQL."""
    pdd = await start_sandbox()
    try:
        async with open_rig(
            tmp_path,
            settings_for=two_storefronts(pdd.router_url),
            database=database,
            fulfilment={"max_attempts": 2},
            deadlines={"pinduoduo_s": PDD_DEADLINE_S},
        ) as rig:
            await add_users(rig.deps)
            yield TwoDesk(rig, await aiohttp_client(make_console_app(rig.deps)), pdd)
    finally:
        await pdd.runner.cleanup()
