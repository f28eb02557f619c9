"""Leases run on the database's clock: a host whose wall clock is off cannot take a live lease over.

Both engines. Two instances share one store; instance B's host clock runs an
hour ahead (or jumps after its anchor). Both read time through
``DatabaseClock``, so B still sees A's 30-second lease as live.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import structlog

from bridge.services.clock import DatabaseClock
from bridge.store import SqlStore, open_store
from tests.factories import CARD, recharge, trade

HOUR = timedelta(hours=1)


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


def _wall_ahead(by: timedelta) -> datetime:
    return datetime.now(UTC) + by


async def _ready_line(store: SqlStore, now: datetime) -> None:
    [line] = await store.intake.save_trade("main", trade(), now, "t")
    assert await store.lines.mark_ready(
        line,
        [recharge("main:1001:2001:0")],
        card_no=CARD,
        product_code="RC-0100",
        product_name="100元",
        delivery_mode="topup",
        mapping_version="v1",
        now=now,
        actor="t",
    )


async def test_the_clock_reads_the_database(store: SqlStore) -> None:
    clock = DatabaseClock(store.database_time)
    await clock.anchor()
    assert abs((clock() - await store.database_time()).total_seconds()) < 1.0


async def test_a_host_an_hour_ahead_does_not_take_over_a_live_lease(store: SqlStore) -> None:
    a = DatabaseClock(store.database_time)
    b = DatabaseClock(store.database_time, wall=lambda: _wall_ahead(HOUR))
    await a.anchor()
    with structlog.testing.capture_logs() as logs:
        skew_s = await b.anchor()
    assert skew_s == pytest.approx(3600, abs=5)
    assert {"event": "host_clock_differs_from_database", "log_level": "warning"}.items() <= logs[0].items()

    await _ready_line(store, a())
    [held] = await store.lines.claim_lines("A", a(), 30, 10)
    assert await store.lines.claim_lines("B", b(), 30, 10) == []
    assert await store.lines.renew_lease(held, a(), 30)


async def test_a_wall_clock_jump_after_the_anchor_changes_nothing(store: SqlStore) -> None:
    wall_offset = [timedelta(0)]
    clock = DatabaseClock(store.database_time, wall=lambda: _wall_ahead(wall_offset[0]))
    await clock.anchor()
    before = clock()
    wall_offset[0] = HOUR  # a time sync steps this host's clock an hour forward
    assert (clock() - before).total_seconds() < 5


async def test_reading_before_the_first_anchor_is_refused(store: SqlStore) -> None:
    with pytest.raises(RuntimeError, match="before its first anchor"):
        DatabaseClock(store.database_time)()
