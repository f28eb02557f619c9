"""The SQLite adapter that takes a statement to aiosqlite's thread in one trip: same answers as a cursor."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from bridge.store.engine import create_engine_for
from bridge.store.sqlite_driver import sqlite_dbapi

_meta = MetaData()
_things = Table(
    "things",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(20), nullable=False, unique=True),
)


async def test_the_engine_uses_the_one_trip_adapter(tmp_path: Path) -> None:
    assert sqlite_dbapi() is not None
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'one.sqlite'}")
    await engine.dispose()
    assert type(engine.sync_engine.dialect.dbapi).__name__ == "_OneTripDbapi"


async def test_rows_counts_ids_and_errors_come_back_as_from_a_cursor(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'one.sqlite'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_meta.create_all)
            first = await conn.execute(insert(_things).values(name="a"))
            assert first.inserted_primary_key == (1,)
            many = await conn.execute(insert(_things), [{"name": "b"}, {"name": "c"}])
            assert many.rowcount == 2
            back = await conn.execute(insert(_things).values(name="d").returning(_things.c.id))
            assert back.scalar_one() == 4
            changed = await conn.execute(
                update(_things).where(_things.c.id > 2).values(name=_things.c.name + "!")
            )
            assert changed.rowcount == 2
            rows = (await conn.execute(select(_things).order_by(_things.c.id))).all()
            assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c!"), (4, "d!")]
            assert (await conn.execute(select(_things).where(_things.c.id == 9))).first() is None
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(insert(_things).values(name="a"))
        async with engine.connect() as conn:  # the failed transaction was rolled back, the connection is fine
            assert (await conn.execute(select(_things.c.name).where(_things.c.id == 1))).scalar_one() == "a"
    finally:
        await engine.dispose()


async def test_the_write_lock_is_taken_with_a_transactions_first_statement(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE travels with the first statement: from then on another writer is locked out."""
    path = tmp_path / "lock.sqlite"
    engine = create_engine_for(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_meta.create_all)
        async with engine.begin() as conn:
            await conn.execute(select(_things.c.id))  # a read, yet the transaction holds the write lock
            other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        async with engine.begin():  # a transaction that runs nothing opens none, and commits cleanly
            pass
        other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # every lock was given back
            other.execute("ROLLBACK")
        finally:
            other.close()
    finally:
        await engine.dispose()
