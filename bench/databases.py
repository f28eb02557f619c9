"""A throwaway database per cell: a new SQLite file, or a new PostgreSQL database dropped after.

PostgreSQL is the test server's (``BRIDGE_TEST_PG_DSN``, by default the role and
database ``scripts/setup-postgres`` creates); each cell gets a database of its
own, created and dropped through an AUTOCOMMIT connection to that one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

PG_DSN = os.environ.get(
    "BRIDGE_TEST_PG_DSN", "postgresql+asyncpg://bridge_test:bridge_test@127.0.0.1:5432/bridge_test"
)
ENGINES = ("sqlite", "postgresql")


def _admin() -> AsyncEngine:
    # CREATE/DROP DATABASE cannot run in a transaction
    return create_async_engine(PG_DSN, isolation_level="AUTOCOMMIT", poolclass=NullPool)


async def postgresql_problem() -> str | None:
    """Why PostgreSQL cells cannot run (None when the server answers)."""
    admin = _admin()
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure to connect means: skip the cells, say why
        shown = make_url(PG_DSN).render_as_string(hide_password=True)
        return (
            f"PostgreSQL at {shown} is not reachable ({type(exc).__name__}); scripts/setup-postgres starts it"
        )
    finally:
        await admin.dispose()
    return None


@asynccontextmanager
async def cell_database(engine: str, workdir: Path) -> AsyncIterator[str]:
    """The DSN of a new, empty database on ``engine`` for one cell."""
    if engine == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bridge.sqlite'}"
        return
    name = f"bench_{secrets.token_hex(6)}"
    admin = _admin()
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(PG_DSN).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()
