"""A bridge whose order API has one channel client, ``hall``, served over real HTTP beside the sandboxes.

``open_hall`` is the rig (tests/rig.py) with ``[api]`` on: the client is a shop of storefront ``api``
in the pipeline, and its API is served by pytest-aiohttp with the daemon's intake hook (a posted
order is taken in at once), or without it (``on_order=False``: a crash between the commit and the
intake, polling takes the order up). ``Hall.post`` signs as the client does (tests/api/channel.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import update

from bridge.api import ApiContext, make_api_app
from bridge.core.api_orders import ApiOrderRecord
from bridge.lab.sandboxes import Sandboxes, bridge_config
from bridge.services.api_intake import posted_orders
from bridge.settings import Settings, settings_from_dict
from bridge.store.api_schema import api_orders
from bridge.store.engine import create_engine_for
from tests.api.channel import Answer, Channel, ServerClock, order
from tests.rig import Rig, open_rig

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

CLIENT, KEY_ID, SECRET, SECRET_ENV = "hall", "hall-1", "hall-secret", "BRIDGE_API_HALL_SECRET"


def hall_config(sb: Sandboxes, workdir: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    """The rig's configuration with the order API on and the channel client ``hall``."""
    client = {"key_id": KEY_ID, "secret_env": SECRET_ENV}
    api = {"enabled": True, "listen": "127.0.0.1:0", "clients": {CLIENT: client}, **sections.pop("api", {})}
    return bridge_config(sb, workdir, api=api, **sections)


def hall_settings(sb: Sandboxes, workdir: Path, **sections: dict[str, Any]) -> Settings:
    env = {**sb.env(), SECRET_ENV: SECRET}
    return settings_from_dict(hall_config(sb, workdir, **sections), env, source="<generated>")


@dataclass
class Hall:
    rig: Rig
    channel: Channel
    context: ApiContext

    def on_order(self, hook: Callable[[str, str], None]) -> None:
        """What the API calls with each order it has just stored (the daemon's intake, or a test's)."""
        self.context.on_order = hook

    async def post(self, order_id: str, *lines: dict[str, Any]) -> Answer:
        """The client posts an order paid now (signed); its intake, when hooked, is waited for."""
        now = self.channel.clock.now = self.rig.deps.clock()
        answer = await self.channel.post(order(order_id, *lines, paid_at=now.isoformat()))
        assert answer.status == 201, answer.body
        await asyncio.gather(*self.rig.deps.runtime.running)
        return answer

    async def stored(self, order_id: str) -> ApiOrderRecord:
        found = await self.rig.deps.store.api_orders.order(CLIENT, order_id)
        assert found is not None
        return found

    async def refund_requested(self, order_id: str) -> None:
        """The client's refund request as the store keeps it (its endpoint is another part's)."""
        now = self.rig.deps.clock()
        engine = create_engine_for(self.rig.deps.settings.database)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    update(api_orders)
                    .where(api_orders.c.client == CLIENT, api_orders.c.order_id == order_id)
                    .values(refund_requested_at=now, modified_at=now)
                )
        finally:
            await engine.dispose()


@asynccontextmanager
async def open_hall(
    tmp_path: Path,
    database: str,
    servers: ServerFactory,
    *,
    on_order: bool = True,
    settings_for: Callable[..., Settings] = hall_settings,
    **sections: dict[str, Any],
) -> AsyncIterator[Hall]:
    async with open_rig(tmp_path, database=database, settings_for=settings_for, **sections) as rig:
        deps = rig.deps
        ctx = ApiContext(deps.settings.api, deps.store.api_orders, deps.clock)
        if on_order:
            ctx.on_order = posted_orders(deps)
        server = await servers(make_api_app(ctx))
        base = str(server.make_url("")).rstrip("/")
        yield Hall(rig, Channel(rig.http, base, KEY_ID, SECRET, ServerClock(now=deps.clock())), ctx)
