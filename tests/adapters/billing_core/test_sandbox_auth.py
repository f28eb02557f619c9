"""The sandbox checks authentication exactly as interface v1 says, over raw HTTP."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest

from adapters.billing_core.sandbox import RunningSandbox
from adapters.billing_core.signing import signed_headers

from .helpers import raw_call

_BODY = json.dumps(
    {"request_id": "a-1", "kind": "issue_cards", "face_value_fen": 5000, "count": 1}, separators=(",", ":")
).encode()


async def test_a_correctly_signed_call_is_served(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    status, body, _ = await raw_call(http, running.base_url, "POST", "/v1/operations", _BODY)
    assert status == 200 and body["request_id"] == "a-1"


async def test_tampered_body_is_bad_signature(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    """Signed for one card count, sent with another: refused, and nothing applied."""
    headers = signed_headers("sandbox-key", "sandbox-secret", "POST", "/v1/operations", _BODY, time.time())
    tampered = _BODY.replace(b'"count":1', b'"count":9')
    assert tampered != _BODY
    async with http.post(running.base_url + "/v1/operations", data=tampered, headers=headers) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"] == {
            "code": "BAD_SIGNATURE",
            "message": "X-Signature does not match",
            "retryable": False,
        }
    assert running.sandbox.state.records == {}


async def test_tampered_path_is_bad_signature(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    headers = signed_headers("sandbox-key", "sandbox-secret", "GET", "/v1/products", b"", time.time())
    async with http.get(running.base_url + "/v1/products?page=2", headers=headers) as resp:
        assert resp.status == 401 and (await resp.json())["error"]["code"] == "BAD_SIGNATURE"


async def test_query_string_is_part_of_the_signature(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    status, _, _ = await raw_call(http, running.base_url, "GET", "/v1/products?lang=zh")
    assert status == 200


async def test_wrong_secret_is_bad_signature(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    status, body, _ = await raw_call(http, running.base_url, "GET", "/v1/products", secret="guess")
    assert (status, body["error"]["code"]) == (401, "BAD_SIGNATURE")


@pytest.mark.parametrize(("offset", "status"), [(-301, 401), (301, 401), (-290, 200), (290, 200)])
async def test_timestamp_window_is_300_seconds(
    http: aiohttp.ClientSession, running: RunningSandbox, offset: int, status: int
) -> None:
    got, body, _ = await raw_call(http, running.base_url, "GET", "/v1/products", now=time.time() + offset)
    assert got == status
    if status == 401:
        assert body["error"]["code"] == "SIGNATURE_EXPIRED"


async def test_unknown_key(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    status, body, _ = await raw_call(http, running.base_url, "GET", "/v1/products", api_key="intruder")
    assert (status, body["error"]["code"]) == (401, "UNKNOWN_KEY")


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "UNKNOWN_KEY"), ({"X-Api-Key": "sandbox-key"}, "BAD_SIGNATURE"),
     ({"X-Api-Key": "sandbox-key", "X-Timestamp": "soon", "X-Signature": "00"}, "BAD_SIGNATURE")],
)  # fmt: skip  # one case per line reads as a table
async def test_missing_or_garbled_headers(
    http: aiohttp.ClientSession, running: RunningSandbox, headers: dict[str, str], code: str
) -> None:
    status, body, _ = await raw_call(http, running.base_url, "GET", "/v1/products", headers=headers)
    assert (status, body["error"]["code"]) == (401, code)


async def test_sandbox_routes_are_unsigned(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    async with http.get(running.base_url + "/sandbox/stats") as resp:
        assert resp.status == 200
        stats = await resp.json()
    assert set(stats) >= {"calls", "in_flight", "lost_answers", "operations"}


async def test_unknown_v1_route_answers_an_error_body(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    status, body, _ = await raw_call(http, running.base_url, "GET", "/v1/invoices")
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"not json", "body"), (b'{"request_id":"x","kind":"refund"}', "kind"),
     (b'{"request_id":"x y","kind":"recharge","card_no":"8371","amount_fen":1}', "request_id"),
     (b'{"request_id":"x","kind":"recharge","card_no":"8371","amount_fen":"100"}', "amount_fen"),
     (b'{"request_id":"x","kind":"recharge","card_no":"8371","amount_fen":1,"extra":1}', "extra")],
)  # fmt: skip  # one case per line reads as a table
async def test_malformed_operation_is_invalid_request_naming_the_field(
    http: aiohttp.ClientSession, running: RunningSandbox, body: bytes, field: str
) -> None:
    status, answer, _ = await raw_call(http, running.base_url, "POST", "/v1/operations", body)
    assert (status, answer["error"]["code"]) == (400, "INVALID_REQUEST")
    assert field in answer["error"]["message"]
