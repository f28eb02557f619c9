"""The order API's door: each refusal with its code, each answer checked against the document."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

from bridge.api.errors import REFUSALS
from bridge.api.handlers import OPENAPI
from bridge.core.api_signing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.api.channel import DOC, NOW, line, order
from tests.api.conftest import SETTINGS, Api


async def test_a_signed_order_is_taken(api: Api) -> None:
    """A request signed with the client's secret is let in."""
    answer = await api.channel().post(order())
    assert answer.status == 201


async def test_an_unsigned_request_is_refused(api: Api) -> None:
    """No signing headers: 401 API_UNSIGNED."""
    answer = await api.channel().raw("GET", "/api/v1/orders/H1", b"", {})
    assert (answer.status, answer.code) == (401, "API_UNSIGNED")


async def test_an_unknown_key_is_refused(api: Api) -> None:
    """A key id no client has: 401 API_UNKNOWN_KEY."""
    channel = api.channel()
    channel.key_id = "nobody"
    answer = await channel.post(order())
    assert (answer.status, answer.code) == (401, "API_UNKNOWN_KEY")


async def test_a_wrong_secret_is_refused(api: Api) -> None:
    """Signed with another secret: 401 API_BAD_SIGNATURE, and nothing stored."""
    body = json.dumps(order()).encode()
    channel = api.channel()
    answer = await channel.raw(
        "POST", "/api/v1/orders", body, channel.headers("POST", "/api/v1/orders", body, secret="x")
    )
    assert (answer.status, answer.code) == (401, "API_BAD_SIGNATURE")
    assert await api.store.api_orders.order("hall", "H20261208001") is None


async def test_a_skewed_timestamp_is_refused_naming_the_server_s_time(api: Api) -> None:
    """More than ``skew_s`` off the server's clock: 401 API_STALE_TIMESTAMP with the server's time."""
    answer = await api.channel().send("GET", "/api/v1/orders/H1", off_s=-301)
    assert (answer.status, answer.code) == (401, "API_STALE_TIMESTAMP")
    assert answer.body["error"]["server_timestamp"] == int(NOW.timestamp())
    assert "2026-12-08T02:00:00+00:00" in answer.body["error"]["message"]


async def test_a_timestamp_within_the_skew_is_let_in(api: Api) -> None:
    """Exactly ``skew_s`` ahead is still accepted (a 404 for a missing order, not a refusal)."""
    answer = await api.channel().send("GET", "/api/v1/orders/H1", off_s=300)
    assert (answer.status, answer.code) == (404, "API_NOT_FOUND")


async def test_a_replayed_signature_is_refused(api: Api) -> None:
    """The same signed request twice: the second is 401 API_REPLAYED."""
    channel = api.channel()
    body = json.dumps(order()).encode()
    headers = channel.headers("POST", "/api/v1/orders", body)
    assert (await channel.raw("POST", "/api/v1/orders", body, headers)).status == 201
    answer = await channel.raw("POST", "/api/v1/orders", body, headers)
    assert (answer.status, answer.code) == (401, "API_REPLAYED")


async def test_a_signature_seen_by_one_instance_is_refused_by_another(api: Api) -> None:
    """The signatures seen are in the store: a second instance refuses the replay too."""
    other = api.channel(base=await api.serve())
    headers = other.headers("GET", "/api/v1/orders/H1", b"")
    await api.channel().raw("GET", "/api/v1/orders/H1", b"", headers)
    answer = await other.raw("GET", "/api/v1/orders/H1", b"", headers)
    assert (answer.status, answer.code) == (401, "API_REPLAYED")


async def test_an_oversized_body_is_refused(api: Api) -> None:
    """A body over ``max_body_bytes``: 413 API_BODY_TOO_LARGE."""
    big = order(callback_url="https://hall.example/" + "x" * SETTINGS.max_body_bytes)
    answer = await api.channel().post(big)
    assert (answer.status, answer.code) == (413, "API_BODY_TOO_LARGE")


async def test_a_chunked_body_over_the_cap_is_refused_while_read(api: Api) -> None:
    """No Content-Length (chunked): refused as soon as the bytes read pass the cap."""
    body = b" " * (SETTINGS.max_body_bytes + 1)
    channel = api.channel()
    headers = channel.headers("POST", "/api/v1/orders", body)

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    answer = await channel.raw("POST", "/api/v1/orders", chunks(), headers)
    assert (answer.status, answer.code) == (413, "API_BODY_TOO_LARGE")


async def test_a_body_announced_too_large_is_refused_before_it_is_read(api: Api) -> None:
    """A Content-Length over the cap is answered at once, though the body never comes."""
    url = api.base.removeprefix("http://")
    host, port = url.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    headers = api.channel().headers("POST", "/api/v1/orders", b"")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(
        f"POST /api/v1/orders HTTP/1.1\r\nHost: {url}\r\n{head}Content-Length: 10000000\r\n\r\n".encode()
    )
    await writer.drain()
    try:
        status = await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()
    assert status.startswith(b"HTTP/1.1 413")


async def test_too_many_lines_are_refused(api: Api) -> None:
    """More lines than ``max_lines``: 422 API_TOO_MANY_LINES."""
    answer = await api.channel().post(order("H1", *[line()] * (SETTINGS.max_lines + 1)))
    assert (answer.status, answer.code, answer.body["error"]["max_lines"]) == (422, "API_TOO_MANY_LINES", 3)


async def test_a_client_over_its_rate_waits_for_retry_after(api: Api) -> None:
    """Past its burst a client gets 429 API_RATE_LIMITED with Retry-After (a token's time, rounded up)."""
    channel = api.channel("tight")
    assert [(await channel.get(f"/api/v1/orders/H{n}")).status for n in range(2)] == [404, 404]
    answer = await channel.get("/api/v1/orders/H2")
    assert (answer.status, answer.code, answer.headers["Retry-After"]) == (429, "API_RATE_LIMITED", "2")


async def test_a_rate_limited_request_may_be_sent_again_as_it_was(api: Api) -> None:
    """A 429 does not spend the signature: the same request, once a token is back, is let in."""
    channel = api.channel("tight")
    for n in range(2):
        await channel.get(f"/api/v1/orders/H{n}")
    headers = channel.headers("GET", "/api/v1/orders/H2", b"")
    assert (await channel.raw("GET", "/api/v1/orders/H2", b"", headers)).status == 429
    api.clock.later(2)
    assert (await channel.raw("GET", "/api/v1/orders/H2", b"", headers)).status == 404


async def test_one_client_s_rate_is_its_own(api: Api) -> None:
    """Another client is not held back by a client over its rate."""
    tight = api.channel("tight")
    for n in range(3):
        await tight.get(f"/api/v1/orders/H{n}")
    assert (await api.channel("hall").get("/api/v1/orders/H1")).status == 404


async def test_an_unknown_endpoint_is_a_json_404_for_anyone(api: Api) -> None:
    """No such endpoint: 404 API_NO_ROUTE, signed or not; a wrong method 405."""
    assert (await api.channel().raw("GET", "/login", b"", {})).code == "API_NO_ROUTE"
    assert (await api.channel().send("DELETE", "/api/v1/orders")).code == "API_METHOD_NOT_ALLOWED"


async def test_the_openapi_document_is_served_unsigned(api: Api) -> None:
    """``/api/v1/openapi.json`` is the kept document, to anyone."""
    answer = await api.channel().raw("GET", "/api/v1/openapi.json", b"", {})
    assert answer.body == json.loads(OPENAPI)


def test_the_document_lists_every_error_code() -> None:
    """The document's ``ErrorCode`` list is the errors module's table."""
    assert DOC["components"]["schemas"]["ErrorCode"]["enum"] == list(REFUSALS)


def test_the_headers_the_document_names_are_the_signing_rule_s() -> None:
    """The security schemes name the headers ``bridge.core.api_signing`` reads."""
    schemes = DOC["components"]["securitySchemes"]
    assert [s["name"] for s in schemes.values()] == [KEY_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER]


def test_the_docs_list_every_error_code() -> None:
    """docs/api.md's table has a row for each code, with its status."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    for code, refusal in REFUSALS.items():
        assert f"| `{code}` | {refusal.status} |" in text, code
