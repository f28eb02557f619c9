"""The fence around a line's work: its lease owner and token, checked in the same statement.

Every claim of a line adds one to its ``lease_token`` (``bridge.store.lines``),
and the claimed ``LineRecord`` carries the owner and token it was given. A
write that depends on still holding that lease (the SUBMITTED before a billing
call, every outcome after one, a renewal, a release) is a compare-and-set on
both: ``UPDATE lines … WHERE id = ? AND lease_token = ? AND lease_owner IS NOT
DISTINCT FROM ?`` with its row count checked. A worker whose lease ran out and
was taken over therefore writes nothing: its part stays SENT, and the new holder
looks it up before any resend. A record read without a claim (a person's
action) is fenced the same way: nobody may have claimed the line since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core.records import LineRecord
from bridge.store.schema import lines, trades


def fence(line: LineRecord) -> ColumnElement[bool]:
    """The line's row still under the lease ``line`` was read with (same owner, same generation)."""
    return and_(
        lines.c.id == line.id,
        lines.c.lease_token == line.lease_token,
        lines.c.lease_owner.is_not_distinct_from(line.lease_owner),
    )


def bound_fence() -> ColumnElement[bool]:
    """``fence`` for a statement built once: the line's id, token and owner as ``w_id``,
    ``w_token`` and ``w_owner`` (``fence_params`` gives them)."""
    return and_(
        lines.c.id == bindparam("w_id"),
        lines.c.lease_token == bindparam("w_token"),
        lines.c.lease_owner.is_not_distinct_from(bindparam("w_owner", type_=lines.c.lease_owner.type)),
    )


def fence_params(line: LineRecord) -> dict[str, Any]:
    """The values of ``bound_fence`` for ``line``."""
    return {"w_id": line.id, "w_token": line.lease_token, "w_owner": line.lease_owner}


def fence_holds(row: Row[Any], line: LineRecord, *, live_after: datetime | None = None) -> bool:
    """``fence`` held against a row read under lock (its lease owner, token and expiry)."""
    if row.lease_token != line.lease_token or row.lease_owner != line.lease_owner:
        return False
    return live_after is None or (row.lease_until is not None and row.lease_until > live_after)


async def held(conn: AsyncConnection, line: LineRecord, *, live_after: datetime | None = None) -> bool:
    """Whether ``line``'s lease still holds (and, with ``live_after``, lasts beyond it).

    Locks the trade's row, then the line's (PostgreSQL), the order every move
    takes them, so the answer stays true until the caller's transaction ends.
    """
    await conn.execute(select(trades.c.id).where(trades.c.id == line.trade_id).with_for_update())
    where = fence(line)
    if live_after is not None:
        where = and_(where, lines.c.lease_until > live_after)
    # a no-op SET: the row count of the compare-and-set is the answer, and the row stays locked
    res = await conn.execute(lines.update().where(where).values(lease_token=lines.c.lease_token))
    return res.rowcount == 1
