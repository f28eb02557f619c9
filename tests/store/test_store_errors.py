"""The database's failures reach the caller as ``StoreUnavailable``, forced through the real engines.

Each PostgreSQL test makes the failure happen on the server (a backend ended, a
row lock held past ``lock_timeout``, two transactions that cannot both commit)
and checks the store's engine raised the table's class, with its code and
whether the transaction may have committed; SQLite's is a second connection
holding the write lock past a short busy timeout. A constraint violation stays
SQLAlchemy's own: a bug, never mapped.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import column, event, func, select, table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.errors import StoreUnavailable
from bridge.settings import StoreSettings
from bridge.store import SqlStore, open_store
from bridge.store.engine import create_engine_for
from bridge.store.schema import cursors
from tests.databases import postgresql_database
from tests.store.test_store import NOW

_activity = table(
    "pg_stat_activity", column("pid"), column("wait_event_type"), column("datname"), column("state")
)
_LOCK_ROW = "SELECT shop FROM cursors WHERE shop = 'main' FOR UPDATE"


async def _take(store: SqlStore, owner: str = "a") -> Any:
    """One store call that writes the shop's cursor row (and waits for its row lock)."""
    return await store.pollers.take_poller("main", owner, now=NOW, until=NOW + timedelta(seconds=60))


@pytest.fixture
async def pg() -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A fresh PostgreSQL database (its cursor row for shop "main" made) and a competing engine on it."""
    async with postgresql_database() as dsn:
        store = await open_store(dsn)
        await _take(store)
        await store.close()
        other = create_engine_for(dsn)
        try:
            yield dsn, other
        finally:
            await other.dispose()


async def _lock_waiter(other: AsyncEngine) -> int:
    """The pid of the backend the server shows waiting on a lock in this database."""
    query = select(_activity.c.pid).where(
        _activity.c.wait_event_type == "Lock", _activity.c.datname == func.current_database()
    )
    deadline = time.monotonic() + 20
    while True:
        async with other.connect() as conn:
            pid = (await conn.execute(query)).scalar()
        if pid is not None:
            return int(pid)
        assert time.monotonic() < deadline, "the store's call never waited on the row lock"
        await asyncio.sleep(0.02)


async def test_a_connection_dropped_mid_call_is_store_unavailable_and_the_next_call_works(
    pg: tuple[str, AsyncEngine],
) -> None:
    """The store's backend is ended while its call waits on a row lock: STORE_CONNECTION_LOST, not
    committed (no COMMIT was sent); the next call gets a new connection and works."""
    dsn, other = pg
    store = await open_store(dsn)
    try:
        async with other.begin() as holder:
            await holder.execute(text(_LOCK_ROW))
            call = asyncio.create_task(_take(store))
            pid = await _lock_waiter(other)
            async with other.connect() as killer:
                await killer.execute(select(func.pg_terminate_backend(pid)))
            with pytest.raises(StoreUnavailable) as lost:
                await call
        assert lost.value.code == "STORE_CONNECTION_LOST" and not lost.value.may_have_committed
        assert (await _take(store)).owner == "a"
    finally:
        await store.close()


async def test_a_connection_lost_at_commit_may_have_committed(pg: tuple[str, AsyncEngine]) -> None:
    """The backend is ended between a transaction's write and its COMMIT: the error says the
    transaction may have committed (the caller reads the store again before anything else)."""
    dsn, other = pg
    engine = create_engine_for(dsn)
    try:
        with pytest.raises(StoreUnavailable) as lost:
            async with engine.begin() as conn:
                await conn.execute(cursors.update().where(cursors.c.shop == "main").values(poller="b"))
                pid = (await conn.execute(select(func.pg_backend_pid()))).scalar_one()
                async with other.connect() as killer:
                    await killer.execute(select(func.pg_terminate_backend(pid)))
                await asyncio.sleep(0.2)  # the server has closed the socket: the COMMIT finds it gone
        assert lost.value.code == "STORE_CONNECTION_LOST" and lost.value.may_have_committed
    finally:
        await engine.dispose()


async def test_a_row_lock_not_granted_in_time_is_store_unavailable(pg: tuple[str, AsyncEngine]) -> None:
    """Another transaction holds the row past the engine's lock_timeout: STORE_LOCK_TIMEOUT; the
    call works once the row is free."""
    dsn, other = pg
    store = await open_store(dsn, StoreSettings(lock_timeout_s=0.2))
    try:
        async with other.begin() as holder:
            await holder.execute(text(_LOCK_ROW))
            with pytest.raises(StoreUnavailable) as waited:
                await _take(store)
        assert waited.value.code == "STORE_LOCK_TIMEOUT" and not waited.value.may_have_committed
        assert (await _take(store)).owner == "a"
    finally:
        await store.close()


async def test_a_serialisation_failure_is_store_unavailable(pg: tuple[str, AsyncEngine]) -> None:
    """A REPEATABLE READ transaction updates a row another committed since its snapshot:
    STORE_SERIALISATION (the server rolled it back)."""
    dsn, other = pg
    engine = create_engine_for(dsn)
    bump = cursors.update().where(cursors.c.shop == "main").values(poller_token=cursors.c.poller_token + 1)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            await conn.execute(select(cursors.c.poller_token))  # the snapshot is taken here
            async with other.begin() as sneak:
                await sneak.execute(bump)
            with pytest.raises(StoreUnavailable) as conflict:
                await conn.execute(bump)
        assert conflict.value.code == "STORE_SERIALISATION" and not conflict.value.may_have_committed
    finally:
        await engine.dispose()


async def test_a_deadlock_is_store_unavailable(pg: tuple[str, AsyncEngine]) -> None:
    """Two transactions each wait for the other's row: the server ends one with STORE_DEADLOCK."""
    dsn, other = pg
    engine = create_engine_for(dsn)
    first, second = "main", "second"
    async with engine.begin() as conn:
        await conn.execute(cursors.insert().values(shop=second, poller_token=0))

    async def lock(conn: Any, shop: str) -> None:
        await conn.execute(cursors.update().where(cursors.c.shop == shop).values(poller="x"))

    try:
        async with engine.begin() as a, other.begin() as b:
            await lock(a, first)
            await lock(b, second)
            crossing = asyncio.create_task(lock(a, second))
            await _lock_waiter(other)
            outcomes = await asyncio.gather(crossing, lock(b, first), return_exceptions=True)
            [ended] = [o for o in outcomes if isinstance(o, BaseException)]
            assert isinstance(ended, StoreUnavailable) and ended.code == "STORE_DEADLOCK"
            await (a if outcomes[0] is ended else b).rollback()
    finally:
        await engine.dispose()


async def test_a_dead_idle_connection_is_replaced_without_an_error(pg: tuple[str, AsyncEngine]) -> None:
    """A pooled connection's backend ended while idle: the pool's pre-ping replaces it; no error."""
    dsn, other = pg
    store = await open_store(dsn, StoreSettings(pool_size=1))
    try:
        async with store.engine.connect() as conn:
            pid = (await conn.execute(select(func.pg_backend_pid()))).scalar_one()
        async with other.connect() as killer:
            await killer.execute(select(func.pg_terminate_backend(pid)))
        await asyncio.sleep(0.2)
        assert (await _take(store)).owner == "a"
    finally:
        await store.close()


async def test_a_refused_connection_is_store_unavailable() -> None:
    """Nothing listens where the store points: STORE_UNREACHABLE from the pool, nothing sent."""
    engine = create_engine_for("postgresql+asyncpg://nobody:x@127.0.0.1:9/none")
    try:
        with pytest.raises(StoreUnavailable) as refused:
            async with engine.connect():
                pass
        assert refused.value.code == "STORE_UNREACHABLE" and not refused.value.may_have_committed
    finally:
        await engine.dispose()


async def test_sqlite_locked_by_another_writer_is_store_unavailable(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock past the busy timeout: STORE_BUSY; the call works
    once the lock is given back."""
    path = tmp_path / "bridge.sqlite"
    store = await open_store(f"sqlite+aiosqlite:///{path}")

    @event.listens_for(store.engine.sync_engine, "connect")
    def _short_wait(dbapi_conn: Any, _: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=50")
        cur.close()

    await store.engine.dispose()  # the next connection waits 50 ms, not 30 s
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreUnavailable) as busy:
            await _take(store)
        holder.execute("ROLLBACK")
        assert busy.value.code == "STORE_BUSY" and not busy.value.may_have_committed
        assert (await _take(store)).owner == "a"
    finally:
        holder.close()
        await store.close()


async def test_a_constraint_violation_stays_a_bug(database: str) -> None:
    """A plain INSERT of a row that exists: SQLAlchemy's IntegrityError, not mapped (the store's own
    writes use insert-or-ignore, so only a broken rule gets here)."""
    store = await open_store(database)
    try:
        await _take(store)
        with pytest.raises(IntegrityError):
            async with store.engine.begin() as conn:
                await conn.execute(cursors.insert().values(shop="main", poller_token=0))
    finally:
        await store.close()
