"""A paid trade the bridge cannot read is in front of CS once, and handled as usual once it reads well.

The marketplace answers a trade with an invalid amount: every poll reads it
again, but the store keeps one placeholder for it (found by its tid, listed
above the exception queue) and its timeline one ``intake_failed`` event; when
the answer is good again the trade is stored, delivered and leaves the list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bridge.core.states import LineState
from bridge.store.schema import events, trades
from tests.lab.hostile import TRADE_FAULTS, HostileSandbox
from tests.rig import Rig, line, open_rig

_INVALID_AMOUNT = TRADE_FAULTS["payment-a-number"][0]


@pytest.fixture
async def hostile(tmp_path: Path, database: str) -> AsyncIterator[tuple[Rig, HostileSandbox]]:
    market = HostileSandbox()
    async with open_rig(tmp_path, market_sandbox=market, database=database) as rig:
        yield rig, market


async def _count(rig: Rig, query: object) -> int:
    async with rig.deps.store.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())  # type: ignore[call-overload]


async def _events(rig: Rig, tid: str, kind: str) -> int:
    query = select(func.count()).select_from(events).where(events.c.tid == tid, events.c.kind == kind)
    return await _count(rig, query)


async def _unreadable_polled(rig: Rig, market: HostileSandbox, polls: int = 5) -> int:
    cards = await rig.cards()
    tid = await rig.order(line(), message=f"卡号{cards[0]}")
    market.trade_faults[tid] = _INVALID_AMOUNT
    for _ in range(polls):
        await rig.cycle()
    return tid


async def test_an_unreadable_trade_polled_five_times_is_recorded_once(
    hostile: tuple[Rig, HostileSandbox],
) -> None:
    """Five polls read it five times: one placeholder row, one intake_failed event, five reads counted."""
    rig, market = hostile
    tid = await _unreadable_polled(rig, market)
    assert await _count(rig, select(func.count()).select_from(trades).where(trades.c.tid == tid)) == 1
    assert await _events(rig, tid, "intake_failed") == 1
    [waiting] = await rig.deps.store.queue.unreadable_trades(None)
    assert (waiting.tid, waiting.reads) == (tid, 5)
    assert "field payment" in waiting.error


async def test_an_unreadable_trade_is_found_by_its_tid(hostile: tuple[Rig, HostileSandbox]) -> None:
    """The queue's search by tid finds the trade (its order page opens), though it has no lines."""
    rig, market = hostile
    tid = await _unreadable_polled(rig, market, polls=1)
    assert await rig.deps.store.queue.search_trades(str(tid), None) == [("main", tid)]
    [found] = await rig.deps.store.views.find_trades(tid)
    assert found.delivery_state == "UNREADABLE"


async def test_a_new_reason_is_recorded_again(hostile: tuple[Rig, HostileSandbox]) -> None:
    """The same trade failing for another reason gets a second event (a change is news)."""
    rig, market = hostile
    tid = await _unreadable_polled(rig, market, polls=2)
    market.trade_faults[tid] = TRADE_FAULTS["status-a-number"][0]
    await rig.cycle()
    await rig.cycle()
    assert await _events(rig, tid, "intake_failed") == 2


async def test_a_trade_that_reads_well_again_is_delivered_and_leaves_the_list(
    hostile: tuple[Rig, HostileSandbox],
) -> None:
    """Once the answer is good the trade is provisioned and delivered as usual, cleared with one event."""
    rig, market = hostile
    tid = await _unreadable_polled(rig, market, polls=3)
    del market.trade_faults[tid]
    for _ in range(3):
        await rig.cycle()
    assert [ln.state for ln in await rig.lines(tid)] == [LineState.DELIVERED]
    assert await rig.deps.store.queue.unreadable_trades(None) == []
    assert await _events(rig, tid, "intake_recovered") == 1
    assert len(await rig.ledger(tid)) == 1
