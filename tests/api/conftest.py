"""Fixtures of the order API's tests: the API alone over a fresh store (both engines), served on a real
socket by pytest-aiohttp, with three channel clients (``tests/api/channel.py`` signs and checks)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bridge.api import ApiContext, make_api_app
from bridge.ports import ApiOrderStorePort
from bridge.settings_api import ApiClientSettings, ApiSettings
from bridge.store import SqlStore, open_store
from tests.api.channel import Channel, ServerClock

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def _client(key_id: str, rate_per_s: float = 100.0, burst: int = 100) -> ApiClientSettings:
    return ApiClientSettings(
        key_id=key_id,
        secret_env="UNUSED",
        secret=SecretStr(f"{key_id}-secret"),
        rate_per_s=rate_per_s,
        burst=burst,
    )


SETTINGS = ApiSettings(
    enabled=True,
    max_body_bytes=4096,
    max_lines=3,
    clients={"hall": _client("hall-1"), "app": _client("app-1"), "tight": _client("tight-1", 0.5, 2)},
)


@dataclass
class Api:
    """The API served once over ``store``; ``serve`` starts another instance over the same store."""

    store: SqlStore
    clock: ServerClock
    http: aiohttp.ClientSession
    servers: ServerFactory
    base: str = ""
    woken: list[tuple[str, str]] = field(default_factory=list)  # what ``on_order`` was called with

    async def serve(self, orders: ApiOrderStorePort | None = None) -> str:
        """Another instance of the API (its own buckets and book) over the store; its base URL."""
        ctx = ApiContext(
            SETTINGS,
            orders or self.store.api_orders,
            self.clock,
            monotonic=self.clock.monotonic,
            on_order=lambda client, order_id: self.woken.append((client, order_id)),
        )
        server = await self.servers(make_api_app(ctx))
        return str(server.make_url("")).rstrip("/")

    def channel(self, client: str = "hall", base: str | None = None) -> Channel:
        settings = SETTINGS.clients[client]
        return Channel(
            self.http, base or self.base, settings.key_id, settings.secret.get_secret_value(), self.clock
        )


@pytest.fixture
async def api(database: str, aiohttp_server: ServerFactory) -> AsyncIterator[Api]:
    """The order API over a fresh store, once on SQLite and once on PostgreSQL."""
    store = await open_store(database)
    try:
        async with aiohttp.ClientSession() as http:
            served = Api(store, ServerClock(), http, aiohttp_server)
            served.base = await served.serve()
            yield served
    finally:
        await store.close()
