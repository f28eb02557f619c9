"""Statements over a trade's lines are cut to fit the engine: any number of lines, both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bridge.core.records import PlannedLine
from bridge.core.states import LineState
from bridge.store import SqlStore, open_store
from bridge.store import chunks as chunking
from tests.factories import CARD, order_line, recharge, trade

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


async def _plan_all(store: SqlStore, lines: int) -> list[bool]:
    """A trade of ``lines`` lines stored, then every line made READY in one batch."""
    big = trade(1001, *(order_line(2001 + k) for k in range(lines)))
    stored = await store.intake.save_trade("main", big, NOW, "t")
    planned = [
        PlannedLine(ln, (recharge(f"main:1001:{ln.oid}:0"),), CARD, "RC-0100", "100元", "topup", "v1")
        for ln in stored
    ]
    return await store.lines.mark_ready_many(planned, now=NOW, actor="t")


async def test_a_batch_over_the_engines_limits_moves_every_line(store: SqlStore) -> None:
    """3,000 lines made READY in one batch: past SQLite's 500 compound terms and asyncpg's 32,767
    parameters for one compare-and-set, yet every line moves, with its part and its event."""
    assert await _plan_all(store, 3_000) == [True] * 3_000
    [stored] = await store.views.find_trades("1001")
    lines, events = await store.views.trade_story(stored)
    assert {ln.state for ln in lines} == {LineState.READY}
    assert all(len(ln.operations) == 1 for ln in lines)
    assert sum(e.kind == "planned" for e in events) == 3_000


async def test_statements_are_cut_at_the_limit_the_helper_sets(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a limit of 20 parameters and 3 rows a statement, a 45-line trade is stored, read,
    planned and read back in many small pieces, and nothing is lost or doubled."""
    for name in ("sqlite", "postgresql"):
        monkeypatch.setitem(chunking.LIMITS, name, chunking.Limit(params=20, rows=3))
    assert await _plan_all(store, 45) == [True] * 45
    [stored] = await store.views.find_trades("1001")
    lines, events = await store.views.trade_story(stored)
    assert [ln.oid for ln in lines] == [str(2001 + k) for k in range(45)]
    assert [len(ln.operations) for ln in lines] == [1] * 45
    assert {ln.state for ln in lines} == {LineState.READY}
    assert sorted(e.kind for e in events) == ["planned"] * 45 + ["received"] * 45


def test_a_statement_is_shaped_for_the_next_power_of_two_within_the_limit() -> None:
    """1 → 1, 3 → 4, 5 → 8, 300 → 500 on SQLite's 500 rows (never past the limit), and 500 → 500."""
    shapes = [chunking.shape_for(n, 500) for n in (1, 2, 3, 5, 64, 65, 300, 500)]
    assert shapes == [1, 2, 4, 8, 64, 128, 500, 500]
    with pytest.raises(ValueError, match="at least one row"):
        chunking.shape_for(0, 500)
