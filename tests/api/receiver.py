"""A channel's callback receiver for the tests: a real aiohttp server that checks each callback's
signature and answers as told (ok, 500, a dropped connection, or too slow), recording what it got."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from bridge.core.api_signing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_matches
from bridge.core.callbacks import IDEMPOTENCY_HEADER
from bridge.settings_api import ApiClientSettings, ApiSettings

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
SECRET = "hall-1-secret"
SETTINGS = ApiSettings(
    enabled=True,
    callback_timeout_s=0.5,
    callback_concurrency=4,
    clients={
        "hall": ApiClientSettings(
            key_id="hall-1", secret_env="UNUSED", secret=SecretStr(SECRET), callback_hosts=("127.0.0.1",)
        )
    },
)


@dataclass
class Clock:
    """The sender's clock, moved by the tests."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    async def anchor(self) -> float:
        return 0.0

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Received:
    key: str
    body: Any
    signed: bool  # the signature checked out under the client's secret


@dataclass
class Receiver:
    """Answers each callback with the next of ``answers`` (then "ok"): "ok", "500", "drop" or "slow"."""

    answers: list[str] = field(default_factory=list)
    got: list[Received] = field(default_factory=list)
    entered: Callable[[], None] | None = None  # called as each request arrives (before it is answered)
    hold: asyncio.Event | None = None  # while set-able, each request waits for it

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        signed = signature_matches(
            SECRET,
            request.method,
            request.path_qs,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
        )
        signed = signed and request.headers.get(KEY_HEADER) == "hall-1"
        self.got.append(Received(request.headers.get(IDEMPOTENCY_HEADER, ""), json.loads(body), signed))
        if self.entered is not None:
            self.entered()
        if self.hold is not None:
            await self.hold.wait()
        answer = self.answers.pop(0) if self.answers else "ok"
        if answer == "500":
            return web.json_response({"error": "busy"}, status=500)
        if answer == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if answer == "slow":
            await asyncio.sleep(SETTINGS.callback_timeout_s * 4)
        return web.json_response({"ok": True})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook/orders", self.handle)
        return app
