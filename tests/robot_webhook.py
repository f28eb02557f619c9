"""A group-chat robot's webhook on 127.0.0.1 for the notifier's tests: keeps what it got, answers as told."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class Webhook:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        self.answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        return web.json_response(self.answer, status=self.status)


@asynccontextmanager
async def running_webhook() -> AsyncIterator[Webhook]:
    """The webhook served until the block ends; its URL carries a token as the real ones do."""
    hook = Webhook()
    app = web.Application()
    app.router.add_post("/robot/send", hook.handle)
    async with TestServer(app) as server:
        hook.url = str(server.make_url("/robot/send?access_token=tok"))
        yield hook
