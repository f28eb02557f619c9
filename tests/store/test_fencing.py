"""The lease as a fence: every claim a new token; renewals, releases and outcome writes checked on it.

Both engines. Worker ``w1`` claims a line, its lease runs out and ``w2`` (or
``w1`` itself, from another task of the same process) claims it again: every
write made with the first claim's record is refused and changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bridge.core.records import Applied, LineRecord
from bridge.core.states import LineState, OperationState
from bridge.store import SqlStore, open_store
from tests.factories import CARD, applied, later, order_line, recharge, trade
from tests.store.test_store import NOW

S, OP = LineState, OperationState


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


async def _claimed(store: SqlStore, owner: str = "w1") -> LineRecord:
    """A READY one-part line claimed by ``owner`` at NOW with a 30 s lease."""
    [line] = await store.intake.save_trade("main", trade(), NOW, "t")
    assert await store.lines.mark_ready(
        line,
        [recharge("main:1001:2001:0")],
        card_no=CARD,
        product_code="RC-0100",
        product_name="100元",
        delivery_mode="topup",
        mapping_version="v1",
        now=NOW,
        actor="t",
    )
    [claimed] = await store.lines.claim_lines(owner, NOW, 30, 10)
    return claimed


async def test_every_claim_is_a_new_generation(store: SqlStore) -> None:
    """The claimed record carries its owner and a token one higher than the last claim's."""
    first = await _claimed(store)
    [second] = await store.lines.claim_lines("w1", later(NOW, 31), 30, 10)
    assert (first.lease_owner, second.lease_owner) == ("w1", "w1")
    assert second.lease_token == first.lease_token + 1


@pytest.mark.parametrize("taker", ["w2", "w1"])
async def test_a_stale_owners_renewal_fails(store: SqlStore, taker: str) -> None:
    """Once the line was claimed again (by another worker, or another task of the same process),
    the first claim's renewal changes nothing; the new holder's renewal works."""
    stale = await _claimed(store)
    [taken] = await store.lines.claim_lines(taker, later(NOW, 31), 30, 10)
    assert not await store.lines.renew_lease(stale, later(NOW, 32), 30)
    assert await store.lines.claim_lines("w3", later(NOW, 50), 30, 10) == []  # the new lease still runs
    assert await store.lines.renew_lease(taken, later(NOW, 40), 30)
    assert await store.lines.claim_lines("w3", later(NOW, 65), 30, 10) == []  # renewed to NOW + 70


async def test_an_expired_lease_is_not_renewed(store: SqlStore) -> None:
    """A lease that ran out is not brought back, even if nobody took the line meanwhile."""
    line = await _claimed(store)
    assert not await store.lines.renew_lease(line, later(NOW, 31), 30)


async def test_no_call_on_a_lease_shorter_than_the_call(store: SqlStore) -> None:
    """SUBMITTED is refused while the lease would run out within ``need_s``; the part stays PENDING."""
    line = await _claimed(store)
    [op] = line.operations
    assert not await store.operations.begin_submit(line, op, "w1", later(NOW, 25), need_s=5)
    [now] = await store.delivery.trade_lines(line.trade_id)
    assert now.state is S.READY and now.operations[0].state == OP.PENDING.value
    assert await store.operations.begin_submit(line, op, "w1", later(NOW, 24), need_s=5)


@pytest.mark.parametrize("taker", ["w2", "w1"])
async def test_outcomes_after_a_takeover_are_refused_and_the_part_stays_sent(
    store: SqlStore, taker: str
) -> None:
    """w1 sent the call, its lease ran out and the line was claimed again (by w2, or by w1's own
    process): the first claim's outcome writes all fail, the part stays SENT (the new holder
    looks it up), and the new lease is left alone."""
    line = await _claimed(store)
    [op] = line.operations
    assert await store.operations.begin_submit(line, op, "w1", NOW)
    [taken] = await store.lines.claim_lines(taker, later(NOW, 31), 30, 10)
    at = later(NOW, 32)
    assert await store.operations.record_applied(line, op, applied(op.request_id), "w1", at) is None
    assert not await store.operations.record_unknown(line, op, error="x", actor="w1", now=at, next_at=at)
    assert not await store.operations.record_retry(
        line, op, error="x", actor="w1", now=at, next_at=at, count_attempt=True, refused=True
    )
    assert not await store.operations.record_exception(
        line, reason="X", message="x", actor="w1", now=at, memo=None
    )
    assert not await store.lines.release(line)
    [now] = await store.delivery.trade_lines(line.trade_id)
    assert now.state is S.SUBMITTED and now.operations[0].state == OP.SENT.value
    assert (now.lease_owner, now.lease_token, now.attempts) == (taker, taken.lease_token, 0)
    assert await store.operations.record_applied(taken, op, applied(op.request_id), taker, at) is not None


async def test_applied_parts_of_several_lines_are_recorded_together_each_on_its_own_lease(
    store: SqlStore,
) -> None:
    """Three lines' calls returned together: one write records them all, and the line whose lease
    another worker took meanwhile is refused alone (its part stays SENT for the new holder)."""
    saved = [
        (await store.intake.save_trade("main", trade(1001 + n, order_line(2001 + n)), NOW, "t"))[0]
        for n in range(3)
    ]
    for n, line in enumerate(saved):
        assert await store.lines.mark_ready(
            line,
            [recharge(f"main:{1001 + n}:{2001 + n}:0")],
            card_no=CARD,
            product_code="RC-0100",
            product_name="100元",
            delivery_mode="topup",
            mapping_version="v1",
            now=NOW,
            actor="t",
        )
    claimed = sorted(await store.lines.claim_lines("w1", NOW, 30, 10), key=lambda ln: ln.id)
    for line in claimed:
        assert await store.operations.begin_submit(line, line.operations[0], "w1", NOW)
    stolen = claimed[1]
    await store.lines.release(stolen)
    [taken] = await store.lines.claim_lines("w2", later(NOW, 1), 30, 10)
    assert taken.id == stolen.id
    at = later(NOW, 2)
    results = await store.operations.record_applied_many(
        [Applied(ln, ln.operations[0], applied(ln.operations[0].request_id)) for ln in claimed], "w1", at
    )
    assert [r is None for r in results] == [False, True, False]
    assert all(r.state is S.APPLIED and r.lease_owner is None for r in results if r is not None)
    states = {}
    for line in claimed:
        [now] = await store.delivery.trade_lines(line.trade_id)
        states[now.id] = (now.state, now.operations[0].state)
    assert states == {
        claimed[0].id: (S.APPLIED, OP.APPLIED.value),
        stolen.id: (S.SUBMITTED, OP.SENT.value),
        claimed[2].id: (S.APPLIED, OP.APPLIED.value),
    }
