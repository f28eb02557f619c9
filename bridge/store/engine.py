"""Open the database: SQLite (WAL, immediate write transactions) or PostgreSQL by DSN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bridge.store import console_schema  # noqa: F401  (registers the console's tables on metadata)
from bridge.store.schema import metadata
from bridge.store.sql_store import SqlStore


def _sqlite_engine(dsn: str) -> AsyncEngine:
    url = make_url(dsn)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # One connection per process serialises this process's writes; other
    # processes wait on the busy timeout instead of failing.
    engine = create_async_engine(dsn, pool_size=1, max_overflow=0, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # take the write lock at BEGIN: no read-to-write upgrade deadlocks between processes
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def open_store(dsn: str) -> SqlStore:
    """Create the engine, create missing tables, and return the store."""
    engine = _sqlite_engine(dsn) if dsn.startswith("sqlite") else create_async_engine(dsn, pool_size=10)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return SqlStore(engine)
