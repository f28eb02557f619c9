"""A database that refuses audit rows: a real trigger on ``audit_log``, on SQLite and on PostgreSQL.

An audited change must commit with its audit row or not at all. The most
convincing failure between the two is the database itself refusing the row:
``refuse_audit(engine, action)`` makes every insert of an audit row for
``action`` fail inside whatever transaction inserts it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

REFUSED = DBAPIError
"""What the store raises when the database refuses a statement."""

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit row refused (test)'; END $$
"""


async def refuse_audit(engine: AsyncEngine, action: str) -> None:
    """From now on the database refuses any audit row whose action is ``action``."""
    name = f"refuse_audit_{action}"
    async with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE INSERT ON audit_log WHEN NEW.action = '{action}' "
                    "BEGIN SELECT RAISE(ABORT, 'audit row refused (test)'); END"
                )
            )
            return
        await conn.execute(text(_PG_FUNCTION))
        await conn.execute(
            text(
                f"CREATE TRIGGER {name} BEFORE INSERT ON audit_log FOR EACH ROW "
                f"WHEN (NEW.action = '{action}') EXECUTE FUNCTION refuse_audit_row()"
            )
        )
