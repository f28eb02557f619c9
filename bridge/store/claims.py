"""Claiming work with a lease: one routine for lines, trades and memos.

A row is due when its own condition holds and no live lease covers it. The
routine picks the due rows in order and takes each with a compare-and-set on
that same condition (``UPDATE … WHERE id = ? AND due``), so a row another
worker took in between is skipped, never taken over; a crashed worker's rows
become due again when its lease runs out (a time from the caller's clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection


def at_or_before(column: Column[Any], now: datetime) -> ColumnElement[bool]:
    """``column`` is unset or not later than ``now``: a schedule or a lease that has come round."""
    return or_(column.is_(None), column <= now)


def lease_free(table: Table, now: datetime) -> ColumnElement[bool]:
    """No live lease: none taken, or the last one ran out before ``now``."""
    return or_(table.c.lease_until.is_(None), table.c.lease_until < now)


async def claim(
    conn: AsyncConnection,
    table: Table,
    due: ColumnElement[bool],
    *,
    order_by: Sequence[Any],
    limit: int,
    hold: Mapping[str, object],
) -> list[int]:
    """Take up to ``limit`` rows of ``table`` where ``due`` holds, setting the ``hold`` columns.

    ``hold`` is what makes the row no longer due (a lease owner and expiry, or
    a later time to look again). Returns the ids taken, in ``order_by`` order.
    """
    query = select(table.c.id).where(due).order_by(*order_by).limit(limit)
    ids = (await conn.execute(query)).scalars().all()
    claimed = []
    for row_id in ids:
        res = await conn.execute(table.update().where(and_(table.c.id == row_id, due)).values(**hold))
        if res.rowcount:
            claimed.append(row_id)
    return claimed
