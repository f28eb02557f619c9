"""Order ids are text in the store: kept as written, found and searched by it, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.store import SqlStore, open_store
from tests.factories import order_line, trade

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
ORDER_SN = "231207-123456789012345"  # a Pinduoduo order_sn: letters and digits, a dash


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


async def test_an_id_with_a_dash_is_stored_and_found_as_written(store: SqlStore) -> None:
    """A trade and its line keep their ids to the character; the trade is found by its id."""
    [line] = await store.intake.save_trade("pdd", trade(ORDER_SN, order_line("0012")), NOW, "t")
    assert (line.tid, line.oid) == (ORDER_SN, "0012")
    [found] = await store.views.find_trades(ORDER_SN)
    assert found.tid == ORDER_SN and await store.views.find_trades("231207-12345678901234") == []


async def test_leading_zeros_name_another_trade(store: SqlStore) -> None:
    """Ids are compared as text: ``01001`` is not ``1001``."""
    await store.intake.save_trade("main", trade("1001"), NOW, "t")
    assert await store.views.find_trades("01001") == []


async def test_the_queue_search_finds_a_trade_by_an_id_with_letters(store: SqlStore) -> None:
    """CS types the order_sn the buyer reads out: the search names the trade."""
    await store.intake.save_trade("pdd", trade(ORDER_SN), NOW, "t")
    assert await store.queue.search_trades(ORDER_SN, None) == [("pdd", ORDER_SN)]


async def test_an_upgraded_sqlite_store_enforces_its_foreign_keys_again(tmp_path: Path) -> None:
    """The migrations run with SQLite's foreign keys off (a table copy); the store then has them on."""
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        async with store.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        await store.close()
