"""Throwaway databases for the tests: a SQLite file, or a fresh PostgreSQL database per test.

``scripts/setup-postgres`` creates the role and database of the default DSN;
``BRIDGE_TEST_PG_DSN`` points elsewhere. Each PostgreSQL test gets its own
database, copied from a template migrated once per session (a copy is much
faster than running the migrations), and dropped afterwards. Every name
carries the test process's pid: the template is dropped when the session ends
(``drop_template``), and databases left by a process that no longer runs (a
killed run) are dropped by the next session, never those of a run in progress.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import column, select, table
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bridge.store import open_store

PG_DSN = os.environ.get(
    "BRIDGE_TEST_PG_DSN", "postgresql+asyncpg://bridge_test:bridge_test@127.0.0.1:5432/bridge_test"
)
ENGINES = ["sqlite", "postgresql"]
_PREFIXES = ("bridge_tmpl_", "bridge_t_")
_TEMPLATE = f"bridge_tmpl_{os.getpid()}"
_template_ready: list[str] = []
_databases = table("pg_database", column("datname"))


def _admin() -> AsyncEngine:
    # CREATE/DROP DATABASE cannot run in a transaction
    return create_async_engine(PG_DSN, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _dsn(name: str) -> str:
    return make_url(PG_DSN).set(database=name).render_as_string(hide_password=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _drop_leftovers(admin: AsyncEngine) -> None:
    """Drop the databases of earlier test processes that are gone (killed before their clean-up)."""
    async with admin.connect() as conn:
        names = (await conn.execute(select(_databases.c.datname))).scalars().all()
        for name in names:
            prefix = next((p for p in _PREFIXES if name.startswith(p)), None)
            pid = name[len(prefix) :].split("_")[0] if prefix else ""
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                await _drop(admin, name)


async def _ensure_template(admin: AsyncEngine) -> None:
    if _template_ready:
        return
    await _drop_leftovers(admin)
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_TEMPLATE}"')
        await conn.exec_driver_sql(f'CREATE DATABASE "{_TEMPLATE}"')
    store = await open_store(_dsn(_TEMPLATE), upgrade=True)
    await store.close()
    _template_ready.append(_TEMPLATE)


async def _drop(admin: AsyncEngine, name: str) -> None:
    """Drop a database, ending its connections; wait out an autovacuum worker the role may not end.

    ``WITH (FORCE)`` needs the right to signal every backend on the database, and an autovacuum
    worker (which PostgreSQL may start on any fresh copy) belongs to no role: the drop is refused
    until the worker is done, which takes moments.
    """
    for attempt in range(50):
        try:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except ProgrammingError as exc:
            if "pg_signal_backend" not in str(exc) or attempt == 49:
                raise
            await asyncio.sleep(0.2)


@asynccontextmanager
async def postgresql_database() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database; dropped (its connections ended) afterwards."""
    if os.environ.get("BRIDGE_TEST_PG") == "skip":
        pytest.skip("BRIDGE_TEST_PG=skip: PostgreSQL tests are off")
    name = f"bridge_t_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    try:
        await _ensure_template(admin)
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{_TEMPLATE}"')
            # a test's database outlives no crash: its commits need not wait for the disk
            await conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        yield _dsn(name)
    finally:
        await _drop(admin, name)
        await admin.dispose()


@asynccontextmanager
async def throwaway_database(engine: str, tmp_path: Path) -> AsyncIterator[str]:
    """The DSN of an empty store on ``engine`` ("sqlite" or "postgresql")."""
    if engine == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bridge.sqlite'}"
        return
    async with postgresql_database() as dsn:
        yield dsn


async def drop_template() -> None:
    """Drop this process's template database, if one was made (the end of the test session)."""
    if not _template_ready:
        return
    admin = _admin()
    try:
        await _drop(admin, _TEMPLATE)
    finally:
        await admin.dispose()
    _template_ready.clear()
