"""The channels' callbacks on /metrics: pending, failing and the oldest's age by client, the alert's
threshold, and the sender's tries by outcome."""

from __future__ import annotations

from pathlib import Path

from bridge.metrics import BridgeMetrics
from tests.composition.test_metrics import _scrape, _values
from tests.factories import queue_delivered_callback
from tests.rig import open_rig

HALL = (("client", "hall"),)


async def test_pending_callbacks_are_served_by_client_with_the_oldest_s_age(
    tmp_path: Path, database: str
) -> None:
    """None pending: no sample; two queued 10 minutes apart, one tried and failed: 2 pending, 1 failing,
    the oldest 15 minutes old; the threshold is [api] callback_alert_after_s."""
    bundle = BridgeMetrics()
    async with open_rig(tmp_path, database=database, metrics=bundle.recorder) as rig:
        before = _values(await _scrape(bundle, rig))
        await queue_delivered_callback(rig.deps, "H-1")
        rig.later(600)
        await queue_delivered_callback(rig.deps, "H-2")
        [first] = await rig.deps.store.api_callbacks.claim_due("me", rig.deps.clock(), 30, 1)
        await rig.deps.store.api_callbacks.record_failure(first.id, "me", 500, "HTTP 500", rig.deps.clock())
        rig.later(300)
        after = _values(await _scrape(bundle, rig))
    assert ("bridge_api_callbacks_pending", HALL) not in before
    assert after[("bridge_api_callbacks_pending", HALL)] == 2
    assert after[("bridge_api_callbacks_failing", HALL)] == 1
    assert 899 <= after[("bridge_api_callbacks_oldest_pending_seconds", HALL)] <= 901
    assert after[("bridge_api_callback_alert_after_seconds", ())] == 900


async def test_the_tries_counter_starts_at_zero_for_each_outcome(tmp_path: Path) -> None:
    """acknowledged, refused and no_answer are there from the start, so the first try counts in increase()."""
    bundle = BridgeMetrics()
    async with open_rig(tmp_path, metrics=bundle.recorder) as rig:
        values = _values(await _scrape(bundle, rig))
    for outcome in ("acknowledged", "refused", "no_answer"):
        assert values[("bridge_api_callback_attempts_total", (("outcome", outcome),))] == 0
