"""The daemon serves the order API on its own listener, beside the console, only when it is enabled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port

from bridge.app import make_app
from bridge.settings import Settings
from tests.api.channel import Channel, ServerClock, order
from tests.api.conftest import SETTINGS
from tests.rig import open_rig


@asynccontextmanager
async def _daemon(settings: Settings) -> AsyncIterator[None]:
    runner = web.AppRunner(make_app(settings))
    await runner.setup()  # the store, the API's listener, the scheduler (no console socket needed here)
    try:
        yield
    finally:
        await runner.cleanup()


async def test_the_daemon_serves_the_api_on_its_own_address(tmp_path: Path, database: str) -> None:
    """``[api] enabled``: a signed order is taken on ``[api] listen``; the console's pages are not there,
    and no answer sets a cookie."""
    async with open_rig(tmp_path, database=database) as rig, aiohttp.ClientSession() as http:
        listen = f"127.0.0.1:{unused_port()}"
        api = SETTINGS.model_copy(update={"listen": listen})
        async with _daemon(rig.deps.settings.model_copy(update={"api": api})):
            hall = SETTINGS.clients["hall"]
            channel = Channel(
                http,
                f"http://{listen}",
                hall.key_id,
                hall.secret.get_secret_value(),
                ServerClock(rig.deps.clock()),
            )
            taken = await channel.post(order())
            login = await channel.raw("GET", "/login", b"", {})
        assert (taken.status, login.status, login.code) == (201, 404, "API_NO_ROUTE")
        assert "Set-Cookie" not in taken.headers and "Set-Cookie" not in login.headers


async def test_the_daemon_serves_no_api_when_it_is_off(tmp_path: Path, database: str) -> None:
    """Off (the default), nothing listens on ``[api] listen``."""
    async with open_rig(tmp_path, database=database) as rig, aiohttp.ClientSession() as http:
        listen = f"127.0.0.1:{unused_port()}"
        api = SETTINGS.model_copy(update={"listen": listen, "enabled": False})
        async with _daemon(rig.deps.settings.model_copy(update={"api": api})):
            with pytest.raises(aiohttp.ClientConnectionError):
                await http.get(f"http://{listen}/api/v1/openapi.json")
