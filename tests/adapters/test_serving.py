"""``adapters.serving``: how every sandbox is put on a port."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from adapters.serving import serve_app


def _app(cleaned: list[str]) -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def on_cleanup(app: web.Application) -> None:
        cleaned.append("cleaned")

    app = web.Application()
    app.router.add_get("/", hello)
    app.on_cleanup.append(on_cleanup)
    return app


async def test_an_app_on_port_0_answers_at_its_url() -> None:
    """Port 0 picks a free port; the URL and the port say which, and the app answers there."""
    served = await serve_app(_app([]))
    try:
        assert served.url == f"http://127.0.0.1:{served.port}" and served.port > 0
        async with aiohttp.ClientSession() as http, http.get(served.url + "/") as resp:
            assert await resp.text() == "hello"
    finally:
        await served.runner.cleanup()


async def test_a_port_in_use_raises_and_leaves_nothing_running() -> None:
    """When the port cannot be bound the error is raised and the app's runner is cleaned up."""
    first = await serve_app(_app([]))
    cleaned: list[str] = []
    try:
        with pytest.raises(OSError):
            await serve_app(_app(cleaned), port=first.port)
        assert cleaned == ["cleaned"]
    finally:
        await first.runner.cleanup()
