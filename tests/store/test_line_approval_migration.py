"""Migration 0010_line_approval: a database at 0008 gains the line's approval column, its rows kept."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bridge.store import migrations, open_store
from bridge.store.engine import create_engine_for
from tests.factories import trade
from tests.store.test_store import NOW

_SCRIPTS = ScriptDirectory(str(Path(migrations.__file__).parent))
BEFORE = "0008_login_throttle"


def _columns(conn: sa.Connection) -> set[str]:
    return {c["name"] for c in sa.inspect(conn).get_columns("lines")}


async def test_a_database_at_0008_gains_the_approval_column_and_keeps_its_lines(database: str) -> None:
    store = await open_store(database)
    try:
        await store.intake.save_trade("main", trade(), NOW, "t")
    finally:
        await store.close()
    engine = create_engine_for(database)
    try:
        async with engine.begin() as conn:  # the lines table as 0008 left it
            await conn.exec_driver_sql("ALTER TABLE lines DROP COLUMN ceiling_approved_by")
            await conn.run_sync(lambda c: MigrationContext.configure(c).stamp(_SCRIPTS, BEFORE))
        store = await open_store(database, upgrade=True)
        try:
            [line] = await store.views.all_lines()
            assert line.ceiling_approved_by is None
        finally:
            await store.close()
        async with engine.connect() as conn:
            assert "ceiling_approved_by" in await conn.run_sync(_columns)
    finally:
        await engine.dispose()
