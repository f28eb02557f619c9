"""Moves and saves in batches: each line still decided on its own state and lease, on both engines.

``move_lines`` writes alike moves of several lines in one statement; a line
whose state or lease no longer allows its move is left as it is, and the
others move all the same. ``save_trades`` stores a page as ``save_trade``
stores each trade.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.store import SqlStore, open_store
from bridge.store.schema import events, trades
from bridge.store.transitions import Move, _set_lines_statement, move_lines
from tests.factories import order_line, trade
from tests.store.test_store import NOW

S = LineState


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


async def _received(store: SqlStore, *tids: int) -> list[LineRecord]:
    stored = await store.intake.save_trades(
        "main", [trade(tid, order_line(tid * 10)) for tid in tids], NOW, "t"
    )
    return [line for s in stored for line in s.lines]


async def _events(store: SqlStore, kind: str) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).where(events.c.kind == kind))).scalar_one())


async def test_a_page_is_stored_like_each_trade_and_a_second_read_adds_nothing(store: SqlStore) -> None:
    """Three trades in one call: three RECEIVED lines, three ``received`` events; the overlap's
    re-read stores no line twice and reports no newer read."""
    lines = await _received(store, 1, 2, 3)
    assert [(ln.tid, ln.state) for ln in lines] == [("1", S.RECEIVED), ("2", S.RECEIVED), ("3", S.RECEIVED)]
    again = await store.intake.save_trades(
        "main", [trade(2, order_line(20)), trade(1, order_line(10))], NOW, "t"
    )
    assert [[ln.id for ln in s.lines] for s in again] == [[lines[1].id], [lines[0].id]]
    assert not any(s.newer_stored for s in again)
    assert await _events(store, "received") == 3


async def test_alike_moves_of_several_lines_each_move_once(store: SqlStore) -> None:
    """Three lines moved together, one of them already moved on: the other two move, one event each."""
    first, second, third = await _received(store, 1, 2, 3)
    async with store.engine.begin() as conn:
        [gone] = await move_lines(conn, [Move(second, S.HELD, "refund")], now=NOW, actor="t")
        moves = [Move(ln, S.CANCELLED, "refund") for ln in (first, second, third)]
        moved = await move_lines(conn, moves, now=NOW, actor="t")
    assert gone.left == "RECEIVED"
    assert [(m.left, m.state) for m in moved] == [
        ("RECEIVED", S.CANCELLED),
        (None, S.HELD),
        ("RECEIVED", S.CANCELLED),
    ]
    assert await _events(store, "refund") == 3


async def test_one_lost_fence_does_not_undo_the_others(store: SqlStore) -> None:
    """Fenced moves of three lines, one read with a lease token that is no longer its own: the two
    others move, the third is reported not held and stays as it was."""
    first, second, third = await _received(store, 1, 2, 3)
    stale = replace(second, lease_token=second.lease_token + 1)
    moves = [Move(ln, S.CANCELLED, "refund", fenced=True) for ln in (first, stale, third)]
    async with store.engine.begin() as conn:
        moved = await move_lines(conn, moves, now=NOW, actor="t")
    assert [(m.left, m.held) for m in moved] == [("RECEIVED", True), (None, False), ("RECEIVED", True)]
    states = {ln.tid: ln.state for ln in await store.views.all_lines()}
    assert states == {"1": S.CANCELLED, "2": S.RECEIVED, "3": S.CANCELLED}


async def test_the_trades_of_a_batch_are_decided_from_their_lines(store: SqlStore) -> None:
    """Cancelling every line of two trades at once settles both trades (nothing to deliver)."""
    lines = await _received(store, 1, 2)
    async with store.engine.begin() as conn:
        await move_lines(conn, [Move(ln, S.CANCELLED, "refund") for ln in lines], now=NOW, actor="t")
        states = (await conn.execute(select(trades.c.delivery_state).order_by(trades.c.id))).scalars().all()
    assert states == ["NOTHING", "NOTHING"]


async def test_a_batch_padded_to_its_shape_moves_exactly_its_own_lines(store: SqlStore) -> None:
    """Three lines moved in a statement built for four: the padding row moves nothing, and a fourth
    line of the same state that was not asked for stays as it was."""
    first, second, third, _unasked = await _received(store, 1, 2, 3, 4)
    async with store.engine.begin() as conn:
        moved = await move_lines(
            conn, [Move(ln, S.CANCELLED, "refund") for ln in (first, second, third)], now=NOW, actor="t"
        )
    assert [m.state for m in moved] == [S.CANCELLED] * 3
    states = {ln.tid: ln.state for ln in await store.views.all_lines()}
    assert states == {"1": S.CANCELLED, "2": S.CANCELLED, "3": S.CANCELLED, "4": S.RECEIVED}


async def test_batches_of_every_size_share_a_few_statements(store: SqlStore) -> None:
    """Batches of 1 to 40 lines alike: statements are built per power of two (six shapes), not per
    size (forty), so the statements the bridge and SQLAlchemy keep stay few and small however long
    a backlog runs."""
    lines = await _received(store, *range(1, 821))
    _set_lines_statement.cache_clear()
    start = 0
    for size in range(1, 41):
        batch = lines[start : start + size]
        start += size
        async with store.engine.begin() as conn:
            moves = [Move(ln, S.CANCELLED, "refund") for ln in batch]
            moved = await move_lines(conn, moves, now=NOW, actor="t")
        assert [m.state for m in moved] == [S.CANCELLED] * size
    assert _set_lines_statement.cache_info().currsize == 6


async def test_a_long_batch_is_moved_in_statements_of_a_bounded_shape(store: SqlStore) -> None:
    """300 alike moves: three statements of at most 128 rows (128, 128 and 44 padded to 64), so no
    statement of hundreds of rows is built and kept for one set of columns."""
    lines = await _received(store, *range(1, 301))
    _set_lines_statement.cache_clear()
    async with store.engine.begin() as conn:
        moved = await move_lines(conn, [Move(ln, S.CANCELLED, "refund") for ln in lines], now=NOW, actor="t")
    assert [m.state for m in moved] == [S.CANCELLED] * 300
    assert _set_lines_statement.cache_info().currsize == 2  # the shapes of 128 and 64 rows
