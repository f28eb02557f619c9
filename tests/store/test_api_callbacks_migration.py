"""Migration 0016_api_callbacks: an order stored by the API before it is kept, and gains the new columns.

A database is built by Alembic up to 0015_api_orders, one API order is written as 0015 kept it,
and the database is upgraded to the newest revision: the order reads back whole with empty
pipeline columns, and the outbox table and its indexes match the store's own description.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from bridge.store.api_schema import api_callbacks, api_orders
from bridge.store.engine import create_engine_for
from bridge.store.migrate import _config, head_revision

BEFORE = "0015_api_orders"
PAID = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
ORDER = {
    "client": "hall",
    "order_id": "H-1",
    "body": '{"order_id": "H-1"}',
    "body_sha256": "0" * 64,
    "paid_at": PAID,
    "received_at": PAID,
    "modified_at": PAID,
}


def _at_before(conn: sa.Connection) -> None:
    reflected = sa.MetaData()
    reflected.reflect(conn)
    reflected.drop_all(conn)
    command.upgrade(_config(conn), BEFORE)
    before = sa.Table("api_orders", sa.MetaData(), autoload_with=conn)
    conn.execute(before.insert(), [ORDER])


def _shape(conn: sa.Connection) -> dict[str, object]:
    inspector = sa.inspect(conn)
    return {
        "api_orders": sorted(c["name"] for c in inspector.get_columns("api_orders")),
        "api_callbacks": sorted(c["name"] for c in inspector.get_columns("api_callbacks")),
        # PostgreSQL lists the unique constraint's own index too: the named indexes only
        "indexes": sorted(
            i["name"] for i in inspector.get_indexes("api_callbacks") if i["name"].startswith("ix_")
        ),
    }


async def test_an_order_stored_before_is_kept_with_empty_pipeline_columns(database: str) -> None:
    engine = create_engine_for(database)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_at_before)
            await conn.run_sync(lambda c: command.upgrade(_config(c), head_revision()))
        async with engine.connect() as conn:
            row = (await conn.execute(sa.select(api_orders))).one()._mapping
            shape = await conn.run_sync(_shape)
    finally:
        await engine.dispose()
    assert (row["client"], row["order_id"], row["paid_at"]) == ("hall", "H-1", PAID)
    assert (row["codes"], row["severity"], row["settled_state"], row["settled_seq"]) == (None, None, None, 0)
    assert shape == {
        "api_orders": sorted(c.name for c in api_orders.columns),
        "api_callbacks": sorted(c.name for c in api_callbacks.columns),
        "indexes": sorted(str(i.name) for i in api_callbacks.indexes),
    }
