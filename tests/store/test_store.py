"""The store on SQLite and on PostgreSQL: uniqueness, leases, fencing, transitions and delivery state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bridge.core.models import Recharge
from bridge.core.reasons import Memo
from bridge.core.states import IllegalTransition, LineState
from bridge.core.trades import Severity
from bridge.store import SqlStore, open_store
from tests.factories import CARD, applied, later, order_line, recharge, trade

S = LineState
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


async def _ready_line(store: SqlStore, parts: int = 1):  # type: ignore[no-untyped-def]
    [line] = await store.intake.save_trade("main", trade(), NOW, "t")
    ops = [recharge(f"main:1001:2001:{k}") for k in range(parts)]
    assert await store.lines.mark_ready(
        line,
        ops,
        card_no=CARD,
        product_code="RC-0100",
        product_name="100元",
        delivery_mode="topup",
        mapping_version="v1",
        now=NOW,
        actor="t",
    )
    [claimed] = await store.lines.claim_lines("w1", NOW, 30, 10)
    return claimed


async def test_saving_a_trade_twice_stores_each_line_once(store: SqlStore) -> None:
    """Re-reading a trade (overlap, push + poll) never duplicates a line or its RECEIVED event."""
    t = trade(1001, order_line(2001), order_line(2002))
    first = await store.intake.save_trade("main", t, NOW, "t")
    second = await store.intake.save_trade("main", t, later(NOW, 5), "t")
    assert [ln.id for ln in first] == [ln.id for ln in second]
    _, events = await store.views.trade_story((await store.views.find_trades("1001"))[0])
    assert [e.kind for e in events].count("received") == 2


async def test_same_tid_in_two_shops_is_two_trades(store: SqlStore) -> None:
    await store.intake.save_trade("a", trade(1001), NOW, "t")
    await store.intake.save_trade("b", trade(1001), NOW, "t")
    assert len(await store.views.find_trades("1001")) == 2


async def test_a_live_lease_is_never_taken_over(store: SqlStore) -> None:
    """A second worker gets nothing while the first one's lease runs, and the line after it expires."""
    line = await _ready_line(store)
    assert await store.lines.claim_lines("w2", later(NOW, 10), 30, 10) == []
    [taken] = await store.lines.claim_lines("w2", later(NOW, 31), 30, 10)
    assert taken.id == line.id


async def test_submit_is_fenced_by_the_lease(store: SqlStore) -> None:
    """A worker whose lease expired (and was taken over) cannot start a billing call."""
    line = await _ready_line(store)
    [taken] = await store.lines.claim_lines("w2", later(NOW, 31), 30, 10)
    assert taken.lease_token == line.lease_token + 1
    assert not await store.operations.begin_submit(line, line.operations[0], "w1", later(NOW, 32))
    assert not await store.operations.begin_submit(taken, line.operations[0], "w1", later(NOW, 32))
    assert await store.operations.begin_submit(taken, line.operations[0], "w2", later(NOW, 32))


async def test_line_is_applied_only_when_every_part_is(store: SqlStore) -> None:
    """A split recharge becomes APPLIED after its last part, and only then is the trade due for write-back."""
    line = await _ready_line(store, parts=2)
    op0, op1 = line.operations
    assert await store.operations.begin_submit(line, op0, "w1", NOW)
    line = await store.operations.record_applied(line, op0, applied(op0.request_id), "w1", NOW)
    assert line.state is S.SUBMITTED
    assert (await store.views.find_trades("1001"))[0].delivery_state == "OPEN"
    assert await store.operations.begin_submit(line, op1, "w1", NOW)
    line = await store.operations.record_applied(line, op1, applied(op1.request_id), "w1", NOW)
    assert line.state is S.APPLIED
    [due] = await store.delivery.claim_trades("w1", NOW, 30, 10)
    await store.delivery.trade_delivered(due, outcome="shipped", actor="w1", now=NOW)
    [done] = await store.delivery.trade_lines(due.id)
    assert done.state is S.DELIVERED
    assert (await store.views.find_trades("1001"))[0].delivery_state == "DELIVERED"


async def test_a_trade_is_recorded_delivered_once(store: SqlStore) -> None:
    """Two writers (one whose lease ran out mid-call) record the write-back: one trade_delivered event."""
    line = await _ready_line(store)
    [op] = line.operations
    assert await store.operations.begin_submit(line, op, "w1", NOW)
    await store.operations.record_applied(line, op, applied(op.request_id), "w1", NOW)
    [due] = await store.delivery.claim_trades("w1", NOW, 30, 10)
    await store.delivery.trade_delivered(due, outcome="shipped", actor="w1", now=NOW)
    await store.delivery.trade_delivered(due, outcome="already shipped", actor="w2", now=later(NOW, 40))
    _, story = await store.views.trade_story((await store.views.find_trades("1001"))[0])
    assert [e.actor for e in story if e.kind == "trade_delivered"] == ["w1"]


async def test_request_ids_survive_replanning(store: SqlStore) -> None:
    """A line sent back to RECEIVED and planned again keeps its request_ids."""
    line = await _ready_line(store)
    await store.operations.record_exception(
        line, reason="SUBSCRIBER_NOT_FOUND", message="x", actor="t", now=NOW, memo=None
    )
    [line] = await store.delivery.trade_lines(line.trade_id)
    assert await store.moves.move(line, S.RECEIVED, now=NOW, actor="cs")
    [line] = await store.delivery.trade_lines(line.trade_id)
    new_op = Recharge(request_id="main:1001:2001:0", card_no="8371000099999999", amount_fen=10000)
    assert await store.lines.mark_ready(
        line,
        [new_op],
        card_no="8371000099999999",
        product_code="RC-0100",
        product_name="100元",
        delivery_mode="topup",
        mapping_version="v2",
        now=NOW,
        actor="cs",
    )
    [line] = await store.delivery.trade_lines(line.trade_id)
    assert [op.request_id for op in line.operations] == ["main:1001:2001:0"]
    assert line.operations[0].payload["card_no"] == "8371000099999999"


async def test_illegal_transition_is_refused(store: SqlStore) -> None:
    [line] = await store.intake.save_trade("main", trade(), NOW, "t")
    with pytest.raises(IllegalTransition):
        await store.moves.move(line, S.DELIVERED, now=NOW, actor="t")


async def test_move_from_a_stale_state_changes_nothing(store: SqlStore) -> None:
    """A move whose source state is no longer current returns False (someone else moved the line)."""
    [line] = await store.intake.save_trade("main", trade(), NOW, "t")
    assert await store.moves.move(line, S.HELD, now=NOW, actor="a")
    assert not await store.moves.move(line, S.EXCEPTION, now=NOW, actor="b", frm=(S.RECEIVED,))


async def test_exception_queues_one_memo_per_reason(store: SqlStore) -> None:
    [line] = await store.intake.save_trade("main", trade(), NOW, "t")
    memo = Memo("2001:CARD_MISSING", "[自动发货] 子订单2001：无卡号", Severity.ACT)
    assert await store.operations.record_exception(
        line, reason="CARD_MISSING", message="m", actor="t", now=NOW, memo=memo
    )
    [m] = await store.delivery.claim_memos(NOW, 10)
    assert m.flag == "act" and m.text.startswith("[自动发货]")
    assert await store.delivery.claim_memos(NOW, 10) == []  # held while being written


async def test_watermark_never_moves_backwards(store: SqlStore) -> None:
    lease = await store.pollers.take_poller("main", "p", now=NOW, until=later(NOW, 120))
    until = later(NOW, 120)
    assert await store.intake.save_watermark(
        "main", NOW, owner="p", token=lease.token, started=NOW, now=NOW, until=until
    )
    assert await store.intake.save_watermark(
        "main", later(NOW, -60), owner="p", token=lease.token, started=NOW, now=NOW, until=until
    )
    assert await store.intake.watermark("main") == NOW
