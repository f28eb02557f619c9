"""The database's failures as the project's errors: one table, applied once at the store's edge.

Services never see SQLAlchemy's or a driver's exceptions. A failure the
database reports for the moment (the connection dropped or refused, a timeout,
a lock or serialisation conflict, a busy, full or read-only database) becomes a
``StoreUnavailable`` whose ``code`` is the table's row; the service backs off
and tries again from what the store holds then. Each row says whether a
transaction whose COMMIT failed that way may still have committed
(``lost_at_commit``): only a connection lost, or a disk that failed, while the
COMMIT was on its way; the error then carries ``may_have_committed``. Every
write is a compare-and-set or an insert-or-ignore, so the next try finds such a
transaction done and does nothing twice.

Nothing else is mapped. A lost race is not an error here: every "someone else
got there first" is an insert-or-ignore on a unique constraint
(``schema.insert_ignore``) or a compare-and-set that reports False, so an
``IntegrityError`` that still escapes broke a rule, as does a
``ProgrammingError``, a ``DataError`` or a ``TypeError``: they stay bugs, and
the services log them with their traceback and keep the work for a person.

The table is applied in two places of one engine, both installed by
``bridge.store.engine`` when it makes the engine, so no repository or
transaction is wrapped: SQLAlchemy's ``handle_error`` event (every statement,
BEGIN, COMMIT and ROLLBACK on a connection; never the pool's pre-ping, which
replaces a dead connection by itself), and ``StorePool``, the engine's pool,
for what happens before a connection exists (none free in time, the server
refusing or not answering, a reconnect that fails), which reaches no event.
The event also marks a poisoned connection (``POISONED``) as a disconnect, so
the pool replaces it and work resumes by itself once the database is writable.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import AsyncAdaptedQueuePool, PoolProxiedConnection

from bridge.core.errors import StoreUnavailable

_CONNECTION_GONE = frozenset({"57P01", "57P02", "25P03"})  # admin / crash shutdown, idle in transaction
_CANNOT_CONNECT = frozenset({"57P03", "53300"})  # starting up, too many connections
POISONED = frozenset({"STORE_READ_ONLY", "STORE_CONNECTION_LOST"})
"""A connection that failed so is never used again: a read-only session stays read-only after the
database is writable again (PostgreSQL reads ``default_transaction_read_only`` once, at connect; a
standby promoted or a primary demoted keeps the sessions it had), and one that an administrator ended
or a failover cut is gone. SQLAlchemy then invalidates it and the pool's older connections."""


@dataclass(frozen=True)
class _Seen:
    """What one exception says, in the words the table reads."""

    sqlstate: str  # PostgreSQL's SQLSTATE, "" from elsewhere
    sqlite: int  # SQLite's primary result code, 0 from elsewhere
    lost: bool  # the connection is gone: SQLAlchemy's disconnect test, class 08, a socket error
    pool: bool  # no pooled connection came free in time
    connecting: bool  # raised while a connection was being made: nothing was sent


@dataclass(frozen=True)
class Row:
    """One kind of failure: its code, the words for it, and whether a COMMIT it broke may have landed."""

    code: str
    what: str
    matches: Callable[[_Seen], bool]
    lost_at_commit: bool


STORE_ERRORS: tuple[Row, ...] = (
    Row(
        "STORE_UNREACHABLE",
        "cannot connect to the database",
        lambda s: (
            s.connecting and (s.lost or s.sqlstate in _CANNOT_CONNECT or s.sqlite == sqlite3.SQLITE_CANTOPEN)
        ),
        False,
    ),
    Row("STORE_POOL_TIMEOUT", "no database connection came free in time", lambda s: s.pool, False),
    Row("STORE_SERIALISATION", "serialisation failure", lambda s: s.sqlstate == "40001", False),
    Row("STORE_DEADLOCK", "deadlock", lambda s: s.sqlstate == "40P01", False),
    Row("STORE_LOCK_TIMEOUT", "a row lock was not granted in time", lambda s: s.sqlstate == "55P03", False),
    Row("STORE_STATEMENT_TIMEOUT", "a statement ran out of time", lambda s: s.sqlstate == "57014", False),
    Row(
        "STORE_BUSY",
        "the database is locked by another writer",
        lambda s: s.sqlite in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_PROTOCOL),
        False,
    ),
    Row(
        "STORE_READ_ONLY",
        "the database is read-only",
        lambda s: s.sqlstate == "25006" or s.sqlite == sqlite3.SQLITE_READONLY,
        False,
    ),
    Row(
        "STORE_FULL",
        "the database's disk or memory is full",
        lambda s: s.sqlstate.startswith("53") or s.sqlite in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOMEM),
        False,
    ),
    Row(
        "STORE_DISK_IO",
        "disk I/O error",
        lambda s: s.sqlstate == "58030" or s.sqlite in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN),
        True,
    ),
    Row("STORE_CONNECTION_LOST", "the database connection was lost", lambda s: s.lost, True),
)
"""Read top to bottom, the first row that matches decides. Every error this module raises comes from here."""


def _seen(exc: BaseException, *, lost: bool, connecting: bool) -> _Seen:
    if isinstance(exc, DBAPIError):  # SQLAlchemy's wrapper: read the driver's own error
        lost = lost or exc.connection_invalidated
        exc = exc.orig if exc.orig is not None else exc
    sqlstate = str(getattr(exc, "sqlstate", None) or "")
    sqlite = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF if isinstance(exc, sqlite3.Error) else 0
    gone = isinstance(exc, OSError) or sqlstate.startswith("08") or sqlstate in _CONNECTION_GONE
    return _Seen(sqlstate, sqlite, lost or gone, isinstance(exc, PoolTimeoutError), connecting)


def classify(
    exc: BaseException, *, lost: bool = False, committing: bool = False, connecting: bool = False
) -> StoreUnavailable | None:
    """The project's error for a database failure; None when ``exc`` is not one (a bug stays itself).

    ``lost``: SQLAlchemy found the connection gone; ``committing``: ``exc`` came out of a COMMIT;
    ``connecting``: out of making a connection.
    """
    if not isinstance(exc, Exception):  # a cancellation or an exit is never the database's
        return None
    seen = _seen(exc, lost=lost, connecting=connecting)
    row = next((r for r in STORE_ERRORS if r.matches(seen)), None)
    if row is None:
        return None
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return StoreUnavailable(
        f"{row.what}: {cause}" if str(cause) else f"{row.what}: {type(cause).__name__}",
        code=row.code,
        may_have_committed=committing and row.lost_at_commit,
    )


class StorePool(AsyncAdaptedQueuePool):
    """The engine's pool: a connection it cannot hand out raises the table's error."""

    def connect(self) -> PoolProxiedConnection:
        try:
            return super().connect()
        except Exception as exc:  # whatever the driver raised on connecting: the table decides
            mapped = classify(exc, connecting=True)
            if mapped is None:
                raise
            raise mapped from exc


def map_store_errors(engine: AsyncEngine) -> None:
    """Raise the table's errors for every failure on ``engine``'s connections (installed once)."""
    committing: weakref.WeakSet[Connection] = weakref.WeakSet()  # connections whose COMMIT is on its way

    def on_begin(conn: Connection) -> None:
        committing.discard(conn)

    def on_commit(conn: Connection) -> None:
        committing.add(conn)

    def on_error(ctx: ExceptionContext) -> BaseException | None:
        if ctx.is_pre_ping:  # the pool replaces a dead connection by itself: nothing failed yet
            return None
        conn = ctx.connection
        mapped = classify(
            ctx.original_exception,
            lost=ctx.is_disconnect,
            committing=conn is not None and ctx.statement is None and conn in committing,
            connecting=conn is None,
        )
        if mapped is not None and mapped.code in POISONED:  # discarded, with every pooled connection
            ctx.is_disconnect = True  # older than it: they were opened into the same state
        return mapped

    sync = engine.sync_engine
    event.listen(sync, "begin", on_begin)
    event.listen(sync, "commit", on_commit)
    event.listen(sync, "handle_error", on_error)


def count_writes(engine: AsyncEngine) -> Callable[[], int]:
    """A rising count of the transactions with a write (INSERT, UPDATE, DELETE) ``engine`` committed.

    Health reads whether a write has landed since a job's store error: one that
    did means the database takes writes again. Counted once the COMMIT has
    returned (the dialect's ``do_commit``, wrapped here: SQLAlchemy has no event
    after a commit), so a write that a full disk refuses at COMMIT never counts.
    """
    done = [0]
    wrote: weakref.WeakSet[Any] = weakref.WeakSet()  # pooled connections whose transaction wrote

    def on_begin(conn: Connection) -> None:
        wrote.discard(conn.connection)

    def on_executed(conn: Connection, _c: object, _s: str, _p: object, ctx: Any, _m: bool) -> None:
        if ctx is not None and (ctx.isinsert or ctx.isupdate or ctx.isdelete):
            wrote.add(conn.connection)

    dialect = engine.sync_engine.dialect
    plain_commit = dialect.do_commit

    def do_commit(dbapi_connection: Any) -> None:
        plain_commit(dbapi_connection)
        if dbapi_connection in wrote:
            wrote.discard(dbapi_connection)
            done[0] += 1

    dialect.do_commit = do_commit  # type: ignore[method-assign]  # the one way to act after a COMMIT
    event.listen(engine.sync_engine, "begin", on_begin)
    event.listen(engine.sync_engine, "after_cursor_execute", on_executed)
    return lambda: done[0]
