"""The store's error table, row by row, on the exceptions the drivers really raise.

Each case is an exception as it reaches ``bridge.store.errors.classify``: an
asyncpg error as SQLAlchemy's asyncpg adapter hands it on (with its SQLSTATE), a
``sqlite3`` error with its result code (made by SQLite itself where that is
cheap), SQLAlchemy's pool timeout, a socket error. The columns: the code (None:
not the database's failure, a bug left as it is), retryable, and whether the
transaction may have committed when the failure broke its COMMIT.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest
from asyncpg import exceptions as pg
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection, AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bridge.core.errors import Retryable, StoreUnavailable
from bridge.store.errors import STORE_ERRORS, classify


def _adapted(error: Exception) -> Exception:
    """``error`` as SQLAlchemy's asyncpg adapter raises it (its DBAPI class, the SQLSTATE kept)."""
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(
            AsyncAdapt_asyncpg_dbapi(asyncpg), error
        )
    except Exception as raised:
        return raised
    raise AssertionError("the adapter raised nothing")


def _sqlite_busy(tmp_path: Path) -> sqlite3.Error:
    holder = sqlite3.connect(tmp_path / "busy.sqlite", isolation_level=None)
    other = sqlite3.connect(tmp_path / "busy.sqlite", timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        other.execute("SELECT 1 FROM sqlite_master")
    except sqlite3.Error as exc:
        return exc
    finally:
        holder.close()
        other.close()
    raise AssertionError("SQLite let the second connection read")


def _sqlite_read_only(tmp_path: Path) -> sqlite3.Error:
    sqlite3.connect(tmp_path / "ro.sqlite").execute("CREATE TABLE t (x)").connection.close()
    conn = sqlite3.connect(f"file:{tmp_path / 'ro.sqlite'}?mode=ro", uri=True)
    try:
        conn.execute("INSERT INTO t VALUES (1)")
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("SQLite wrote a read-only database")


def _sqlite_cant_open(tmp_path: Path) -> sqlite3.Error:
    try:
        sqlite3.connect(tmp_path / "missing" / "x.sqlite")
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("SQLite opened a file in a missing folder")


def _sqlite_code(code: int, message: str) -> sqlite3.Error:
    """An error SQLite raises only on a failing disk, with the result code it carries."""
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


_CASES = {
    # name: (a maker of the exception, given tmp_path; classify's flags; the code, None: not mapped)
    "pg serialisation": (
        lambda _: _adapted(pg.SerializationError("could not serialize")),
        {},
        "STORE_SERIALISATION",
    ),
    "pg deadlock": (lambda _: _adapted(pg.DeadlockDetectedError("deadlock detected")), {}, "STORE_DEADLOCK"),
    "pg lock timeout": (
        lambda _: _adapted(pg.LockNotAvailableError("lock timeout")),
        {},
        "STORE_LOCK_TIMEOUT",
    ),
    "pg statement timeout": (
        lambda _: _adapted(pg.QueryCanceledError("statement timeout")),
        {},
        "STORE_STATEMENT_TIMEOUT",
    ),
    "pg read-only": (lambda _: _adapted(pg.ReadOnlySQLTransactionError("read-only")), {}, "STORE_READ_ONLY"),
    "pg disk full": (lambda _: _adapted(pg.DiskFullError("no space")), {}, "STORE_FULL"),
    "pg out of memory": (lambda _: _adapted(pg.OutOfMemoryError("out of memory")), {}, "STORE_FULL"),
    "pg too many connections": (
        lambda _: _adapted(pg.TooManyConnectionsError("too many")),
        {"connecting": True},
        "STORE_UNREACHABLE",
    ),
    "pg starting up": (
        lambda _: _adapted(pg.CannotConnectNowError("starting up")),
        {"connecting": True},
        "STORE_UNREACHABLE",
    ),
    "pg connection lost": (
        lambda _: _adapted(pg.ConnectionDoesNotExistError("closed in the middle")),
        {},
        "STORE_CONNECTION_LOST",
    ),
    "pg connection lost at commit": (
        lambda _: _adapted(pg.ConnectionDoesNotExistError("closed in the middle")),
        {"committing": True},
        "STORE_CONNECTION_LOST",
    ),
    "pg admin shutdown": (
        lambda _: _adapted(pg.AdminShutdownError("terminating")),
        {},
        "STORE_CONNECTION_LOST",
    ),
    "pg idle in transaction": (
        lambda _: _adapted(pg.IdleInTransactionSessionTimeoutError("idle")),
        {},
        "STORE_CONNECTION_LOST",
    ),
    "pg disconnect seen by SQLAlchemy": (
        lambda _: _adapted(pg.InterfaceError("connection is closed")),
        {"lost": True, "committing": True},
        "STORE_CONNECTION_LOST",
    ),
    "pg lock timeout at commit": (
        lambda _: _adapted(pg.LockNotAvailableError("lock timeout")),
        {"committing": True},
        "STORE_LOCK_TIMEOUT",
    ),
    "pg unique violation": (lambda _: _adapted(pg.UniqueViolationError("duplicate key")), {}, None),
    "pg undefined table": (lambda _: _adapted(pg.UndefinedTableError("no such relation")), {}, None),
    "sqlite busy": (_sqlite_busy, {}, "STORE_BUSY"),
    "sqlite busy at commit": (_sqlite_busy, {"committing": True}, "STORE_BUSY"),
    "sqlite busy wrapped by SQLAlchemy": (
        lambda p: OperationalError("INSERT", {}, _sqlite_busy(p)),
        {},
        "STORE_BUSY",
    ),
    "sqlite read-only": (_sqlite_read_only, {}, "STORE_READ_ONLY"),
    "sqlite cannot open": (_sqlite_cant_open, {"connecting": True}, "STORE_UNREACHABLE"),
    "sqlite disk full": (lambda _: _sqlite_code(sqlite3.SQLITE_FULL, "disk is full"), {}, "STORE_FULL"),
    "sqlite disk I/O at commit": (
        lambda _: _sqlite_code(sqlite3.SQLITE_IOERR_WRITE, "disk I/O error"),
        {"committing": True},
        "STORE_DISK_IO",
    ),
    "sqlite constraint": (
        lambda _: _sqlite_code(sqlite3.SQLITE_CONSTRAINT_UNIQUE, "UNIQUE failed"),
        {},
        None,
    ),
    "sqlite no such table": (lambda _: sqlite3.OperationalError("no such table: t"), {}, None),
    "pool exhausted": (lambda _: PoolTimeoutError("QueuePool limit reached"), {}, "STORE_POOL_TIMEOUT"),
    "refused": (
        lambda _: ConnectionRefusedError(111, "Connect call failed"),
        {"connecting": True},
        "STORE_UNREACHABLE",
    ),
    "connect timed out": (lambda _: TimeoutError(), {"connecting": True}, "STORE_UNREACHABLE"),
    "reset mid-statement": (
        lambda _: ConnectionResetError(104, "reset by peer"),
        {},
        "STORE_CONNECTION_LOST",
    ),
    "reset at commit": (
        lambda _: ConnectionResetError(104, "reset by peer"),
        {"committing": True},
        "STORE_CONNECTION_LOST",
    ),
    "programming error": (lambda _: ProgrammingError("SELECT", {}, Exception("syntax")), {}, None),
    "a bug": (lambda _: TypeError("unsupported operand"), {}, None),
    "a cancellation": (lambda _: asyncio.CancelledError(), {"lost": True}, None),
}
_COMMITTED_MAYBE = {
    "pg connection lost at commit",
    "pg disconnect seen by SQLAlchemy",
    "sqlite disk I/O at commit",
    "reset at commit",
}


@pytest.mark.parametrize("name", list(_CASES))
def test_each_failure_maps_to_its_row(name: str, tmp_path: Path) -> None:
    """The failure's code (or None: left as it is), retryable, and may-have-committed as the table says."""
    make, flags, code = _CASES[name]
    mapped = classify(make(tmp_path), **flags)
    if code is None:
        assert mapped is None
        return
    assert isinstance(mapped, StoreUnavailable) and isinstance(mapped, Retryable)
    assert (mapped.code, mapped.may_have_committed) == (code, name in _COMMITTED_MAYBE)


def test_every_row_of_the_table_is_exercised() -> None:
    """No row of the table goes untested."""
    assert {row.code for row in STORE_ERRORS} == {c for _, _, c in _CASES.values() if c is not None}


def test_only_a_lost_connection_or_disk_leaves_a_commit_in_doubt() -> None:
    """The rows whose COMMIT may have landed when they break it."""
    assert {row.code for row in STORE_ERRORS if row.lost_at_commit} == {
        "STORE_CONNECTION_LOST",
        "STORE_DISK_IO",
    }


def test_the_message_is_the_drivers_without_the_statement() -> None:
    """The message names the failure and the driver's words, never SQLAlchemy's [SQL: …] with parameters."""
    wrapped = OperationalError(
        "UPDATE lines SET card_no=?", {"card_no": "8000123456789012"}, _sqlite_code(5, "database is locked")
    )
    mapped = classify(wrapped)
    assert (
        mapped is not None
        and str(mapped) == "STORE_BUSY: the database is locked by another writer: database is locked"
    )
