"""Test helpers: a raw signed call (the sandbox without the client) and a scripted server
(the client without the sandbox)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from adapters.billing_core import BillingClient
from adapters.billing_core.signing import signed_headers

CARD = "8371000012345678"
SECRET = "s3cret-value"
NOW = 1795485600.0


async def raw_call(
    http: aiohttp.ClientSession,
    base_url: str,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    api_key: str = "sandbox-key",
    secret: str = "sandbox-secret",
    now: float | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """One signed request (unless ``headers`` replaces the auth headers): status, JSON, headers."""
    auth = signed_headers(api_key, secret, method, path, body, time.time() if now is None else now)
    sent = headers if headers is not None else auth
    async with http.request(method, base_url + path, data=body or None, headers=sent) as resp:
        text = await resp.text()
        return resp.status, json.loads(text) if text else None, dict(resp.headers)


@dataclass
class Script:
    """What the scripted server does with the next calls."""

    status: int = 200
    body: Any = field(default_factory=dict)  # JSON-able, or bytes sent as they are
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False
    then: list[Script] = field(default_factory=list)  # later calls, in order
    calls: int = 0
    paths: list[str] = field(default_factory=list)  # raw path and query of every call

    def next(self) -> Script:
        self.calls += 1
        return self.then.pop(0) if self.calls > 1 and self.then else self


@asynccontextmanager
async def scripted_server() -> AsyncIterator[tuple[Script, str]]:
    """A server doing whatever its ``Script`` says; yields the script and the base URL."""
    script = Script()

    async def handle(request: web.Request) -> web.StreamResponse:
        step = script.next()
        script.paths.append(request.raw_path)
        await asyncio.sleep(step.delay_s)
        if step.drop and request.transport is not None:
            request.transport.abort()
        raw = step.body if isinstance(step.body, bytes) else web.json_response(step.body).body
        assert isinstance(raw, bytes)
        response = web.Response(status=step.status, body=raw, headers=step.headers)
        response.content_type = step.content_type
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield script, f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def scripted_client(http: aiohttp.ClientSession, base_url: str, **kw: Any) -> BillingClient:
    """A client of the scripted server with a fixed clock and a known secret."""
    options: dict[str, Any] = {"timeout_s": 2.0, "clock": lambda: NOW, **kw}
    return BillingClient(http, base_url=base_url, api_key="bridge-key", secret=SECRET, **options)


def error_body(code: str, retryable: bool = False) -> dict[str, Any]:
    return {"error": {"code": code, "message": "explained", "retryable": retryable}}
