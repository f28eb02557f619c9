"""A bulk action in the store, on SQLite and on PostgreSQL: offered once, acted on once, audited as one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bridge.core.batches import Batch
from bridge.store import SqlStore, open_store
from bridge.store.engine import create_engine_for
from tests.factories import order_line, trade

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


def _batch(line_ids: tuple[int, ...]) -> Batch:
    return Batch("a" * 32, "retry", "cs1", NOW, None, {"reason": "RETRIES_EXHAUSTED"}, line_ids)


async def test_a_batch_is_acted_on_once(store: SqlStore) -> None:
    """The same confirmation token starts the batch once; the second start gets nothing."""
    await store.queue.offer_batch(_batch((3, 1, 2)))
    offered = await store.queue.batch("a" * 32)
    assert offered is not None and offered.line_ids == (3, 1, 2) and offered.started_at is None
    started = await store.queue.start_batch("a" * 32, NOW + timedelta(seconds=5))
    assert started is not None and started.started_at == NOW + timedelta(seconds=5)
    assert await store.queue.start_batch("a" * 32, NOW + timedelta(seconds=6)) is None
    assert await store.queue.start_batch("b" * 32, NOW) is None


async def test_a_batch_is_one_audit_entry_that_expands_to_its_lines(store: SqlStore) -> None:
    """The log lists the batch's header once; its lines come back by batch, and by order as usual."""
    lines = await store.intake.save_trade("main", trade(1001, order_line(2001), order_line(2002)), NOW, "t")
    await store.console.add_audit(at=NOW, actor="cs2", action="retry", outcome="done", line=lines[0])
    await store.console.add_audit(
        at=NOW, actor="cs1", action="bulk_retry", outcome="done", detail={"count": 2}, batch="a" * 32
    )
    for ln, outcome in zip(lines, ("done", "unchanged"), strict=True):
        await store.console.add_audit(
            at=NOW, actor="cs1", action="retry", outcome=outcome, line=ln, batch="a" * 32
        )

    shown = await store.console.audit_entries()
    assert [(e.action, e.batch, e.line_id) for e in shown] == [
        ("bulk_retry", "a" * 32, None),
        ("retry", None, lines[0].id),
    ]
    members = (await store.queue.audit_batches(["a" * 32, "c" * 32]))["a" * 32]
    assert [(m.line_id, m.outcome, m.batch) for m in members] == [
        (lines[0].id, "done", "a" * 32),
        (lines[1].id, "unchanged", "a" * 32),
    ]
    assert (await store.queue.audit_batches(["c" * 32]))["c" * 32] == []
    by_order = await store.console.audit_entries(tid=lines[0].tid)
    assert len(by_order) == 3 and {e.batch for e in by_order} == {None, "a" * 32}


def _back_to_0004(connection: Connection) -> list[str]:
    cfg = Config()
    cfg.set_main_option("script_location", "bridge.store:migrations")
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, "0004_poller_lease")
    return [c["name"] for c in inspect(connection).get_columns("audit_log")]


async def test_migration_0005_brings_a_0004_database_up_with_its_audit_rows(database: str) -> None:
    """A database left at 0004 (audit rows, no batches) is upgraded; old rows stay, batches work."""
    store = await open_store(database)
    await store.console.add_audit(at=NOW, actor="cs1", action="retry", outcome="done")
    await store.close()
    engine = create_engine_for(database)
    try:
        async with engine.begin() as conn:
            assert "batch" not in await conn.run_sync(_back_to_0004)
    finally:
        await engine.dispose()
    store = await open_store(database, upgrade=True)
    try:
        await store.queue.offer_batch(_batch((1,)))
        await store.console.add_audit(
            at=NOW, actor="cs1", action="bulk_retry", outcome="done", batch="a" * 32
        )
        assert [(e.action, e.batch) for e in await store.console.audit_entries()] == [
            ("bulk_retry", "a" * 32),
            ("retry", None),
        ]
    finally:
        await store.close()
