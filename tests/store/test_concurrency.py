"""Interleavings forced on PostgreSQL (READ COMMITTED, two or more connections), not hoped for by load.

Each test holds one transaction open at the point that matters, starts the
competing one, and waits until the server shows it blocked on a lock (or it
has finished) before letting the first commit. SQLite serialises writers at
BEGIN, so these interleavings cannot happen there; the stale-read test runs
on both engines through the rig.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import column, func, select, table
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.states import DeliveryState, LineState
from bridge.core.trades import RefundState
from bridge.services.intake import PollReport, ingest_trade
from bridge.store import SqlStore, open_store
from bridge.store.claims import claim
from bridge.store.engine import create_engine_for
from bridge.store.schema import events, lines, trades
from bridge.store.transitions import move_line
from tests.databases import postgresql_database
from tests.factories import CARD, order_line, recharge, trade
from tests.rig import Rig
from tests.store.test_store import NOW

S = LineState
_activity = table("pg_stat_activity", column("wait_event_type"), column("datname"), column("state"))


@pytest.fixture
async def pg() -> AsyncIterator[tuple[SqlStore, list[AsyncEngine]]]:
    """A store on a fresh PostgreSQL database and three more engines on it (three competing sessions)."""
    async with postgresql_database() as dsn:
        store = await open_store(dsn)
        engines = [create_engine_for(dsn) for _ in range(3)]
        try:
            yield store, engines
        finally:
            for engine in engines:
                await engine.dispose()
            await store.close()


async def _waiting_on_locks(engine: AsyncEngine) -> int:
    query = select(func.count()).where(
        _activity.c.wait_event_type == "Lock", _activity.c.datname == func.current_database()
    )
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def _blocked_or_done(watcher: AsyncEngine, tasks: list[asyncio.Task[Any]]) -> None:
    """Wait until every task has finished or sits blocked on a row lock (seen by the server)."""
    deadline = time.monotonic() + 20
    while True:
        running = sum(not t.done() for t in tasks)
        if running == 0 or await _waiting_on_locks(watcher) >= running:
            return
        assert time.monotonic() < deadline, "the competing transactions neither blocked nor finished"
        await asyncio.sleep(0.02)


async def _lines_of(store: SqlStore, *oids: int, state: LineState) -> list[Any]:
    """A trade with these lines, each moved to ``state`` through READY (planned, claimable)."""
    stored = await store.intake.save_trade("main", trade(1001, *(order_line(o) for o in oids)), NOW, "t")
    for line in stored:
        ops = [recharge(f"main:1001:{line.oid}:0")]
        kwargs = dict(product_code="RC", product_name="x", delivery_mode="topup", mapping_version="v1")
        assert await store.lines.mark_ready(line, ops, card_no=CARD, now=NOW, actor="t", **kwargs)
    ready = await store.delivery.trade_lines(stored[0].trade_id)
    if state is S.READY:
        return ready
    for line in ready:
        assert await store.moves.move(line, state, now=NOW, actor="t")
    return await store.delivery.trade_lines(stored[0].trade_id)


async def _move(engine: AsyncEngine, line: Any, to: LineState) -> bool:
    async with engine.begin() as conn:
        return await move_line(conn, line, to, now=NOW, actor="race")


async def test_two_moves_from_the_same_state_one_wins(pg: tuple[SqlStore, list[AsyncEngine]]) -> None:
    """A refund's hold and a submit both start from READY: exactly one moves the line, one event row."""
    store, (a, b, watcher) = pg
    [line] = await _lines_of(store, 2001, state=S.READY)
    async with a.begin() as conn:
        assert await move_line(conn, line, S.SUBMITTED, now=NOW, actor="first")
        second = asyncio.create_task(_move(b, line, S.HELD))
        await _blocked_or_done(watcher, [second])
    assert await second is False
    [now_line] = await store.delivery.trade_lines(line.trade_id)
    assert now_line.state is S.SUBMITTED
    async with watcher.connect() as conn:
        moves = (
            await conn.execute(select(events.c.to_state).where(events.c.actor.in_(["first", "race"])))
        ).all()
    assert [m.to_state for m in moves] == ["SUBMITTED"]


async def test_sibling_lines_settling_together_make_the_trade_due(
    pg: tuple[SqlStore, list[AsyncEngine]],
) -> None:
    """Three lines of one trade applied in three open transactions: the trade ends DUE (not stuck OPEN)."""
    store, (a, b, watcher) = pg
    c = create_engine_for(str(a.url.render_as_string(hide_password=False)))
    try:
        first, second, third = await _lines_of(store, 2001, 2002, 2003, state=S.SUBMITTED)
        async with a.begin() as conn:
            assert await move_line(conn, first, S.APPLIED, now=NOW, actor="race")
            others = [
                asyncio.create_task(_move(b, second, S.APPLIED)),
                asyncio.create_task(_move(c, third, S.APPLIED)),
            ]
            await _blocked_or_done(watcher, others)
        assert await asyncio.gather(*others) == [True, True]
    finally:
        await c.dispose()
    async with watcher.connect() as conn:
        state = (await conn.execute(select(trades.c.delivery_state))).scalar_one()
    assert state == DeliveryState.DUE.value


async def test_two_claimers_take_disjoint_batches(pg: tuple[SqlStore, list[AsyncEngine]]) -> None:
    """While one claim is uncommitted a second claimer takes the other rows at once, none twice."""
    store, (a, b, watcher) = pg
    await _lines_of(store, *range(2001, 2007), state=S.READY)
    due = lines.c.lease_owner.is_(None)

    async def take(engine: AsyncEngine, owner: str) -> list[int]:
        async with engine.begin() as conn:
            return await claim(conn, lines, due, order_by=(lines.c.id,), limit=3, hold={"lease_owner": owner})

    async with a.begin() as conn:
        mine = await claim(conn, lines, due, order_by=(lines.c.id,), limit=3, hold={"lease_owner": "one"})
        theirs_task = asyncio.create_task(take(b, "two"))
        await _blocked_or_done(watcher, [theirs_task])
        # the second claimer did not wait for the first: it is already done
        assert theirs_task.done()
    theirs = await theirs_task
    assert len(mine) == len(theirs) == 3 and not set(mine) & set(theirs)
    async with watcher.connect() as conn:
        owners = set((await conn.execute(select(lines.c.lease_owner))).scalars())
    assert owners == {"one", "two"}


async def test_an_older_read_never_overwrites_a_newer_one(rig: Rig) -> None:
    """Refund requested (line HELD), then a stale read without it: status, refund and HELD all stay."""
    deps = rig.deps
    paid = trade(1001, order_line(2001))
    await ingest_trade(deps, "main", paid, PollReport("main"))
    later = timedelta(minutes=5)
    asked = replace(
        paid,
        modified=paid.modified + later,
        buyer_message="退款",
        lines=(replace(paid.lines[0], refund=RefundState.REQUESTED),),
    )
    await ingest_trade(deps, "main", asked, PollReport("main"))
    [held] = await rig.lines("1001")
    assert held.state is S.HELD
    await ingest_trade(deps, "main", paid, PollReport("main"))  # the older read arrives last
    [line] = await rig.lines("1001")
    assert line.state is S.HELD and line.refund_status == "requested"
    stored = (await deps.store.intake.known_versions("main", ["1001"]))["1001"]
    assert stored.modified == asked.modified
