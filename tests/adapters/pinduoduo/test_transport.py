"""The gateway transport: HTTP answers and failures in the project's error tree, and its retries."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.pinduoduo.transport import PddTransport
from bridge.core.errors import Ambiguous, Permanent, RateLimited, Retryable, Unavailable


class Scripted:
    """A server answering every request with the next (status, body) of a script (the last repeats)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes]] = [(200, b"{}")]
        self.forms: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.forms.append({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        status, body = self.answers[0] if len(self.answers) == 1 else self.answers.pop(0)
        return web.Response(status=status, body=body, content_type="application/json")


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[Scripted, str]]:
    script = Scripted()
    app = web.Application()
    app.router.add_post("/api/router", script.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield script, f"http://{host}:{port}/api/router"
    await runner.cleanup()


def _transport(http: aiohttp.ClientSession, url: str, **overrides: Any) -> PddTransport:
    async def no_sleep(_: float) -> None:
        return None

    options: dict[str, Any] = {
        "url": url,
        "client_id": "c",
        "client_secret": "s",
        "access_token": "t",
        "timeout_s": 2.0,
        "max_retries": 0,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.01,
        "sleep": no_sleep,
        **overrides,
    }
    return PddTransport(http, **options)


@pytest.mark.parametrize(
    ("status", "body", "write", "kind"),
    [
        (429, b"", False, RateLimited),
        (503, b"", True, Unavailable),
        (500, b"", False, Retryable),
        (504, b"", False, Retryable),
        (504, b"", True, Ambiguous),
        (200, b"<html>", False, Retryable),
        (200, b"<html>", True, Ambiguous),
        (200, b'{"error_response": "x"}', False, Permanent),
        (404, b"", False, Permanent),
    ],
)
async def test_http_answers_map_to_what_the_caller_must_do(
    scripted: tuple[Scripted, str], status: int, body: bytes, write: bool, kind: type
) -> None:
    """Limits, outages, lost or unreadable answers (ambiguous for a write), refusals."""
    script, url = scripted
    script.answers = [(status, body)]
    async with aiohttp.ClientSession() as http:
        with pytest.raises(kind) as caught:
            await _transport(http, url).call("pdd.order.information.get", {"order_sn": "1"}, write=write)
    assert type(caught.value) is kind


async def test_a_passing_failure_is_retried_and_a_refusal_is_not(scripted: tuple[Scripted, str]) -> None:
    """Two busy answers then success: three requests; a parameter refusal: one."""
    script, url = scripted
    busy = b'{"error_response": {"error_code": 52103, "error_msg": "busy"}}'
    script.answers = [(200, busy), (200, busy), (200, b'{"time_get_response": {"time": "x"}}')]
    async with aiohttp.ClientSession() as http:
        answer = await _transport(http, url, max_retries=2).call("pdd.time.get", {})
        assert "time_get_response" in answer and len(script.forms) == 3
        script.answers = [(200, b'{"error_response": {"error_code": 10000, "error_msg": "bad parameter"}}')]
        with pytest.raises(Permanent):
            await _transport(http, url, max_retries=2).call("pdd.time.get", {})
    assert len(script.forms) == 4


async def test_the_request_is_signed_with_the_system_parameters(scripted: tuple[Scripted, str]) -> None:
    """type, client_id, access_token, UNIX-seconds timestamp, data_type=JSON, business values as text."""
    script, url = scripted
    async with aiohttp.ClientSession() as http:
        transport = _transport(http, url, clock=lambda: 1_700_000_000.7)
        await transport.call("pdd.x", {"a": True, "b": [1], "c": None})
    form = script.forms[0]
    assert {k: form[k] for k in ("type", "client_id", "access_token", "timestamp", "data_type")} == {
        "type": "pdd.x",
        "client_id": "c",
        "access_token": "t",
        "timestamp": "1700000000",
        "data_type": "JSON",
    }
    assert (form["a"], form["b"], "c" in form, len(form["sign"])) == ("true", "[1]", False, 32)


async def test_a_gateway_nobody_listens_on_is_unavailable() -> None:
    """Connection refused: nothing was sent, so even a write is only Unavailable."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Unavailable):
            await _transport(http, f"http://127.0.0.1:{port}/api/router").call("pdd.x", {}, write=True)
