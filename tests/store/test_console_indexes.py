"""The indexes the console's figures, queue and search read by: made by the migration and the schema alike."""

from __future__ import annotations

from sqlalchemy import inspect

from bridge.store import open_store
from bridge.store.engine import create_engine_for
from bridge.store.schema import metadata

INDEXES = (
    ("trades", "ix_trades_tid", ("tid",)),  # /orders?tid= without the shop
    ("trades", "ix_trades_created", ("created_at",)),  # the dashboard's day: orders received
    ("trades", "ix_trades_delivered", ("delivered_at",)),  # orders delivered
    ("lines", "ix_lines_tid", ("tid",)),  # the queue's search by tid or oid
    ("lines", "ix_lines_oid", ("oid",)),
    ("lines", "ix_lines_paid", ("shop", "paid_at")),  # each shop's newest payment
    ("lines", "ix_lines_delivered", ("delivered_at",)),  # payment → delivered of the last hour
    ("events", "ix_events_at", ("at",)),  # lines sent to a person per hour
)


async def test_a_migrated_database_has_the_console_s_indexes(database: str) -> None:
    """A fresh database (built by the migrations) has each index on its columns, in order."""
    await (await open_store(database)).close()
    engine = create_engine_for(database)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(
                lambda c: {
                    (table, ix["name"]): tuple(ix["column_names"])
                    for table in ("trades", "lines", "events")
                    for ix in inspect(c).get_indexes(table)
                }
            )
    finally:
        await engine.dispose()
    for table, name, columns in INDEXES:
        assert found.get((table, name)) == columns, name


def test_the_schema_declares_the_same_indexes() -> None:
    """``create_all``'s metadata and the migration agree on every index's name and columns."""
    declared = {
        (table.name, ix.name): tuple(c.name for c in ix.columns)
        for table in metadata.sorted_tables
        for ix in table.indexes
    }
    for table, name, columns in INDEXES:
        assert declared.get((table, name)) == columns, name
