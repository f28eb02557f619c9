"""Restarts: what was applied survives (ledger file), what was in flight is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from adapters.billing_core import BillingClient
from adapters.billing_core.sandbox import BillingSandbox, Population, start_billing_sandbox
from bridge.core.errors import Ambiguous, ConfigError
from bridge.core.models import IssueCards, Recharge, Subscribe


def _client(http: aiohttp.ClientSession, base_url: str) -> BillingClient:
    return BillingClient(http, base_url=base_url, api_key="sandbox-key", secret="sandbox-secret", timeout_s=3)


async def _until_in_flight(sandbox: BillingSandbox) -> None:
    async with asyncio.timeout(5):
        while not sandbox.in_flight.total():  # noqa: ASYNC110  # the sandbox offers a counter, not an event
            await asyncio.sleep(0.01)


async def test_applied_operations_survive_a_kill_and_restart(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    first = BillingSandbox(ledger_path=ledger)
    card = first.state.cards_by_role("active", True)[0]
    served = await start_billing_sandbox(first)
    async with aiohttp.ClientSession() as http:
        client = _client(http, served.base_url)
        recharge = await client.apply(Recharge("p-1", card, 15000))
        subscribe = await client.apply(Subscribe("p-2", card, "CH-FYZQ", 3))
        cards = await client.apply(IssueCards("p-3", 5000, 2))
        await client.apply(Recharge("p-4", card, 100))
        reversed_ = await client.reverse("p-4", "refund")
        before = await client.subscriber(card)
        await served.kill()

        second = BillingSandbox(ledger_path=ledger)
        again = await start_billing_sandbox(second, port=served.port)
        try:
            assert again.base_url == served.base_url
            assert await client.find("p-1") == recharge
            assert await client.find("p-2") == subscribe
            assert await client.apply(IssueCards("p-3", 5000, 2)) == cards  # same serials and PINs
            assert await client.find("p-4") == reversed_
            assert await client.subscriber(card) == before
            later = await client.apply(Recharge("p-5", card, 100))
            assert later.operation_id.endswith("00000005")
            assert later.balance_fen == before.balance_fen + 100
        finally:
            await again.stop(grace_s=0)


async def test_a_call_in_flight_at_the_kill_gets_no_answer_and_is_not_applied(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    sandbox = BillingSandbox(ledger_path=ledger)
    card = sandbox.state.cards_by_role("active", True)[0]
    sandbox.set_knobs(latency_ms=400)
    served = await start_billing_sandbox(sandbox)
    async with aiohttp.ClientSession() as http:
        client = _client(http, served.base_url)
        pending = asyncio.create_task(client.apply(Recharge("p-cut", card, 100)))
        await _until_in_flight(sandbox)
        await served.kill()
        with pytest.raises(Ambiguous):
            await pending
        await asyncio.sleep(0.6)  # past the stall: a surviving handler would have applied it by now
        assert "p-cut" not in sandbox.state.records and b"p-cut" not in ledger.read_bytes()
        restarted = await start_billing_sandbox(BillingSandbox(ledger_path=ledger), port=served.port)
        try:
            assert await client.find("p-cut") is None
            assert (await client.apply(Recharge("p-cut", card, 100))).status == "applied"
        finally:
            await restarted.stop(grace_s=0)


async def test_a_graceful_stop_lets_calls_in_flight_finish() -> None:
    sandbox = BillingSandbox(population=Population(5, 0, 0, 0))
    card = sandbox.state.cards_by_role("active")[0]
    sandbox.set_knobs(latency_ms=200)
    served = await start_billing_sandbox(sandbox)
    async with aiohttp.ClientSession() as http:
        pending = asyncio.create_task(_client(http, served.base_url).apply(Recharge("p-g", card, 100)))
        await _until_in_flight(sandbox)
        await served.stop(grace_s=5)
        assert (await pending).status == "applied"


def test_a_torn_last_line_is_cut_off(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    sandbox = BillingSandbox(ledger_path=ledger, population=Population(3, 0, 0, 0))
    card = sandbox.state.cards_by_role("active")[0]
    sandbox.state.apply(Recharge("t-1", card, 100))
    intact = ledger.read_bytes()
    ledger.write_bytes(intact + b'{"operations":[{"request":')
    reloaded = BillingSandbox(ledger_path=ledger, population=Population(3, 0, 0, 0))
    assert list(reloaded.state.records) == ["t-1"]
    assert ledger.read_bytes() == intact
    reloaded.state.apply(Recharge("t-2", card, 100))
    assert list(BillingSandbox(ledger_path=ledger, population=Population(3, 0, 0, 0)).state.records) == [
        "t-1",
        "t-2",
    ]


def test_a_ledger_from_another_seed_is_refused(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    BillingSandbox(ledger_path=ledger, seed=1, population=Population(3, 0, 0, 0))
    with pytest.raises(ConfigError, match="another seed"):
        BillingSandbox(ledger_path=ledger, seed=2, population=Population(3, 0, 0, 0))


def test_a_corrupt_line_names_the_file_and_line(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    BillingSandbox(ledger_path=ledger, population=Population(3, 0, 0, 0))
    with ledger.open("a", encoding="utf-8") as fh:
        fh.write('{"operations": 5}\n')
    with pytest.raises(ConfigError, match=r"ledger.jsonl:2: operations"):
        BillingSandbox(ledger_path=ledger, population=Population(3, 0, 0, 0))
