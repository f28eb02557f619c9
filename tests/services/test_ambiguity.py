"""Every way a billing call can end without a clear answer, forced one at a time through the real path.

Real HTTP to the billing sandbox, the real store, the services called one pass
at a time with the bridge's clock moved by hand. Most run against an older
billing core that does not deduplicate request_ids, where any resend of an
applied part credits twice: the ledger then shows it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.billing_core.sandbox import BillingKnobs
from bridge.core.models import Operation, OperationResult, Recharge
from bridge.core.states import LineState, OperationState
from bridge.services import cs_actions
from bridge.services.fulfil import fulfil_due, provision_line, to_operation
from bridge.services.intake import poll_all
from tests.rig import Rig, line, open_rig

S, OP = LineState, OperationState
OLD_CORE = BillingKnobs(dedupe=False)


@pytest.fixture
async def old_core(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    """A billing core without deduplication; billing timeout 0.5 s, settle time 3 s, lease 10 s."""
    async with open_rig(
        tmp_path,
        database=database,
        billing_knobs=OLD_CORE,
        billing={"timeout_s": 0.5},
        fulfilment={"settle_s": 3.0},
    ) as r:
        yield r


async def test_kill_between_submitted_and_the_answer_is_looked_up_not_resent(old_core: Rig) -> None:
    """A worker commits SUBMITTED, its call lands, it dies before recording: the next one looks it up."""
    rig, store = old_core, old_core.deps.store
    tid = await rig.planned()
    [ln] = await store.lines.claim_lines("dead-worker", rig.deps.clock(), 10.0, 1)
    op = ln.operations[0]
    assert await store.operations.begin_submit(ln, op, "dead-worker", rig.deps.clock())
    await rig.deps.billing.apply(to_operation(op))  # applied; the answer dies with the worker
    rig.later(11)  # its lease runs out
    await fulfil_due(rig.deps)
    assert len(await rig.ledger(tid)) == 1
    [ln] = await rig.lines(tid)
    assert ln.state is S.APPLIED and ln.operations[0].state == OP.APPLIED


async def test_kill_before_the_call_left_resends_once_settled(old_core: Rig) -> None:
    """SUBMITTED committed, the process died before sending: after the settle time, sent once."""
    rig, store = old_core, old_core.deps.store
    tid = await rig.planned()
    [ln] = await store.lines.claim_lines("dead-worker", rig.deps.clock(), 10.0, 1)
    assert await store.operations.begin_submit(ln, ln.operations[0], "dead-worker", rig.deps.clock())
    rig.later(11)
    await rig.cycle()
    assert len(await rig.ledger(tid)) == 1
    assert (await rig.lines(tid))[0].state is S.DELIVERED


async def test_a_409_after_a_post_is_looked_up_and_applied(rig: Rig) -> None:
    """IDEMPOTENCY_CONFLICT proves the request_id was used: maybe applied, never an EXCEPTION."""
    tid = await rig.planned()
    [ln] = await rig.lines(tid)
    op = to_operation(ln.operations[0])
    assert isinstance(op, Recharge)
    await rig.deps.billing.apply(dataclasses.replace(op, amount_fen=op.amount_fen + 1))
    await fulfil_due(rig.deps)
    [ln] = await rig.lines(tid)
    assert ln.state is S.UNKNOWN and ln.operations[0].state == OP.UNKNOWN
    rig.later(2)
    await fulfil_due(rig.deps)
    [ln] = await rig.lines(tid)
    assert ln.state is S.APPLIED and len(await rig.ledger(tid)) == 1


async def test_a_slow_apply_is_not_resent_while_it_may_still_land(old_core: Rig) -> None:
    """Answered after the client's timeout, 404 while still applying: wait, then find it."""
    rig = old_core
    rig.sb.billing.sandbox.set_knobs(slow_apply_rate=1.0, slow_apply_s=1.5)
    tid = await rig.planned()
    await fulfil_due(rig.deps)  # times out after 0.5 s; the apply lands 1 s later
    assert (await rig.lines(tid))[0].state is S.UNKNOWN
    rig.sb.billing.sandbox.set_knobs(slow_apply_rate=0.0)  # a resend now would land at once
    rig.later(1.5)
    await fulfil_due(rig.deps)  # 404: the first apply is still landing, and the settle time has not passed
    assert await rig.ledger(tid) == []
    await _landed(rig, tid)  # the slow apply lands
    rig.later(3)
    await rig.cycle()
    assert len(await rig.ledger(tid)) == 1
    assert (await rig.lines(tid))[0].state is S.DELIVERED


async def _landed(rig: Rig, tid: str) -> None:
    """Wait until the billing core's ledger holds the trade's slow apply (at most 5 s)."""
    async with asyncio.timeout(5):
        while not await rig.ledger(tid):  # noqa: ASYNC110  # the sandbox offers its ledger, not an event
            await asyncio.sleep(0.05)


class _LaggingBilling:
    """The billing port on a host so busy that a request leaves ``lag_s`` after its send was committed."""

    def __init__(self, rig: Rig, lag_s: float) -> None:
        self._rig, self._lag_s = rig, lag_s

    async def apply(self, op: Operation) -> OperationResult:
        self._rig.later(self._lag_s)  # the event loop was busy: time passed before the request left
        return await self._rig.deps.billing.apply(op)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rig.deps.billing, name)


async def test_the_settle_time_counts_from_when_the_bridge_gave_up_waiting(old_core: Rig) -> None:
    """The request left 2.5 s after SUBMITTED, timed out, and its apply is still landing: by the send
    time the settle time has passed, by the give-up time it has not, so the 404 is not trusted."""
    rig = old_core
    rig.sb.billing.sandbox.set_knobs(slow_apply_rate=1.0, slow_apply_s=1.5)
    tid = await rig.planned()
    busy = dataclasses.replace(rig.deps, billing=_LaggingBilling(rig, 2.5))  # type: ignore[arg-type]
    await fulfil_due(busy)  # sent, left 2.5 s later, timed out after 0.5 s; lands 1 s after that
    assert (await rig.lines(tid))[0].state is S.UNKNOWN
    rig.sb.billing.sandbox.set_knobs(slow_apply_rate=0.0)  # a resend now would land at once
    rig.later(1.2)  # due again: 4.2 s after the send (settle time 3 s), 1.2 s after giving up
    await fulfil_due(rig.deps)  # 404 while the first apply is still landing: not trusted yet
    assert await rig.ledger(tid) == []
    await _landed(rig, tid)  # the slow apply lands
    rig.later(3)
    await rig.cycle()
    assert len(await rig.ledger(tid)) == 1
    assert (await rig.lines(tid))[0].state is S.DELIVERED


async def test_retries_exhausted_only_after_a_final_lookup(tmp_path: Path, database: str) -> None:
    """The last attempt's answer was lost but it was applied: the final lookup finds it, no EXCEPTION."""
    async with open_rig(tmp_path, database=database, fulfilment={"max_attempts": 1}) as rig:
        rig.sb.billing.sandbox.set_knobs(lose_answer_rate=1.0)
        tid = await rig.planned()
        await fulfil_due(rig.deps)
        [ln] = await rig.lines(tid)
        assert (ln.state, ln.attempts) == (S.UNKNOWN, 1)
        rig.sb.billing.sandbox.set_knobs(lose_answer_rate=0.0)
        rig.later(2)
        await fulfil_due(rig.deps)
        [ln] = await rig.lines(tid)
        assert ln.state is S.APPLIED and len(await rig.ledger(tid)) == 1


async def test_retries_exhausted_after_a_trusted_not_found_frees_the_line(
    tmp_path: Path, database: str
) -> None:
    """Out of attempts and never applied (404 after the settle time): EXCEPTION, the part PENDING again."""
    async with open_rig(tmp_path, database=database, fulfilment={"max_attempts": 1}) as rig:
        tid = await rig.planned()
        [ln] = await rig.deps.store.lines.claim_lines("w", rig.deps.clock(), 10.0, 1)
        op = ln.operations[0]
        assert await rig.deps.store.operations.begin_submit(ln, op, "w", rig.deps.clock())
        await rig.deps.store.operations.record_unknown(
            ln, op, error="timeout", actor="w", now=rig.deps.clock(), next_at=rig.deps.clock()
        )
        await fulfil_due(rig.deps)  # not settled yet: waits
        assert (await rig.lines(tid))[0].state is S.UNKNOWN
        rig.later(7)
        await fulfil_due(rig.deps)
        [ln] = await rig.lines(tid)
        assert (ln.state, ln.reason, ln.operations[0].state) == (S.EXCEPTION, "RETRIES_EXHAUSTED", OP.PENDING)
        assert await rig.ledger(tid) == []


class _StopAfterFirstApply:
    """The billing port, with stop asked as soon as one call has returned."""

    def __init__(self, rig: Rig) -> None:
        self._rig = rig

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rig.deps.billing, name)

    async def apply(self, op: Operation) -> OperationResult:
        result = await self._rig.deps.billing.apply(op)
        self._rig.deps.runtime.stopping.set()
        return result


async def test_no_new_part_is_started_after_stop_was_asked(rig: Rig) -> None:
    """3 x 2000 yuan is two parts: stop asked while the first is in flight, the second waits for a restart."""
    tid = await rig.planned(line("TV-RC-2000", "2000.00", 3))
    stopping = dataclasses.replace(rig.deps, billing=_StopAfterFirstApply(rig))
    await fulfil_due(stopping)
    assert [o["amount_fen"] for o in await rig.ledger(tid)] == [500000]
    [ln] = await rig.lines(tid)
    assert [o.state for o in ln.operations] == [OP.APPLIED, OP.PENDING]
    rig.deps.runtime.stopping.clear()  # the next process
    await fulfil_due(rig.deps)
    assert [o["amount_fen"] for o in await rig.ledger(tid)] == [500000, 100000]


class _CancelledOnReturn:
    """The billing port, with the caller's task cancelled (shutdown grace over) just as the answer arrives."""

    def __init__(self, rig: Rig) -> None:
        self._rig = rig

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rig.deps.billing, name)

    async def apply(self, op: Operation) -> OperationResult:
        result = await self._rig.deps.billing.apply(op)
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        return result


async def test_the_outcome_of_a_returned_call_is_written_even_when_cancelled(rig: Rig) -> None:
    """Cancelled as the answer arrives: the APPLIED has landed in the store when the task ends."""
    tid = await rig.planned()
    [ln] = await rig.deps.store.lines.claim_lines(rig.deps.owner, rig.deps.clock(), 10.0, 1)
    cancelled = dataclasses.replace(rig.deps, billing=_CancelledOnReturn(rig))
    with pytest.raises(asyncio.CancelledError):
        await provision_line(cancelled, ln)
    [ln] = await rig.lines(tid)
    assert ln.state is S.APPLIED and ln.operations[0].state == OP.APPLIED


async def _maybe_credited_exception(rig: Rig) -> int:
    """A line whose call went out (SENT, no answer recorded) and that then went to a person; its tid."""
    tid = await rig.planned()
    store = rig.deps.store
    [ln] = await store.lines.claim_lines("w", rig.deps.clock(), 10.0, 1)
    assert await store.operations.begin_submit(ln, ln.operations[0], "w", rig.deps.clock())
    await rig.deps.billing.apply(to_operation(ln.operations[0]))
    await store.operations.record_exception(
        ln, reason="BILLING_REJECTED", message="x", actor="w", now=rig.deps.clock(), memo=None
    )
    return tid


async def test_cs_cannot_cancel_a_line_that_may_have_been_credited(rig: Rig) -> None:
    """Cancel for refund is refused (credited and refunded is the risk); the reversal path is offered."""
    tid = await _maybe_credited_exception(rig)
    [ln] = await rig.lines(tid)
    outcome = await cs_actions.cancel_refund(rig.deps, "cs", ln.id, "buyer asked")
    assert (outcome.status, outcome.code) == ("refused", "maybe_applied")
    assert (await rig.lines(tid))[0].state is S.EXCEPTION
    outcome = await cs_actions.refund_by_reversal(rig.deps, "cs", ln.id, "buyer asked")
    assert (outcome.status, outcome.code) == ("done", "reversal_pending")
    assert (await rig.lines(tid))[0].state is S.REVERSAL_PENDING


async def test_an_automatic_refund_never_cancels_a_line_that_may_have_been_credited(rig: Rig) -> None:
    """The buyer is refunded in the shop: the line goes to CS for a reversal, not to CANCELLED."""
    tid = await _maybe_credited_exception(rig)
    [ln] = await rig.lines(tid)
    await rig.refund(tid, ln.oid, "success")
    rig.later(5)
    await poll_all(rig.deps)
    [ln] = await rig.lines(tid)
    assert ln.state is S.REVERSAL_PENDING and len(await rig.ledger(tid)) == 1
