"""The retention's moves on SQLite and on PostgreSQL: old events and audit rows to the archive, whole
batches only, each row once even with two instances moving at once, an old order's history still found."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Table, inspect, select
from sqlalchemy.exc import IntegrityError

from bridge.core.records import AuditNote
from bridge.store import SqlStore, open_store
from bridge.store.archive_schema import ARCHIVES, audit_archive, events_archive
from bridge.store.audit import insert_audit
from bridge.store.retention import move_batch
from bridge.store.schema import events, lines, operations
from tests.factories import CARD, order_line, recharge, trade

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=200)
BEFORE = NOW - timedelta(days=90)


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


async def _ids(store: SqlStore, table: Table) -> list[int]:
    async with store.engine.connect() as conn:
        return list((await conn.execute(select(table.c.id).order_by(table.c.id))).scalars())


async def _rows(store: SqlStore, table: Table) -> list[dict[str, Any]]:
    async with store.engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(select(table).order_by(table.c.id))).mappings()]


async def _archive_all(store: SqlStore, kind: Any, before: datetime = BEFORE, limit: int = 1000) -> int:
    moved = 0
    while count := await store.retention.archive_batch(kind, before, limit):
        moved += count
    return moved


async def _old_and_new_trades(store: SqlStore) -> None:
    """Trade 1001 received 200 days ago (three lines, one planned), trade 1002 received now."""
    [first, *_] = await store.intake.save_trade(
        "main", trade(1001, order_line(2001), order_line(2002), order_line(2003)), OLD, "t"
    )
    assert await store.lines.mark_ready(
        first,
        [recharge("main:1001:2001:0")],
        card_no=CARD,
        product_code="RC-0100",
        product_name="100元",
        delivery_mode="topup",
        mapping_version="v1",
        now=OLD,
        actor="t",
    )
    await store.intake.save_trade("main", trade(1002), NOW, "t")


async def test_old_events_move_to_the_archive_and_recent_ones_stay(store: SqlStore) -> None:
    """Events written before the cut-off leave the hot table for the archive; later ones stay."""
    await _old_and_new_trades(store)
    before = await _rows(store, events)
    old = [r for r in before if r["at"] < BEFORE]
    assert await _archive_all(store, "events") == len(old) > 0
    assert await _rows(store, events_archive) == old
    assert await _rows(store, events) == [r for r in before if r["at"] >= BEFORE]


async def test_lines_and_operations_are_untouched(store: SqlStore) -> None:
    """Archiving a trade's events leaves its lines and operations exactly as they were."""
    await _old_and_new_trades(store)
    kept = (await _rows(store, lines), await _rows(store, operations))
    await _archive_all(store, "events")
    assert (await _rows(store, lines), await _rows(store, operations)) == kept


async def test_old_audit_rows_move_and_the_audit_log_still_lists_them(store: SqlStore) -> None:
    """Audit rows past the cut-off move to the archive; the audit log reads both, newest first."""
    await store.console.add_audit(at=OLD, actor="cs1", action="resolve", outcome="done", note="old")
    await store.console.add_audit(at=NOW, actor="cs2", action="retry", outcome="done", note="new")
    assert await _archive_all(store, "audit") == 1
    assert [r["note"] for r in await _rows(store, audit_archive)] == ["old"]
    assert [e.note for e in await store.console.audit_entries()] == ["new", "old"]
    assert await store.console.audit_actors_and_actions() == (["cs1", "cs2"], ["resolve", "retry"])


async def test_a_batch_is_cut_to_its_limit(store: SqlStore) -> None:
    """A batch moves at most its limit, oldest first; the next takes the rest."""
    await _old_and_new_trades(store)
    old = [r["id"] for r in await _rows(store, events) if r["at"] < BEFORE]
    assert await store.retention.archive_batch("events", BEFORE, 2) == 2
    assert await _ids(store, events_archive) == old[:2]


async def test_a_failing_batch_moves_nothing_and_loses_nothing(store: SqlStore) -> None:
    """A batch that fails after its delete (here the archive refuses one of its rows) leaves every
    row where it was: the delete and the insert commit together or not at all."""
    await _old_and_new_trades(store)
    hot = await _rows(store, events)
    planted = {**hot[1], "kind": "planted"}  # the archive already holds a row with this id
    async with store.engine.begin() as conn:
        await conn.execute(events_archive.insert(), [planted])
    with pytest.raises(IntegrityError):
        await store.retention.archive_batch("events", BEFORE, 1000)
    assert await _rows(store, events) == hot
    assert await _rows(store, events_archive) == [planted]


async def test_two_instances_moving_at_once_move_each_row_once(database: str) -> None:
    """While one instance holds a batch in an open transaction, another runs to the end: together they
    archive every old row exactly once, and none is left behind."""
    first, second = await open_store(database), await open_store(database)
    try:
        await _old_and_new_trades(first)
        old = [r["id"] for r in await _rows(first, events) if r["at"] < BEFORE]
        async with first.engine.begin() as conn:
            held = await move_batch(conn, "events", BEFORE, 2)
            racing = asyncio.create_task(_archive_all(second, "events", limit=2))
            await asyncio.sleep(0.5)  # the other instance runs (or waits for the lock) meanwhile
        assert held + await asyncio.wait_for(racing, 30) == len(old)
        assert await _ids(first, events_archive) == old
        assert not set(old) & set(await _ids(first, events))
    finally:
        await first.close()
        await second.close()


async def test_the_newest_row_stays_so_ids_are_never_reused(store: SqlStore) -> None:
    """With every event old, the newest stays in the hot table, so a new event's id is above every
    archived one (SQLite numbers a row after the table's highest id)."""
    await store.intake.save_trade("main", trade(1001, order_line(2001), order_line(2002)), OLD, "t")
    await _archive_all(store, "events")
    await store.intake.save_trade("main", trade(1002), NOW, "t")
    newest = (await _ids(store, events))[-1]
    assert newest > max(await _ids(store, events_archive))
    assert await _archive_all(store, "events", before=NOW + timedelta(days=1)) == 1  # all but the newest


async def test_an_archived_order_keeps_its_whole_timeline(store: SqlStore) -> None:
    """An order's page and story read the archive too: the old events, then the recent ones, all counted."""
    await _old_and_new_trades(store)
    [old_trade] = await store.views.find_trades("1001")
    _, story = await store.views.trade_story(old_trade)
    await _archive_all(store, "events")
    await store.intake.save_trade("main", trade(1001, order_line(2004)), NOW, "t")
    page = await store.views.trade_page(old_trade, page=1, per_page=10, timeline=50)
    assert [e.kind for e in page.events[: len(story)]] == [e.kind for e in story]
    assert page.events_total == len(story) + 1 == len(page.events)
    _, whole = await store.views.trade_story(old_trade)
    assert [e.at for e in whole] == sorted(e.at for e in whole) and len(whole) == len(story) + 1


async def test_an_archived_orders_audit_entries_are_still_listed(store: SqlStore) -> None:
    """The order page's audit entries (by tid) and a bulk action's entries include archived rows."""
    [line] = await store.intake.save_trade("main", trade(1001), OLD, "t")
    note = AuditNote(OLD, "cs1", "retry", "done", None, None, "b" * 32)
    async with store.engine.begin() as conn:
        await insert_audit(conn, note, line, "EXCEPTION", "READY")
    await store.console.add_audit(at=NOW, actor="cs2", action="retry", outcome="done")
    await _archive_all(store, "audit")
    assert [e.actor for e in await store.console.audit_entries(tid="1001")] == ["cs1"]
    assert [e.actor for e in (await store.queue.audit_batches(["b" * 32]))["b" * 32]] == ["cs1"]


async def test_an_unreadable_trade_archived_is_not_recorded_again(store: SqlStore) -> None:
    """Intake's "recorded once" check reads the archive: the same reason after its event was
    archived writes no second ``intake_failed`` event."""
    assert await store.intake.record_intake_failure("main", "1001", error="bad amount", actor="t", now=OLD)
    await store.intake.save_trade("main", trade(1002), NOW, "t")  # a newer event: the old one can move
    await _archive_all(store, "events")
    assert not await store.intake.record_intake_failure(
        "main", "1001", error="bad amount", actor="t", now=NOW
    )


async def test_the_archive_has_the_hot_tables_columns(store: SqlStore) -> None:
    """Each archive, as the migrations made it, has its hot table's columns (a move copies them all)."""
    for hot, archive in ARCHIVES.values():
        async with store.engine.connect() as conn:
            hot_columns = await conn.run_sync(_columns, hot.name)
            archive_columns = await conn.run_sync(_columns, archive.name)
        assert hot_columns == archive_columns == [c.name for c in hot.columns]


def _columns(conn: Connection, name: str) -> list[str]:
    return [c["name"] for c in inspect(conn).get_columns(name)]
