"""SQLite through aiosqlite's thread in one hand-off per statement.

SQLAlchemy's aiosqlite adapter sends each step of a statement to aiosqlite's
thread and waits for it: open a cursor, execute, fetch the rows, close the
cursor; four trips to the thread and back (a queue put that wakes the thread,
a wake-up of the event loop through its self-pipe) for every statement, BEGIN
included. This adapter runs the four steps as one function in that thread and
hands back the description, the rows, the row count and the last row id
together: one trip per statement, the rows already fetched (the stock adapter
fetches them all too). A transaction's ``BEGIN IMMEDIATE`` (``bridge.store.engine``)
is not a trip of its own: it runs in the thread just before the transaction's
first statement, in the same trip, so the write lock is taken at the same point
of the transaction as before (a transaction that ran no statement opens none).
Everything else (connect, commit, rollback, isolation level, close, server-side
cursors) is the stock adapter's.

It uses two internals of ``aiosqlite.Connection`` (``_execute``, which queues
a function for its thread, and ``_conn``, the ``sqlite3`` connection that
thread owns); where they are missing, ``sqlite_dbapi`` returns None and the
engine keeps the stock adapter.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]


def _one_trip(db: Any, begin: str | None, operation: str, parameters: Any, many: bool) -> _Outcome:
    """In aiosqlite's thread: the deferred BEGIN if any, then execute, fetch everything, close;
    what the cursor would have said."""
    cursor = db._conn.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement, rows and counts come back in one trip."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False  # nothing is open in the thread once a statement is back

    def __init__(self, adapt_connection: Any) -> None:  # no cursor opened ahead in the thread
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._trip(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._trip(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        adapt = cast(_OneTripConnection, self._adapt_connection)
        async with adapt._execute_mutex:
            begin, adapt._begin = adapt._begin, None
            adapt._settled = False
            outcome: _Outcome = await self._connection._execute(
                _one_trip, self._connection, begin, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


class DeferredBegin(AsyncAdapt_aiosqlite_connection):
    """A DBAPI connection whose BEGIN can wait for the transaction's first statement."""

    __slots__ = ()

    def defer_begin(self, statement: str) -> None:
        raise NotImplementedError

    def before_begin(self, statement: str) -> None:
        """Run ``statement`` now, ahead of a deferred BEGIN (a PRAGMA that means nothing in a
        transaction, such as ``foreign_keys``)."""
        raise NotImplementedError


class _OneTripConnection(DeferredBegin):
    """The stock connection, with a BEGIN that travels with the transaction's first statement."""

    __slots__ = ("_begin", "_settled")
    _cursor_cls = _OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None
        self._settled = False  # True: committed or rolled back, no statement since

    def defer_begin(self, statement: str) -> None:
        """Run ``statement`` (``BEGIN IMMEDIATE``) in the same trip as the next statement."""
        self._begin = statement

    def before_begin(self, statement: str) -> None:
        pending, self._begin = self._begin, None
        try:
            cursor = self.cursor()
            cursor.execute(statement)
            cursor.close()
        finally:
            self._begin = pending

    def commit(self) -> None:
        if self._begin is not None:  # nothing ran since BEGIN: no transaction was opened
            self._begin = None
            return
        super().commit()
        self._settled = True

    def rollback(self) -> None:
        # nothing ran since BEGIN, or since the last commit or rollback (the pool's reset when a
        # connection comes back after a commit): no transaction is open, no trip needed
        if self._begin is not None or self._settled:
            self._begin = None
            return
        super().rollback()
        self._settled = True


class _OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _OneTripConnection:
        stock = super().connect(*arg, **kw)
        return _OneTripConnection(self, stock._connection)


def sqlite_dbapi() -> AsyncAdapt_aiosqlite_dbapi | None:
    """The one-trip adapter as the engine's ``module``, or None where aiosqlite lacks its internals."""
    if not (hasattr(aiosqlite.Connection, "_execute") and hasattr(aiosqlite.Connection, "_conn")):
        return None
    return _OneTripDbapi(aiosqlite, sqlite3)
