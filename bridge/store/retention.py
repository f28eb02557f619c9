"""The retention's moves: old events and audit rows, from their hot table to its archive, a batch at a time.

Each batch is one transaction: the rows are deleted from the hot table and the
very rows the delete handed back (``RETURNING``) are inserted into the archive
under the ids they had, so a failure anywhere in it leaves both tables as they
were, and a crash loses or doubles nothing. Several instances may move at once:
the batch's rows are chosen under a row lock that skips rows another
transaction holds (PostgreSQL; SQLite's write lock lets one move at a time), so
each takes rows of its own, and a row another has just moved is gone from the
hot table when it is looked at again. The archive's primary key is the hot id,
so a row can never be archived twice. The newest row of a hot table is never
moved: SQLite gives a new row the highest id plus one, and an emptied table
would hand out ids the archive already holds. A batch is cut to what one
statement of the engine takes (``bridge.store.chunks``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Table, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.ports.store.retention import ArchiveKind
from bridge.store.archive_schema import ARCHIVES
from bridge.store.chunks import rows_per_statement


def _old(hot: Table, before: datetime) -> ColumnElement[bool]:
    """The hot rows written before ``before``, the table's newest one excepted."""
    newest = select(func.max(hot.c.id)).correlate(None).scalar_subquery()  # the whole table's
    return and_(hot.c.at < before, hot.c.id < newest)


async def move_batch(conn: AsyncConnection, kind: ArchiveKind, before: datetime, limit: int) -> int:
    """One batch of ``kind``'s rows written before ``before`` moved to the archive on ``conn`` (the
    caller's transaction); how many."""
    hot, archive = ARCHIVES[kind]
    size = min(limit, rows_per_statement(conn, params_per_row=len(hot.columns)))
    picked = (
        select(hot.c.id)
        .where(_old(hot, before))
        .order_by(hot.c.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    deleted = hot.delete().where(hot.c.id.in_(picked.scalar_subquery())).returning(*hot.columns)
    rows = [dict(r) for r in (await conn.execute(deleted)).mappings().all()]
    if rows:
        await conn.execute(archive.insert(), rows)
    return len(rows)


class RetentionRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def archive_batch(self, kind: ArchiveKind, before: datetime, limit: int) -> int:
        async with self._engine.begin() as conn:
            return await move_batch(conn, kind, before, limit)

    async def archivable(self, kind: ArchiveKind, before: datetime) -> int:
        hot, _ = ARCHIVES[kind]
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).where(_old(hot, before)))).scalar_one())
