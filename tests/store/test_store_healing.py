"""A database fault heals by itself: a poisoned connection is discarded, never handed out again.

PostgreSQL reads ``default_transaction_read_only`` when a session starts, so a
connection opened while the database was read-only stays read-only after the
database is writable again; the store's engine throws such a connection (and
the pool's older ones) away on its first read-only error, and the next call
opens a writable one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bridge.core.errors import StoreUnavailable
from bridge.store import SqlStore, open_store
from tests.databases import PG_DSN, postgresql_database
from tests.store.test_store import NOW


async def _take(store: SqlStore) -> object:
    """One store call that writes (the shop's cursor row)."""
    return await store.pollers.take_poller("main", "a", now=NOW, until=NOW + timedelta(seconds=60))


async def set_read_only(admin: AsyncEngine, database: str, on: bool) -> None:
    """Turn ``database`` read-only (or back) for new sessions, and end its sessions when turning it on."""
    async with admin.connect() as conn:
        await conn.execute(text(f'ALTER DATABASE "{database}" SET default_transaction_read_only = {on}'))
        if on:  # as a failover or a restart does: every session opened afterwards is read-only
            end = select(func.pg_terminate_backend(text("pid"))).select_from(text("pg_stat_activity"))
            await conn.execute(end.where(text("datname = :db")), {"db": database})


@pytest.fixture
async def pg() -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A fresh PostgreSQL database, and an autocommit engine on another one that can change it."""
    async with postgresql_database() as dsn:
        admin = create_async_engine(PG_DSN, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            yield dsn, admin
        finally:
            await admin.dispose()


async def test_a_read_only_session_is_discarded_once_the_database_is_writable(
    pg: tuple[str, AsyncEngine],
) -> None:
    """Writes fail STORE_READ_ONLY while the database is read-only; once it is writable the next
    write works on the same store (its read-only connection was not reused)."""
    dsn, admin = pg
    database = str(make_url(dsn).database)
    store = await open_store(dsn)
    try:
        await _take(store)
        await set_read_only(admin, database, True)
        with pytest.raises(StoreUnavailable) as refused:
            await _take(store)
        assert refused.value.code == "STORE_READ_ONLY"
        await set_read_only(admin, database, False)
        await _take(store)
    finally:
        await store.close()
