"""The sandbox as an older or overloaded billing core: no deduplication, applies that land late."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from adapters.billing_core import BillingClient
from adapters.billing_core.sandbox import BillingKnobs, BillingSandbox, RunningSandbox
from bridge.core.errors import Ambiguous
from bridge.core.models import Recharge


def _client(http: aiohttp.ClientSession, running: RunningSandbox, timeout_s: float) -> BillingClient:
    sandbox = running.sandbox
    return BillingClient(
        http, base_url=running.base_url, api_key=sandbox.api_key, secret=sandbox.secret, timeout_s=timeout_s
    )


async def test_without_dedupe_the_same_request_id_is_applied_twice(
    http: aiohttp.ClientSession, running: RunningSandbox, client: BillingClient
) -> None:
    """An older core credits a repeated request_id again, as a new operation in its ledger."""
    card = running.sandbox.state.cards_by_role("active", True)[0]
    before = running.sandbox.state.accounts[card].balance_fen
    running.sandbox.set_knobs(dedupe=False)
    first = await client.apply(Recharge("k-twice", card, 5000))
    second = await client.apply(Recharge("k-twice", card, 5000))
    assert first.operation_id != second.operation_id
    assert running.sandbox.state.accounts[card].balance_fen == before + 10000
    async with http.get(running.base_url + "/sandbox/ledger") as resp:
        rows = [r for r in (await resp.json())["operations"] if r["request_id"] == "k-twice"]
    assert [r["repeat"] for r in rows] == [False, True]
    found = await client.find("k-twice")
    assert found is not None and found.operation_id in {first.operation_id, second.operation_id}
    assert running.sandbox.stats()["operations"]["repeated"] == 1


async def test_with_dedupe_on_the_same_request_id_is_applied_once(
    running: RunningSandbox, client: BillingClient
) -> None:
    """The default: the same request_id answers the original operation and credits nothing more."""
    card = running.sandbox.state.cards_by_role("active", True)[0]
    first = await client.apply(Recharge("k-once", card, 5000))
    assert await client.apply(Recharge("k-once", card, 5000)) == first
    assert running.sandbox.state.repeats == []


async def test_a_slow_apply_lands_after_the_clients_timeout_and_is_404_until_then(
    http: aiohttp.ClientSession, running: RunningSandbox, client: BillingClient
) -> None:
    """The client gives up; the lookup says 404 while it is applying; then the operation is there."""
    card = running.sandbox.state.cards_by_role("active", True)[0]
    running.sandbox.set_knobs(slow_apply_rate=1.0, slow_apply_s=1.0)
    impatient = _client(http, running, timeout_s=0.3)
    with pytest.raises(Ambiguous):
        await impatient.apply(Recharge("k-slow", card, 5000))
    assert await client.find("k-slow") is None  # still being applied
    await asyncio.sleep(1.0)
    found = await client.find("k-slow")
    assert found is not None and found.balance_fen == running.sandbox.state.accounts[card].balance_fen
    assert running.sandbox.stats()["slow_applies"] == 1


def test_slow_apply_knobs_roll_nothing_while_off() -> None:
    """Off by default: no apply is delayed, and the seeded dice stay as they were for other knobs."""
    sandbox = BillingSandbox(knobs=BillingKnobs(slow_apply_s=5.0))
    state = sandbox.traffic.rng.getstate()
    assert sandbox.traffic.apply_delay_s() == 0.0
    assert sandbox.traffic.rng.getstate() == state


def test_repeats_survive_a_restart(tmp_path: Path) -> None:
    """The ledger file keeps a repeated apply apart from the first, so a restarted sandbox counts both."""
    ledger = tmp_path / "ledger.jsonl"
    first = BillingSandbox(ledger_path=ledger)
    card = first.state.cards_by_role("active", True)[0]
    first.state.apply(Recharge("k-r", card, 100))
    first.state.apply(Recharge("k-r", card, 100), dedupe=False)
    again = BillingSandbox(ledger_path=ledger)
    assert [r.repeat for r in again.state.ledger()] == [False, True]
    assert again.state.accounts[card].balance_fen == first.state.accounts[card].balance_fen
