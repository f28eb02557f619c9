"""The store's schema under Alembic: where it stands, and bringing it up to the newest revision.

``open_store`` asks ``schema_state`` before handing out a store: the daemon
refuses to start on a schema that is behind (``bridge db upgrade`` moves it),
while the demo, the torture and the tests upgrade a database they created.
A database created before migrations existed (today's tables, no version
row) is stamped at the first revision, which is exactly that schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.store.sqlite_driver import DeferredBegin

FIRST_REVISION = "0001"
_MIGRATION_LOCK = 0x62726964  # one PostgreSQL advisory lock: instances starting together migrate once


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str
    has_tables: bool

    @property
    def behind(self) -> bool:
        return self.current != self.head

    @property
    def empty(self) -> bool:
        return self.current is None and not self.has_tables


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "bridge.store:migrations")
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # the package ships at least the first revision
    return head


def _state(connection: Connection) -> SchemaState:
    current = MigrationContext.configure(connection).get_current_revision()
    has_tables = inspect(connection).has_table("trades")
    return SchemaState(current=current, head=head_revision(), has_tables=has_tables)


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """SQLite's foreign key enforcement, switched before the transaction begins (it cannot be
    inside one): off while a migration copies a table others refer to (``0013_text_ids``), the
    keys then checked by the migration, and on again afterwards."""
    dbapi = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and isinstance(dbapi, DeferredBegin):
        dbapi.before_begin(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _upgrade(connection: Connection) -> None:
    _sqlite_foreign_keys(connection, on=False)
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
    state = _state(connection)
    cfg = _config(connection)
    if state.current is None and state.has_tables:
        command.stamp(cfg, FIRST_REVISION)  # made by create_all before migrations: the first revision
    command.upgrade(cfg, "head")


async def schema_state(engine: AsyncEngine) -> SchemaState:
    async with engine.connect() as conn:
        return await conn.run_sync(_state)


async def upgrade_schema(engine: AsyncEngine) -> SchemaState:
    """Apply every migration not yet applied, in one transaction; the state afterwards."""
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade)
    finally:
        async with engine.connect() as conn:
            await conn.run_sync(_sqlite_foreign_keys, True)
    return await schema_state(engine)
