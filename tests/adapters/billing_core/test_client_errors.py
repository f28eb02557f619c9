"""``BillingClient`` against a scripted server: every failure lands in the right error class.

The scripted server answers whatever a test tells it (any status, body,
header, a stall or a dropped connection), so the client's one error table is
pinned row by row; so are the retries of reads and the transport failures.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest

from adapters.billing_core import ERROR_TABLE
from bridge.core.errors import (
    Ambiguous,
    BridgeError,
    ConfigError,
    Permanent,
    RateLimited,
    Retryable,
    Unavailable,
)
from bridge.core.models import Recharge

from .helpers import CARD, NOW, SECRET, Script, error_body, scripted_client

# (status, code, headers, class when POSTing, class when GETting, retry_after)
_STATUS_TABLE = [
    (400, "INVALID_REQUEST", {}, Permanent, Permanent, None),
    (404, "SUBSCRIBER_NOT_FOUND", {}, Permanent, Permanent, None),
    (404, "PRODUCT_UNKNOWN", {}, Permanent, Permanent, None),
    (409, "IDEMPOTENCY_CONFLICT", {}, Ambiguous, Permanent, None),  # that id was used: maybe applied
    (422, "SUBSCRIBER_INACTIVE", {}, Permanent, Permanent, None),
    (422, "TWO_WAY_REQUIRED", {}, Permanent, Permanent, None),
    (422, "AMOUNT_OUT_OF_RANGE", {}, Permanent, Permanent, None),
    (422, "REVERSAL_NOT_ALLOWED", {}, Permanent, Permanent, None),
    (418, "TEAPOT", {}, Permanent, Permanent, None),
    (401, "UNKNOWN_KEY", {}, ConfigError, ConfigError, None),
    (429, "RATE_LIMITED", {"Retry-After": "3"}, RateLimited, RateLimited, 3.0),
    (503, "MAINTENANCE", {"Retry-After": "600"}, Unavailable, Unavailable, 600.0),
    (500, "INTERNAL", {}, Retryable, Retryable, None),
    (502, "BAD_GATEWAY", {}, Ambiguous, Retryable, None),
    (504, "GATEWAY_TIMEOUT", {}, Ambiguous, Retryable, None),
    (599, "ODD", {}, Retryable, Retryable, None),
]


@pytest.mark.parametrize(("status", "code", "headers", "on_post", "on_get", "retry_after"), _STATUS_TABLE)
async def test_status_table(
    scripted: tuple[Script, str],
    status: int,
    code: str,
    headers: dict[str, str],
    on_post: type[BridgeError],
    on_get: type[BridgeError],
    retry_after: float | None,
) -> None:
    """Each status maps to its class, exactly (not a subclass), with the code and Retry-After."""
    script, base = scripted
    script.status, script.body, script.headers = status, error_body(code), headers
    async with aiohttp.ClientSession() as http:
        client = scripted_client(http, base, read_attempts=1)
        for call, expected in (
            (client.apply(Recharge("r-1", CARD, 100)), on_post),
            (client.products(), on_get),
        ):
            with pytest.raises(BridgeError) as caught:
                await call
            assert type(caught.value) is expected
            assert caught.value.code == code
            assert getattr(caught.value, "retry_after", None) == retry_after


def test_error_table_covers_every_family() -> None:
    """Unlisted statuses fall back by family; transport failures have their own rows."""
    assert {"unreachable", "no_answer", "4xx", "5xx"} <= set(ERROR_TABLE)
    assert ERROR_TABLE["no_answer"] == (Ambiguous, Retryable)


async def test_state_changing_calls_are_not_retried(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    script.status, script.body = 500, error_body("INTERNAL", True)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Retryable):
            await scripted_client(http, base).apply(Recharge("r-1", CARD, 100))
    assert script.calls == 1


async def test_reads_are_retried_then_succeed(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    ok = Script(body={"products": []})
    script.status, script.body, script.then = 500, error_body("INTERNAL", True), [ok]
    async with aiohttp.ClientSession() as http:
        assert await scripted_client(http, base, read_attempts=3).products() == []
    assert script.calls == 2


async def test_reads_give_up_after_the_attempts(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    script.status, script.body = 500, error_body("INTERNAL", True)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Retryable):
            await scripted_client(http, base, read_attempts=3).products()
    assert script.calls == 3


async def test_rate_limited_reads_are_left_to_the_caller(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    script.status, script.body, script.headers = 429, error_body("RATE_LIMITED", True), {"Retry-After": "1"}
    async with aiohttp.ClientSession() as http:
        with pytest.raises(RateLimited):
            await scripted_client(http, base, read_attempts=3).products()
    assert script.calls == 1


async def test_retry_after_as_http_date(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    reopen = format_datetime(datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=90), usegmt=True)
    script.status, script.body, script.headers = 503, error_body("MAINTENANCE", True), {"Retry-After": reopen}
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Unavailable) as caught:
            await scripted_client(http, base).apply(Recharge("r-1", CARD, 100))
    assert caught.value.retry_after == 90.0


@pytest.mark.parametrize(
    ("code", "hint"),
    [("UNKNOWN_KEY", "api_key"), ("BAD_SIGNATURE", "secret is wrong"), ("SIGNATURE_EXPIRED", "clock")],
)
async def test_401_says_which_credential_is_wrong(scripted: tuple[Script, str], code: str, hint: str) -> None:
    script, base = scripted
    script.status, script.body = 401, error_body(code)
    async with aiohttp.ClientSession() as http:
        client = scripted_client(http, base)
        with pytest.raises(ConfigError) as caught:
            await client.products()
    assert hint in str(caught.value) and caught.value.code == code
    assert SECRET not in str(caught.value) + repr(client)


async def test_find_is_none_only_for_operation_not_found(scripted: tuple[Script, str]) -> None:
    """Any other refusal must not read as "never applied", or the caller would apply twice."""
    script, base = scripted
    async with aiohttp.ClientSession() as http:
        client = scripted_client(http, base)
        script.status, script.body = 404, error_body("OPERATION_NOT_FOUND")
        assert await client.find("r-1") is None
        script.body = error_body("NOT_FOUND")  # e.g. a base_url pointing at the wrong service
        with pytest.raises(Permanent) as caught:
            await client.find("r-1")
    assert caught.value.code == "NOT_FOUND"


# --------------------------------------------------------------- transport


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_is_unavailable_even_for_a_post() -> None:
    """Nothing was sent, so nothing can have been applied."""
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Unavailable) as caught:
            await scripted_client(http, f"http://127.0.0.1:{_closed_port()}").apply(
                Recharge("r-1", CARD, 100)
            )
    assert caught.value.code == "UNREACHABLE"


class _NoDns(aiohttp.abc.AbstractResolver):
    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> Any:
        raise OSError(f"cannot resolve {host}")

    async def close(self) -> None:
        return None


@pytest.mark.parametrize("base_url", ["boss.internal:8080", "ftp://boss", "http://", "http://boss/?x=1"])
async def test_a_malformed_base_url_is_refused_at_construction(base_url: str) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(ConfigError, match="base_url"):
            scripted_client(http, base_url)


async def test_a_base_url_may_carry_a_path_prefix(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    script.body = {"products": []}
    async with aiohttp.ClientSession() as http:
        assert await scripted_client(http, base + "/boss/").products() == []
    assert script.paths == ["/boss/v1/products"]


async def test_dns_failure_is_unavailable() -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=_NoDns())) as http:
        with pytest.raises(Unavailable):
            await scripted_client(http, "http://boss.internal:8080").apply(Recharge("r-1", CARD, 100))


@pytest.mark.parametrize("how", ["timeout", "dropped"])
async def test_no_answer_to_a_post_is_ambiguous(scripted: tuple[Script, str], how: str) -> None:
    script, base = scripted
    script.delay_s, script.drop = (1.0, False) if how == "timeout" else (0.0, True)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Ambiguous) as caught:
            await scripted_client(http, base, timeout_s=0.2).apply(Recharge("r-1", CARD, 100))
    assert caught.value.code == "NO_ANSWER"
    assert script.calls == 1


@pytest.mark.parametrize("how", ["timeout", "dropped"])
async def test_no_answer_to_a_get_is_retryable(scripted: tuple[Script, str], how: str) -> None:
    script, base = scripted
    script.delay_s, script.drop = (1.0, False) if how == "timeout" else (0.0, True)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Retryable) as caught:
            await scripted_client(http, base, timeout_s=0.2, read_attempts=2).subscriber(CARD)
    assert type(caught.value) is Retryable
    # two attempts; aiohttp itself re-sends an idempotent GET once on a dropped connection
    assert script.calls == (2 if how == "timeout" else 4)


async def test_invalid_request_id_is_refused_before_sending(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    async with aiohttp.ClientSession() as http:
        client = scripted_client(http, base)
        for call in (client.apply(Recharge("bad id!", CARD, 1)), client.find("a/b"), client.reverse("", "x")):
            with pytest.raises(Permanent) as caught:
                await call
            assert caught.value.code == "INVALID_REQUEST"
    assert script.calls == 0
