"""The store's reversals on both engines: decided with its parts in one transaction, each part's
progress fenced by the line's lease, the last part moving the line to REVERSED."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bridge.core.reasons import memo_for
from bridge.core.records import LineRecord
from bridge.core.reversals import PartState, parts_to_reverse
from bridge.core.states import LineState
from bridge.store import SqlStore, open_store
from tests.factories import CARD, applied, later, recharge, trade
from tests.store.test_store import NOW

S, P = LineState, PartState


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


async def _waiting(store: SqlStore) -> LineRecord:
    """A two-part line applied, then refunded: REVERSAL_PENDING."""
    [line] = await store.intake.save_trade("main", trade(), NOW, "t")
    ids = ["main:1001:2001:0", "main:1001:2001:1"]
    assert await store.lines.mark_ready(
        line,
        [recharge(i) for i in ids],
        card_no=CARD,
        product_code="RC-0100",
        product_name="100元",
        delivery_mode="topup",
        mapping_version="v1",
        now=NOW,
        actor="t",
    )
    [claimed] = await store.lines.claim_lines("w", NOW, 30, 10)
    for op in claimed.operations:
        assert await store.operations.begin_submit(claimed, op, "w", NOW)
        moved = await store.operations.record_applied(claimed, op, applied(op.request_id), "w", NOW)
        assert moved is not None
        claimed = moved
    found = await store.console.line_by_id(claimed.id)
    assert found is not None and found.state is S.APPLIED
    assert await store.moves.refund_after_delivery(
        found, detail={}, memo=memo_for(found.oid, "REFUND_AFTER_DELIVERY"), now=NOW, actor="t"
    )
    waiting = await store.console.line_by_id(found.id)
    assert waiting is not None and waiting.state is S.REVERSAL_PENDING
    return waiting


async def test_a_decided_reversal_writes_its_parts_with_the_move_and_only_once(store: SqlStore) -> None:
    line = await _waiting(store)
    parts = parts_to_reverse(line)
    assert await store.reversals.request_reversal(line, parts, approval=False, note="n", now=NOW, actor="cs")
    assert not await store.reversals.request_reversal(
        line, parts, approval=False, note="n", now=NOW, actor="cs"
    )
    found = await store.reversals.reversal_parts(line.id)
    assert [(p.part, p.state) for p in found] == [(0, P.PENDING), (1, P.PENDING)]


async def test_a_request_above_the_threshold_writes_no_parts_until_approved(store: SqlStore) -> None:
    line = await _waiting(store)
    parts = parts_to_reverse(line)
    assert await store.reversals.request_reversal(line, parts, approval=True, note="n", now=NOW, actor="cs")
    assert await store.reversals.reversal_parts(line.id) == []
    requested = await store.console.line_by_id(line.id)
    assert requested is not None and requested.reason == "REVERSAL_APPROVAL"
    assert await store.reversals.approve_reversal(requested, parts, note="ok", now=NOW, actor="admin")
    assert not await store.reversals.reject_reversal(requested, reason="late", now=NOW, actor="admin")
    assert len(await store.reversals.reversal_parts(line.id)) == 2


async def test_a_stale_workers_part_writes_change_nothing(store: SqlStore) -> None:
    """Once the line was claimed again, the first claim's SENT and outcomes are refused."""
    line = await _waiting(store)
    await store.reversals.request_reversal(
        line, parts_to_reverse(line), approval=False, note="", now=NOW, actor="cs"
    )
    [stale] = await store.lines.claim_lines("w1", NOW, 30, 10, states=(S.REVERSING,))
    [fresh] = await store.lines.claim_lines("w2", later(NOW, 31), 30, 10, states=(S.REVERSING,))
    part, _ = await store.reversals.reversal_parts(line.id)
    assert not await store.reversals.reversal_sent(stale, part, later(NOW, 31), "w1")
    done = await store.reversals.part_done(
        stale, part, P.REVERSED, operation_id="X", how="t", now=NOW, actor="w1"
    )
    assert done is None
    assert (await store.reversals.reversal_parts(line.id))[0].state is P.PENDING
    assert await store.reversals.reversal_sent(fresh, part, later(NOW, 32), "w2")
    assert (await store.reversals.reversal_parts(line.id))[0].state is P.SENT


async def test_the_last_part_reversed_moves_the_line_and_a_refusal_sends_it_back(store: SqlStore) -> None:
    line = await _waiting(store)
    await store.reversals.request_reversal(
        line, parts_to_reverse(line), approval=False, note="", now=NOW, actor="cs"
    )
    [claimed] = await store.lines.claim_lines("w", NOW, 30, 10, states=(S.REVERSING,))
    first, second = await store.reversals.reversal_parts(line.id)
    after = await store.reversals.part_done(
        claimed, first, P.REVERSED, operation_id="A", how="t", now=NOW, actor="w"
    )
    assert after is S.REVERSING
    refused = await store.reversals.reversal_refused(
        claimed, second, code="REVERSAL_NOT_ALLOWED", message="spent", now=NOW, actor="w"
    )
    assert refused
    back = await store.console.line_by_id(line.id)
    assert back is not None and (back.state, back.reason, back.reason_detail) == (
        S.REVERSAL_PENDING,
        "REVERSAL_NOT_ALLOWED",
        "spent",
    )
    # asked again: the reversed part stays reversed, the refused one is tried again
    assert await store.reversals.request_reversal(
        back, parts_to_reverse(back), approval=False, note="", now=NOW, actor="cs"
    )
    assert [p.state for p in await store.reversals.reversal_parts(line.id)] == [P.REVERSED, P.PENDING]
    [again] = await store.lines.claim_lines("w", later(NOW, 1), 30, 10, states=(S.REVERSING,))
    _, second = await store.reversals.reversal_parts(line.id)
    after = await store.reversals.part_done(
        again, second, P.REVERSED, operation_id="B", how="t", now=NOW, actor="w"
    )
    assert after is S.REVERSED
