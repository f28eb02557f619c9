"""A database fault heals by itself: a poisoned connection is discarded, never handed out again.

PostgreSQL reads ``default_transaction_read_only`` when a session starts, so a
connection opened while the database was read-only stays read-only after the
database is writable again; the store's engine throws such a connection (and
the pool's older ones) away on its first read-only error, and the next call
opens a writable one. SQLite on a disk that fills up (a tmpfs of 4 MB, mounted by
root) refuses writes while it is full and takes them again once space is freed.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bridge.core.errors import StoreUnavailable
from bridge.store import SqlStore, open_store
from bridge.store.schema import cursors
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


@contextmanager
def mounted_tmpfs(directory: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``directory`` (needs root: the test is skipped elsewhere)."""
    directory.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)]
    mounted = subprocess.run(mount, capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB disk of its own."""
    with mounted_tmpfs(tmp_path / "disk", "4m") as disk:
        yield disk


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte with one file; return it."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:  # unbuffered: nothing left to write when it closes
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


async def test_sqlite_on_a_full_disk_works_again_once_the_disk_frees_up(tiny_disk: Path) -> None:
    """Writes fail STORE_FULL while the disk is full; once space is freed the next write works, on
    the same store."""
    store = await open_store(f"sqlite+aiosqlite:///{tiny_disk / 'bridge.sqlite'}")
    try:
        await _take(store)
        filler = fill(tiny_disk)
        with pytest.raises(StoreUnavailable) as full:
            for n in range(200):  # enough rows that a page must be added
                await store.pollers.take_poller(f"s{n}", "a", now=NOW, until=NOW + timedelta(seconds=60))
        assert full.value.code == "STORE_FULL"
        refused_at = store.writes_done()
        filler.unlink()
        await store.pollers.take_poller("after", "a", now=NOW, until=NOW + timedelta(seconds=60))
        assert store.writes_done() == refused_at + 1
    finally:
        await store.close()


async def test_a_write_a_full_disk_refuses_is_not_counted_as_landed(tiny_disk: Path) -> None:
    """Health's sign that writes land again (``writes_done``) ignores a write whose COMMIT failed."""
    store = await open_store(f"sqlite+aiosqlite:///{tiny_disk / 'bridge.sqlite'}")
    try:
        await _take(store)
        landed = store.writes_done()
        fill(tiny_disk)
        for n in range(200):
            try:
                await store.pollers.take_poller(f"s{n}", "a", now=NOW, until=NOW + timedelta(seconds=60))
            except StoreUnavailable:
                break
            landed = store.writes_done()
        else:
            pytest.fail("the full disk never refused a write")
        assert store.writes_done() == landed
    finally:
        await store.close()


async def test_only_a_committed_write_is_counted(pg: tuple[str, AsyncEngine]) -> None:
    """A transaction that wrote and rolled back, or only read, does not count; one that wrote does."""
    dsn, _ = pg
    store = await open_store(dsn)
    try:
        before = store.writes_done()
        await store.views.state_counts()
        async with store.engine.connect() as conn:  # written, never committed
            await conn.execute(cursors.update().values(poller="x"))
            await conn.rollback()
        assert store.writes_done() == before
        await _take(store)
        assert store.writes_done() == before + 1
    finally:
        await store.close()
