"""A lease expiring mid-call, forced through the real path: the lease fences the billing call.

Real HTTP to a billing sandbox that does not deduplicate (a resend of an applied
part credits twice, and the ledger shows it), the real store on both engines,
worker A (``rig.deps``) and worker B (the same deps under another owner). The
bridge's clock is moved past A's lease while A's slow apply is in flight.
Timings: billing timeout 6 s, lease 9 s (renewed every 3 s), settle 7 s, a
slow apply lands after 5 s.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters.billing_core.sandbox import BillingKnobs
from bridge.core.states import LineState, OperationState
from bridge.services.deps import Deps
from bridge.services.fulfil import fulfil_due, provision_line
from tests.rig import Rig, open_rig

S, OP = LineState, OperationState
SLOW_APPLY_S = 5.0


@pytest.fixture
async def slow_core(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    async with open_rig(
        tmp_path,
        database=database,
        billing_knobs=BillingKnobs(dedupe=False),
        billing={"timeout_s": 6.0},
        fulfilment={"lease_s": 9.0, "settle_s": 7.0},
    ) as r:
        yield r


def _worker_b(rig: Rig) -> Deps:
    return dataclasses.replace(rig.deps, owner="worker-b")


async def _a_call_in_flight(rig: Rig, tid: str) -> asyncio.Task[int]:
    """Worker A claims the line and starts a slow apply; returns once the line is SUBMITTED."""
    rig.sb.billing.sandbox.set_knobs(slow_apply_rate=1.0, slow_apply_s=SLOW_APPLY_S)
    a = asyncio.create_task(fulfil_due(rig.deps))
    while (await rig.lines(tid))[0].state is not S.SUBMITTED:
        assert not a.done()
        await asyncio.sleep(0.02)
    rig.sb.billing.sandbox.set_knobs(slow_apply_rate=0.0)  # a resend would now land at once
    return a


@pytest.mark.slow  # a real 5 s call with renewals every 3 s: the full suite's, not the quick loop's
async def test_renewal_keeps_a_slow_call_from_being_taken_over(slow_core: Rig) -> None:
    """A's lease runs out on the clock mid-call, but A renews it while the call is in flight:
    B claims nothing and sends nothing; the part is applied once."""
    rig = slow_core
    tid = await rig.planned()
    a = await _a_call_in_flight(rig, tid)
    rig.later(5)  # 4 s of A's 9 s lease left
    await asyncio.sleep(
        3.8
    )  # A's renewal (every 3 s) has run: its lease runs to 14 s; the apply lands at 5 s
    rig.later(5)  # 10 s: A's first lease is over, and so is the settle time of A's send
    b_worked = await fulfil_due(_worker_b(rig))
    assert await a == 1
    assert len(await rig.ledger(tid)) == 1  # credited once: B never resent while A's call was out
    assert b_worked == 0
    [ln] = await rig.lines(tid)
    assert ln.state is S.APPLIED and ln.lease_owner is None


@pytest.mark.slow  # a real 5 s call with renewals every 3 s: the full suite's, not the quick loop's
async def test_a_taken_over_call_writes_nothing_and_the_new_holder_finds_it(slow_core: Rig) -> None:
    """A's lease runs out mid-call and B claims the line before A renews: A's renewal and its
    outcome write are refused (logged), the part stays SENT, B looks it up and finds it applied."""
    rig = slow_core
    tid = await rig.planned()
    with capture_logs() as logs:
        a = await _a_call_in_flight(rig, tid)
        rig.later(60)
        [taken] = await rig.deps.store.lines.claim_lines("worker-b", rig.deps.clock(), 9.0, 1)
        assert await a == 1  # A's slow apply landed and answered
        [ln] = await rig.lines(tid)
        assert ln.state is S.SUBMITTED and ln.operations[0].state == OP.SENT.value
        assert ln.lease_owner == "worker-b"
        await provision_line(_worker_b(rig), taken)
    events = [e["event"] for e in logs]
    assert "lease_renewal_refused" in events and "outcome_refused_lease_moved_on" in events
    assert "reconciled_applied" in events
    [ln] = await rig.lines(tid)
    assert ln.state is S.APPLIED and len(await rig.ledger(tid)) == 1
    _, story = await rig.deps.store.views.trade_story((await rig.deps.store.views.find_trades(tid))[0])
    [done] = [e for e in story if e.kind == "applied"]
    assert done.actor == "worker-b" and done.detail is not None and done.detail["how"] == "reconciled"


async def test_a_claim_with_too_little_lease_left_makes_no_call(tmp_path: Path, database: str) -> None:
    """A 4 s lease cannot outlast a 3 s billing timeout plus the margin, even renewed: no call,
    the part stays PENDING and the line is given back. (The configuration refuses such a lease;
    the check at the call stands on its own all the same.)"""
    async with open_rig(tmp_path, database=database, billing={"timeout_s": 3.0}) as rig:
        tid = await rig.planned()
        short = rig.deps.settings.fulfilment.model_copy(update={"lease_s": 4.0})  # not validated
        settings = rig.deps.settings.model_copy(update={"fulfilment": short})
        deps = dataclasses.replace(rig.deps, settings=settings)
        with capture_logs() as logs:
            await fulfil_due(deps)
        assert "no_call_on_this_lease" in [e["event"] for e in logs]
        assert await rig.ledger(tid) == []
        [ln] = await rig.lines(tid)
        assert ln.state is S.READY and ln.operations[0].state == OP.PENDING.value
        assert ln.lease_owner is None
