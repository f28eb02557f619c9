"""Migrations (fresh, behind, pre-migration databases) and the marketplace's text stored whatever it holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from bridge.core.errors import ConfigError
from bridge.core.trades import OrderState, RefundState
from bridge.settings import StoreSettings
from bridge.store import SqlStore, head_revision, migrations, open_store
from bridge.store.engine import create_engine_for
from bridge.store.migrate import schema_state
from bridge.store.schema import events, lines, metadata, trades
from tests.factories import order_line, trade
from tests.store.test_store import NOW

_SCRIPTS = ScriptDirectory(str(Path(migrations.__file__).parent))


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


async def test_fresh_database_is_created_at_the_newest_revision(database: str) -> None:
    store = await open_store(database)
    await store.close()
    engine = create_engine_for(database)
    try:
        state = await schema_state(engine)
    finally:
        await engine.dispose()
    assert state.current == head_revision() and not state.behind


async def test_a_schema_behind_is_refused_with_the_command_to_run(database: str) -> None:
    """The daemon will not start on an old schema; ``bridge db upgrade`` brings it up to date."""
    await (await open_store(database)).close()
    engine = create_engine_for(database)
    try:
        async with engine.begin() as conn:  # step the recorded version back, as an older release left it
            await conn.run_sync(lambda c: MigrationContext.configure(c).stamp(_SCRIPTS, "0001"))
    finally:
        await engine.dispose()
    with pytest.raises(ConfigError, match="bridge db upgrade"):
        await open_store(database)
    await (await open_store(database, upgrade=True)).close()
    await (await open_store(database)).close()


async def test_a_database_made_before_migrations_is_stamped_and_kept(database: str) -> None:
    """Tables made by ``create_all`` (no version row) are taken as the first revision, rows kept."""
    dsn = database
    engine = create_engine_for(dsn)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)  # a fresh PostgreSQL copy is migrated: start bare
        await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    with pytest.raises(ConfigError, match="bridge db upgrade"):
        await open_store(dsn)
    store = await open_store(dsn, upgrade=True)
    try:
        assert await store.intake.save_trade("main", trade(), NOW, "t")
    finally:
        await store.close()


async def test_nul_and_unencodable_text_is_stored_and_noted(store: SqlStore) -> None:
    """A NUL or a lone surrogate in the buyer's text never fails the insert; the received event says so."""
    odd = replace(order_line(2001), title="卡\x00号\ud800")
    [line] = await store.intake.save_trade("main", trade(1001, odd, message="卡号\x00 8371"), NOW, "t")
    assert "\x00" not in line.title
    _, story = await store.views.trade_story((await store.views.find_trades("1001"))[0])
    [received] = [e for e in story if e.kind == "received"]
    assert received.detail is not None
    assert set(received.detail["text_cleaned"]) >= {"buyer_message: NUL replaced", "title: NUL replaced"}


async def test_long_sku_code_and_nickname_are_kept_whole(store: SqlStore) -> None:
    long_sku = "SKU-" + "x" * 500
    t = replace(
        trade(1001, replace(order_line(2001), sku_code=long_sku, platform_sku_id="9" * 200)), buyer="n" * 400
    )
    [line] = await store.intake.save_trade("main", t, NOW, "t")
    assert line.outer_sku_id == long_sku
    [stored] = await store.views.find_trades("1001")
    assert stored.buyer_nick == "n" * 400


async def test_an_older_read_changes_no_stored_field(store: SqlStore, database: str) -> None:
    """Status, buyer message and a line's refund status stay as the newest read left them."""
    old = trade(1001, order_line(2001))
    new = replace(
        old,
        modified=old.modified.replace(hour=11),
        state=OrderState.CLOSED,
        platform_status="TRADE_CLOSED",
        buyer_message="new",
        lines=(order_line(2001, refund=RefundState.REQUESTED),),
    )
    await store.intake.save_trade("main", new, NOW, "t")
    await store.intake.save_trade("main", old, NOW, "t")
    [t] = await store.views.find_trades("1001")
    [line] = await store.delivery.trade_lines(t.id)
    assert (t.status, t.platform_status, line.refund_status) == ("closed", "TRADE_CLOSED", "requested")
    engine = create_engine_for(database)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(select(trades.c.buyer_message, trades.c.modified))).one()
            refunds = (
                await conn.execute(select(events.c.kind).where(events.c.kind == "refund_status"))
            ).all()
            assert (await conn.execute(select(lines.c.refund_status))).scalar_one() == "requested"
    finally:
        await engine.dispose()
    assert (row.buyer_message, row.modified) == ("new", new.modified)
    assert refunds == []


async def test_postgresql_sessions_carry_the_configured_timeouts(database: str) -> None:
    """Statement, lock and idle-in-transaction timeouts from [store] are the server's session settings."""
    if not database.startswith("postgresql"):
        pytest.skip("SQLite has no server timeouts (one connection, a busy timeout)")
    options = StoreSettings(statement_timeout_s=1.5, lock_timeout_s=0.25, idle_in_transaction_timeout_s=7)
    engine = create_engine_for(database, options)
    names = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
    try:
        async with engine.connect() as conn:
            shown = [(await conn.execute(select(func.current_setting(n)))).scalar_one() for n in names]
    finally:
        await engine.dispose()
    assert shown == ["1500ms", "250ms", "7s"]
