"""The lab's channel client against the real order API over HTTP: placing, duplicates, retries, drills."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bridge.api import ApiContext, make_api_app
from bridge.lab.channel import Answer, ChannelClient, ChannelKnobs
from bridge.lab.channel_drills import refund_before_order, refund_twice, refusal_drills, unexpected
from bridge.lab.daemon_process import free_port
from bridge.lab.order_kinds import PlannedLine, PlannedOrder
from bridge.settings_api import ApiClientSettings, ApiSettings
from bridge.store import SqlStore

SECRET = "hall-secret"
SETTINGS = ApiSettings(
    enabled=True,
    max_body_bytes=4096,
    clients={
        "hall": ApiClientSettings(
            key_id="hall-1", secret_env="UNUSED", secret=SecretStr(SECRET), rate_per_s=1000, burst=1000
        )
    },
)
CALM = ChannelKnobs(duplicate_every=0, timeout_every=0, give_up_s=10.0)

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@dataclass
class Served:
    store: SqlStore
    base: str
    http: aiohttp.ClientSession

    def client(self, knobs: ChannelKnobs = CALM, base: str | None = None) -> ChannelClient:
        return ChannelClient(self.http, base or self.base, "hall-1", SECRET, knobs=knobs)


def _context(store: SqlStore) -> ApiContext:
    return ApiContext(SETTINGS, store.api_orders, lambda: datetime.now(UTC))


@pytest.fixture
async def served(store: SqlStore, aiohttp_server: ServerFactory) -> AsyncIterator[Served]:
    server = await aiohttp_server(make_api_app(_context(store)))
    async with aiohttp.ClientSession() as http:
        yield Served(store, str(server.make_url("")).rstrip("/"), http)


def _order(kind: str = "topup", amount_fen: int = 10000) -> PlannedOrder:
    line = PlannedLine("TV-RC-0100", "充值 100 元", 10000, 1, amount_fen, None, "8371000012345678")
    return PlannedOrder(kind, "", "", [line])


async def test_a_placed_order_is_stored_and_recorded_with_its_lines(served: Served) -> None:
    """The order goes in signed (201), the API stores it under the client's id, the log keeps it."""
    client = served.client()
    placed = await client.place(_order(), 1)
    assert placed is not None and placed.tid == "H0000001" and placed.storefront == "api"
    stored = await served.store.api_orders.order("hall", "H0000001")
    assert stored is not None and stored.order().lines[0].sku == "TV-RC-0100"
    assert client.log.placed == [placed]


@pytest.mark.parametrize("n", [0, 3], ids=["same-bytes", "rewritten"])
async def test_an_order_sent_twice_is_answered_identically(served: Served, n: int) -> None:
    """A duplicate (the same bytes, or the same order written otherwise) gets the first answer exactly."""
    client = served.client(replace(CALM, duplicate_every=3))
    await client.place(_order(), n)
    assert client.log.duplicate_submissions() == {"sent": 1, "identical": 1}
    assert client.log.mismatches == []


def test_a_duplicate_answered_otherwise_is_recorded_as_a_mismatch() -> None:
    """Two answers that differ in body are a mismatch, with both answers kept."""
    client = ChannelClient(None, "", "k", "s")  # type: ignore[arg-type]  # no request is sent
    client.compare("H1", Answer(201, {"order_id": "H1"}), Answer(201, {"order_id": "H2"}))
    assert client.log.duplicate_submissions() == {"sent": 1, "identical": 0}
    assert client.log.mismatches[0]["again"] == [201, {"order_id": "H2"}]


async def test_an_order_given_up_on_by_the_client_is_sent_again_and_stored_once(served: Served) -> None:
    """A client-side timeout, then the same order signed afresh: 201, one order stored."""
    client = served.client(replace(CALM, timeout_every=1, short_timeout_s=0.0005))
    assert await client.place(_order(), 0) is not None
    assert client.log.timeouts == 1
    now = datetime.now(UTC)
    _, total = await served.store.api_orders.orders_paid(
        "hall", now - timedelta(days=1), now + timedelta(days=1), 0, 10
    )
    assert total == 1


async def test_an_api_not_listening_yet_is_tried_again_until_it_answers(
    store: SqlStore, aiohttp_server: ServerFactory
) -> None:
    """No answer at all (the daemon down) is sent again, signed afresh, until the API takes the order."""
    port = free_port()

    async def later() -> TestServer:
        await asyncio.sleep(0.8)
        return await aiohttp_server(make_api_app(_context(store)), port=port)

    starting = asyncio.create_task(later())
    async with aiohttp.ClientSession() as http:
        client = ChannelClient(http, f"http://127.0.0.1:{port}", "hall-1", SECRET, knobs=CALM)
        placed = await client.place(_order(), 1)
    await starting
    assert placed is not None
    assert client.log.resent["no_answer"] >= 1


async def test_every_refusal_drill_gets_its_code(served: Served) -> None:
    """Wrong secret, stale timestamp, unknown key, unsigned, oversized, replay, reused id: each its code."""
    client = served.client()
    await refusal_drills(client, _order(), SETTINGS.max_body_bytes)
    await refund_before_order(client, 5)
    got = {r["drill"]: r["got"] for r in client.log.refusals}
    assert got == {
        "wrong_secret": "API_BAD_SIGNATURE",
        "stale_timestamp": "API_STALE_TIMESTAMP",
        "unknown_key": "API_UNKNOWN_KEY",
        "unsigned": "API_UNSIGNED",
        "oversized_body": "API_BODY_TOO_LARGE",
        "first_placement": "201",
        "replayed_request": "API_REPLAYED",
        "order_id_reused": "API_ORDER_CONFLICT",
        "refund_before_order": "API_NOT_FOUND",
    }
    assert unexpected(client.log.refusals) == []
    assert [o.tid for o in client.log.placed] == [client.order_id(9_000_000)]


async def test_a_refund_sent_twice_is_accepted_both_times(served: Served) -> None:
    """The same refund twice: 202 and 202, the order recorded as refunded (verified apart)."""
    client = served.client()
    placed = await client.place(_order(), 1)
    assert placed is not None and placed.tid is not None
    await refund_twice(client, placed.tid)
    answers = [(r["drill"], r["status"]) for r in client.log.refusals]
    assert answers == [("refund", 202), ("refund_again", 202)]
    assert unexpected(client.log.refusals) == []
    assert client.log.refunded == [placed.tid]
    stored = await served.store.api_orders.order("hall", placed.tid)
    assert stored is not None and stored.refund_requested_at is not None


async def test_a_refund_the_api_refuses_is_recorded_as_unexpected(served: Served) -> None:
    """A refund answered otherwise than 2xx (here: of an order never placed) is listed, with its code."""
    client = served.client()
    await refund_twice(client, "H-NEVER")
    assert [r["got"] for r in unexpected(client.log.refusals)] == ["API_NOT_FOUND", "API_NOT_FOUND"]


def test_a_drill_answered_with_another_code_is_unexpected() -> None:
    """A drill that got a code other than its own is listed."""
    refusals = [
        {"drill": "a", "expected": "API_REPLAYED", "got": "201"},
        {"drill": "b", "expected": "API_UNSIGNED", "got": "API_UNSIGNED"},
    ]
    assert [r["drill"] for r in unexpected(refusals)] == ["a"]
