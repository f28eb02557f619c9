"""The sandbox's reversals on a bad day: answers lost after undoing, refusals, an older core undoing twice."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from adapters.billing_core import BillingClient
from adapters.billing_core.sandbox import BillingSandbox, RunningSandbox
from bridge.core.errors import Ambiguous, Permanent
from bridge.core.models import Recharge


async def _stats(http: aiohttp.ClientSession, running: RunningSandbox) -> dict[str, object]:
    async with http.get(running.base_url + "/sandbox/stats") as resp:
        return dict(await resp.json())


async def test_a_lost_reversal_answer_was_still_applied_once(
    http: aiohttp.ClientSession, running: RunningSandbox, client: BillingClient
) -> None:
    """The client sees no answer; the lookup shows the operation reversed, and the ledger counts one."""
    state = running.sandbox.state
    card = state.cards_by_role("active", True)[0]
    before = state.accounts[card].balance_fen
    await client.apply(Recharge("r-lost", card, 3000))
    running.sandbox.set_knobs(lose_reversal_answer_rate=1.0)
    with pytest.raises(Ambiguous):
        await client.reverse("r-lost", "refund 1")
    found = await client.find("r-lost")
    assert found is not None and found.status == "reversed"
    assert state.accounts[card].balance_fen == before
    stats = await _stats(http, running)
    assert stats["reversals"] == {"by_request_id": {"r-lost": 1}, "reversed_twice": []}
    assert stats["lost_reversal_answers"] == 1


async def test_an_injected_refusal_changes_nothing(running: RunningSandbox, client: BillingClient) -> None:
    """422 REVERSAL_NOT_ALLOWED, not retryable; the credit stays and the operation stays applied."""
    state = running.sandbox.state
    card = state.cards_by_role("active", True)[1]
    await client.apply(Recharge("r-refused", card, 3000))
    running.sandbox.set_knobs(refuse_reversal_rate=1.0)
    with pytest.raises(Permanent) as refused:
        await client.reverse("r-refused", "refund 2")
    assert refused.value.code == "REVERSAL_NOT_ALLOWED"
    found = await client.find("r-refused")
    assert found is not None and found.status == "applied"
    assert state.reversal_counts() == {}


async def test_a_spent_credit_cannot_be_reversed(running: RunningSandbox, client: BillingClient) -> None:
    """Once the subscriber used the balance, the recharge is not undone (REVERSAL_NOT_ALLOWED)."""
    state = running.sandbox.state
    card = state.cards_by_role("active", True)[2]
    await client.apply(Recharge("r-spent", card, 3000))
    state.spend(card, state.accounts[card].balance_fen)
    with pytest.raises(Permanent) as refused:
        await client.reverse("r-spent", "refund 3")
    assert refused.value.code == "REVERSAL_NOT_ALLOWED"


async def test_an_older_core_reverses_a_repeated_reversal_twice(
    http: aiohttp.ClientSession, running: RunningSandbox, client: BillingClient
) -> None:
    """With dedupe off the second reversal takes the money again, and the ledger shows it reversed twice."""
    state = running.sandbox.state
    card = state.cards_by_role("active", True)[3]
    await client.apply(Recharge("r-twice", card, 3000))
    await client.apply(Recharge("r-other", card, 3000))
    before = state.accounts[card].balance_fen
    running.sandbox.set_knobs(dedupe=False)
    await client.reverse("r-twice", "refund 4")
    await client.reverse("r-twice", "refund 4")
    assert state.accounts[card].balance_fen == before - 6000
    stats = await _stats(http, running)
    assert stats["reversals"] == {"by_request_id": {"r-twice": 2}, "reversed_twice": ["r-twice"]}
    async with http.get(running.base_url + "/sandbox/ledger") as resp:
        rows = {r["request_id"]: r["reversals"] for r in (await resp.json())["operations"]}
    assert rows == {"r-twice": 2, "r-other": 0}


async def test_with_dedupe_a_repeated_reversal_returns_the_reversed_operation(
    running: RunningSandbox, client: BillingClient
) -> None:
    state = running.sandbox.state
    card = state.cards_by_role("active", True)[4]
    await client.apply(Recharge("r-once", card, 3000))
    first = await client.reverse("r-once", "refund 5")
    assert await client.reverse("r-once", "refund 5") == first
    assert state.reversal_counts() == {"r-once": 1}


def test_reversal_counts_survive_a_restart(tmp_path: Path) -> None:
    """The ledger file keeps how many times each operation was undone."""
    ledger = tmp_path / "ledger.jsonl"
    first = BillingSandbox(ledger_path=ledger)
    card = first.state.cards_by_role("active", True)[0]
    first.state.apply(Recharge("r-kept", card, 3000))
    first.state.reverse("r-kept", "refund 6")
    first.state.reverse("r-kept", "refund 6", dedupe=False)
    again = BillingSandbox(ledger_path=ledger)
    assert again.state.reversal_counts() == {"r-kept": 2}
