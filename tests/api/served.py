"""The order API served on a real port from a thread of its own, for tests that call it synchronously
(Schemathesis sends its generated requests with ``requests``): a fresh store on one engine, the
clients of ``tests/api/conftest.py``, and a ``requests`` auth that signs every request afresh."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import requests
from aiohttp import web

from bridge.api import ApiContext, make_api_app
from bridge.core.api_signing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bridge.ports import ApiOrderStorePort
from bridge.store import SqlStore, open_store
from tests.api.channel import ServerClock
from tests.api.conftest import SETTINGS
from tests.databases import throwaway_database

T = TypeVar("T")


class Served:
    """The API over one store, served by an event loop in its own thread until ``stop``."""

    def __init__(self, engine: str, workdir: Path) -> None:
        self.clock = ServerClock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._database = throwaway_database(engine, workdir)
        self._runners: list[web.AppRunner] = []
        self.store: SqlStore = self.run(self._open())
        self.base = self.serve()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the server's loop."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    def serve(self, orders: ApiOrderStorePort | None = None) -> str:
        """Another instance of the API over the store (or ``orders``); its base URL."""
        return self.run(self._serve(orders or self.store.api_orders))

    def signer(self, client: str = "hall") -> Signer:
        settings = SETTINGS.clients[client]
        return Signer(settings.key_id, settings.secret.get_secret_value(), self.clock)

    def stop(self) -> None:
        self.run(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _open(self) -> SqlStore:
        return await open_store(await self._database.__aenter__())

    async def _serve(self, orders: ApiOrderStorePort) -> str:
        ctx = ApiContext(SETTINGS, orders, self.clock, monotonic=self.clock.monotonic)
        runner = web.AppRunner(make_api_app(ctx), handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    async def _close(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        await self.store.close()
        await self._database.__aexit__(None, None, None)


class Signer(requests.auth.AuthBase):
    """Signs a prepared request as docs/api.md says, a second later on the server's clock than the
    last one: every signature is new, so no generated request is refused as a replay."""

    def __init__(self, key_id: str, secret: str, clock: ServerClock) -> None:
        self.key_id, self.secret, self.clock = key_id, secret, clock
        self.step_s = 1  # how far the clock moves before each signature

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self.clock.later(self.step_s)
        stamp = str(int(self.clock.now.timestamp()))
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        method, target = request.method or "GET", request.path_url
        request.headers[KEY_HEADER] = self.key_id
        request.headers[TIMESTAMP_HEADER] = stamp
        request.headers[SIGNATURE_HEADER] = sign(self.secret, method, target, stamp, raw)
        return request


@contextmanager
def served(engine: str, workdir: Path) -> Iterator[Served]:
    api = Served(engine, workdir)
    try:
        yield api
    finally:
        api.stop()
