"""Open the database: SQLite (WAL, immediate write transactions) or PostgreSQL by DSN.

PostgreSQL connections are checked before use (``pool_pre_ping``) and carry the
server's statement, lock and idle-in-transaction timeouts, so a stuck statement
or a forgotten transaction fails (and is retried by the caller's next pass)
instead of holding row locks forever. The schema is Alembic's
(``bridge.store.migrate``): a fresh database is brought to the newest revision,
one that is behind is refused with the command that upgrades it. Every engine
raises the project's errors for the database's failures (``bridge.store.errors``:
its pool, and the ``handle_error`` event installed here).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bridge.core.errors import ConfigError, StoreUnavailable
from bridge.settings import StoreSettings
from bridge.store.api_settle import serve_api_shops
from bridge.store.errors import StorePool, map_store_errors
from bridge.store.migrate import schema_state, upgrade_schema
from bridge.store.sql_store import SqlStore
from bridge.store.sqlite_driver import DeferredBegin, sqlite_dbapi


def _sqlite_engine(dsn: str) -> AsyncEngine:
    url = make_url(dsn)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # One connection per process serialises this process's writes; other
    # processes wait on the busy timeout instead of failing.
    extra: dict[str, Any] = {}
    dbapi = sqlite_dbapi() if url.get_driver_name() == "aiosqlite" else None
    if dbapi is not None:  # one trip to aiosqlite's thread per statement (bridge.store.sqlite_driver)
        extra["module"] = dbapi
    engine = create_async_engine(
        dsn, poolclass=StorePool, pool_size=1, max_overflow=0, connect_args={"timeout": 30}, **extra
    )

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
        dbapi_conn = conn.connection.dbapi_connection
        if isinstance(dbapi_conn, DeferredBegin):  # sent with the transaction's first statement
            dbapi_conn.defer_begin("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ms(seconds: float) -> str:
    return str(max(1, round(seconds * 1000)))


def _postgresql_engine(dsn: str, options: StoreSettings) -> AsyncEngine:
    server_settings = {
        "statement_timeout": _ms(options.statement_timeout_s),
        "lock_timeout": _ms(options.lock_timeout_s),
        "idle_in_transaction_session_timeout": _ms(options.idle_in_transaction_timeout_s),
    }
    return create_async_engine(
        dsn,
        poolclass=StorePool,
        pool_size=options.pool_size,
        max_overflow=options.pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": server_settings},
    )


def create_engine_for(dsn: str, options: StoreSettings | None = None) -> AsyncEngine:
    """The async engine for ``dsn`` with the options of its dialect, raising the project's store errors."""
    engine = (
        _sqlite_engine(dsn)
        if dsn.startswith("sqlite")
        else _postgresql_engine(dsn, options or StoreSettings())
    )
    map_store_errors(engine)
    return engine


async def open_store(
    dsn: str,
    options: StoreSettings | None = None,
    *,
    upgrade: bool = False,
    api_shops: Iterable[str] = (),
) -> SqlStore:
    """The store on ``dsn``; ``upgrade`` applies pending migrations first (``bridge db upgrade``);
    ``api_shops``: the channel clients' shops, whose orders' settling moves queue callbacks
    (``bridge.store.api_settle``).

    A fresh database (no tables) is created at the newest revision; a database
    whose schema is behind is refused with a ``ConfigError`` naming the command.
    One that cannot be opened (refused, read-only, a full disk, a directory that
    cannot be made) is a ``ConfigError`` too: the file or DSN (password hidden)
    and the reason, in one line.
    """
    shown = make_url(dsn).render_as_string(hide_password=True)
    try:
        engine = create_engine_for(dsn, options)
    except OSError as exc:  # the SQLite file's directory could not be made
        raise ConfigError(f"database {shown}: cannot open it: {_one_line(exc)}") from exc
    try:
        state = await schema_state(engine)
        if upgrade or state.empty:
            state = await upgrade_schema(engine)
        if state.behind:
            raise ConfigError(
                f"database {shown}: schema at revision {state.current or '(none)'}, this version needs "
                f"{state.head}: run `bridge db upgrade --config FILE` (with this configuration) first"
            )
    except (StoreUnavailable, OSError) as exc:
        await engine.dispose()
        raise ConfigError(f"database {shown}: cannot open it: {_one_line(exc)}") from exc
    except BaseException:
        await engine.dispose()
        raise
    serve_api_shops(engine, api_shops)
    return SqlStore(engine)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500] or type(exc).__name__
