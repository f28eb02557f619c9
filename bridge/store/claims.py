"""Claiming work with a lease: one routine for lines, trades and memos.

A row is due when its own condition holds and no live lease covers it. The
batch is taken in one statement: ``WITH pick AS (SELECT id … WHERE due ORDER BY … LIMIT
n FOR UPDATE SKIP LOCKED) UPDATE … WHERE id IN pick AND due RETURNING id``. On
PostgreSQL two claimers skip each other's locked rows (disjoint batches, no
waiting) and the repeated ``due`` re-checks each row as it is updated; SQLite
serialises writers at BEGIN, so its plain subquery sees every earlier claim.
A row another worker took is skipped, never taken over; a crashed worker's
rows become due again when its lease runs out. Lease times and ``now`` come
from the caller: in a running bridge the database's clock
(``bridge.services.clock``), so instances on hosts with different wall clocks
agree on when a lease runs out. A line's claim also
adds one to its ``lease_token``: the fence every later write checks
(``bridge.store.fencing``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, Update, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

When = datetime | ColumnElement[Any]  # a moment, or a bound parameter standing for one


def at_or_before(column: Column[Any], now: When) -> ColumnElement[bool]:
    """``column`` is unset or not later than ``now``: a schedule or a lease that has come round."""
    return or_(column.is_(None), column <= now)


def lease_free(table: Table, now: When) -> ColumnElement[bool]:
    """No live lease: none taken, or the last one ran out before ``now``."""
    return or_(table.c.lease_until.is_(None), table.c.lease_until < now)


def claim_statement(
    table: Table,
    due: ColumnElement[bool],
    *,
    order_by: Sequence[Any],
    limit: int | ColumnElement[Any],
    hold: Mapping[str, object],
) -> Update:
    """The claim as one statement (see ``claim``); built once where its values are bound parameters."""
    # a CTE, not a plain subquery: PostgreSQL evaluates a CTE once, while an IN (subquery … FOR
    # UPDATE) may be re-run per row and, skipping the rows it just took, take more than ``limit``
    pick = (
        select(table.c.id)
        .where(due)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte(f"pick_{table.name}")
    )
    return (
        table.update()
        .where(and_(table.c.id.in_(select(pick.c.id)), due))
        .values(**hold)
        .returning(table.c.id)
    )


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
    taken = claim_statement(table, due, order_by=order_by, limit=limit, hold=hold)
    return await claim_with(conn, taken)


async def claim_with(
    conn: AsyncConnection, taken: Update, params: Mapping[str, Any] | None = None
) -> list[int]:
    """Run a claim statement (``claim_statement``) with its ``params``: the ids taken, sorted."""
    return sorted((await conn.execute(taken, dict(params or {}))).scalars().all())
