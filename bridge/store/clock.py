"""The database's own clock: the one time every instance of the bridge agrees on.

PostgreSQL answers ``clock_timestamp()`` (the time of the statement itself, not
of its transaction); SQLite answers ``strftime('%Y-%m-%d %H:%M:%f', 'now')``,
UTC to the millisecond (on SQLite every instance shares the host anyway).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine


async def database_time(engine: AsyncEngine) -> datetime:
    """The database's current time, timezone-aware (UTC)."""
    if engine.dialect.name == "postgresql":
        query = select(func.clock_timestamp())
    else:
        query = select(func.strftime("%Y-%m-%d %H:%M:%f", "now"))
    async with engine.connect() as conn:
        value = (await conn.execute(query)).scalar_one()
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"the database answered {value!r} for its time")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
