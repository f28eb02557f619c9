"""Security (issue 4 §4): captured signed requests, replayed late, replayed again, or altered.

Neither protocol carries a nonce (billing-core-api.md, taobao-top.md), so a
replay inside the clock window is made harmless by idempotency: the same
operation answered again and nothing applied twice, a second delivery refused
as already shipped. Outside the window a replay is refused as stale, and a
captured request with any parameter changed is refused as badly signed.
(Tampered bodies, paths and wrong secrets are pinned in ``tests/adapters/billing_core``
and ``tests/adapters/taobao``.)
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from adapters.billing_core.sandbox import BillingSandbox, Population, start_billing_sandbox
from adapters.billing_core.signing import signed_headers
from adapters.taobao.sandbox import NewLine, TaobaoSandbox, start_sandbox
from adapters.taobao.signing import format_timestamp, sign
from bridge.core.models import CST


@dataclass
class Clock:
    """A server clock that can be moved forward: a replay "later" without waiting."""

    offset_s: float = 0.0

    def __call__(self) -> datetime:
        return datetime.now(CST) + timedelta(seconds=self.offset_s)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# ------------------------------------------------------------- billing core


@dataclass
class Billing:
    url: str
    sandbox: BillingSandbox
    clock: Clock
    card: str


@pytest.fixture
async def billing() -> AsyncIterator[Billing]:
    clock = Clock()
    sandbox = BillingSandbox(population=Population(3, 0, 0, 0), clock=clock)
    served = await start_billing_sandbox(sandbox)
    try:
        yield Billing(served.base_url, sandbox, clock, sandbox.state.cards_by_role("active")[0])
    finally:
        await served.stop(grace_s=0)


def _recharge(billing: Billing, request_id: str, amount_fen: int = 100) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"request_id": request_id, "kind": "recharge", "card_no": billing.card, "amount_fen": amount_fen}
    ).encode()
    headers = signed_headers("sandbox-key", "sandbox-secret", "POST", "/v1/operations", body, time.time())
    return body, {**headers, "Content-Type": "application/json"}


async def _post(http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]) -> Any:
    async with http.post(url + "/v1/operations", data=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_billing_replay_in_the_window_applies_nothing_twice(
    http: aiohttp.ClientSession, billing: Billing
) -> None:
    """The same signed recharge sent twice: one operation, one credit, the same answer."""
    before = billing.sandbox.state.account(billing.card).balance_fen
    body, headers = _recharge(billing, "replay-1")
    first, again = (
        await _post(http, billing.url, body, headers),
        await _post(http, billing.url, body, headers),
    )
    assert first == again and first[0] == 200
    assert list(billing.sandbox.state.records) == ["replay-1"]
    assert billing.sandbox.state.account(billing.card).balance_fen == before + 100


async def test_billing_replay_after_the_window_is_refused_as_expired(
    http: aiohttp.ClientSession, billing: Billing
) -> None:
    """A captured request replayed more than 300 s later: 401 SIGNATURE_EXPIRED, nothing applied."""
    body, headers = _recharge(billing, "late-1")
    billing.clock.offset_s = 301
    status, answer = await _post(http, billing.url, body, headers)
    assert (status, answer["error"]["code"]) == (401, "SIGNATURE_EXPIRED")
    assert billing.sandbox.state.records == {}


async def test_billing_signature_does_not_carry_to_another_amount(
    http: aiohttp.ClientSession, billing: Billing
) -> None:
    """A captured signature on a bigger recharge: 401 BAD_SIGNATURE, nothing applied."""
    _, headers = _recharge(billing, "alter-1", amount_fen=100)
    altered, _ = _recharge(billing, "alter-1", amount_fen=500_000)
    status, answer = await _post(http, billing.url, altered, headers)
    assert (status, answer["error"]["code"]) == (401, "BAD_SIGNATURE")
    assert billing.sandbox.state.records == {}


# -------------------------------------------------------------- marketplace


@dataclass
class Market:
    router: str
    sandbox: TaobaoSandbox
    clock: Clock
    tid: int


@pytest.fixture
async def market() -> AsyncIterator[Market]:
    clock = Clock()
    sandbox = TaobaoSandbox(clock=clock)
    trade = sandbox.create_trade("tb_buyer", [NewLine("TV-RC-0100", "缴费卡", 10000, 1, 10000)])
    sandbox.book.pay(trade.tid)
    served = await start_sandbox(sandbox=sandbox)
    try:
        yield Market(served.router_url, sandbox, clock, trade.tid)
    finally:
        await served.runner.cleanup()


def _dummy_send(market: Market) -> dict[str, str]:
    form = {
        "method": "taobao.logistics.dummy.send",
        "app_key": market.sandbox.app_key,
        "session": market.sandbox.session_key,
        "timestamp": format_timestamp(datetime.now(CST)),
        "v": "2.0",
        "sign_method": "hmac-sha256",
        "format": "json",
        "simplify": "true",
        "tid": str(market.tid),
    }
    return {**form, "sign": sign(form, market.sandbox.app_secret, "hmac-sha256")}


async def _route(http: aiohttp.ClientSession, market: Market, form: dict[str, str]) -> Any:
    async with http.post(market.router, data=form) as resp:
        answer = await resp.json()
    err = answer.get("error_response")
    return (err["code"], err.get("sub_code")) if err else "ok"


async def test_marketplace_replayed_delivery_ships_once(http: aiohttp.ClientSession, market: Market) -> None:
    """The same signed dummy.send twice: delivered once, the replay refused as already shipped (B27)."""
    form = _dummy_send(market)
    first, again = await _route(http, market, form), await _route(http, market, form)
    assert first == "ok"
    assert again == (15, "isv.logistics-dummy-service-error:B27")
    assert len(market.sandbox.book.get(market.tid).deliveries) == 1


async def test_marketplace_replay_after_ten_minutes_is_refused(
    http: aiohttp.ClientSession, market: Market
) -> None:
    """A captured call replayed more than 10 minutes later: code 31, and nothing shipped."""
    form = _dummy_send(market)
    market.clock.offset_s = 601
    assert await _route(http, market, form) == (31, None)
    assert market.sandbox.book.get(market.tid).deliveries == []


async def test_marketplace_captured_call_with_another_tid_is_refused(
    http: aiohttp.ClientSession, market: Market
) -> None:
    """The signature of one trade's delivery reused for another trade: code 25, nothing shipped."""
    other = market.sandbox.create_trade("tb_other", [NewLine("TV-RC-0100", "缴费卡", 10000, 1, 10000)])
    market.sandbox.book.pay(other.tid)
    form = {**_dummy_send(market), "tid": str(other.tid)}
    assert await _route(http, market, form) == (25, None)
    assert market.sandbox.book.get(other.tid).deliveries == []
