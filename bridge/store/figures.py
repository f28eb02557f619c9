"""The figures monitoring reads from the shared store at each scrape: a few aggregates, one connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, column, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.records import ShopFigures, StoreFigures
from bridge.core.states import DeliveryState, LineState
from bridge.store.rows import aware
from bridge.store.schema import UtcDateTime, cursors, lines, trades

_SINCE = func.coalesce(lines.c.paid_at, lines.c.created_at)
_WORKING = (LineState.RECEIVED, LineState.READY, LineState.SUBMITTED, LineState.UNKNOWN)
_DUE = DeliveryState.DUE.value
_LAST_PAID = text(
    # each shop's newest payment: the shops found by skipping along the (shop, paid_at) index, one
    # seek a shop, then one seek for its newest payment (a GROUP BY read the whole index)
    "WITH RECURSIVE shops(shop) AS ("
    " SELECT min(shop) FROM lines"
    " UNION ALL"
    " SELECT (SELECT min(n.shop) FROM lines AS n WHERE n.shop > shops.shop) FROM shops"
    " WHERE shops.shop IS NOT NULL)"
    " SELECT shop, (SELECT max(p.paid_at) FROM lines AS p WHERE p.shop = shops.shop) AS last_paid"
    " FROM shops WHERE shop IS NOT NULL"
).columns(column("shop", String), column("last_paid", UtcDateTime))


class FigureRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def figures(self) -> StoreFigures:
        """Lines by state and by reason, the oldest waiting, failing write-backs, each shop's cursor."""
        async with self._engine.connect() as conn:
            by_state = await _counts(conn, lines.c.state, None)
            by_reason = await _counts(conn, lines.c.reason, lines.c.state == LineState.EXCEPTION.value)
            oldest_due = await _oldest_due(conn)
            oldest_exc = await conn.execute(
                select(func.min(_SINCE)).where(lines.c.state == LineState.EXCEPTION.value)
            )
            failing = await conn.execute(
                select(func.count())
                .select_from(trades)
                .where(and_(trades.c.delivery_state == _DUE, trades.c.delivery_attempts > 0))
            )
            paid = {str(shop): at for shop, at in (await conn.execute(_LAST_PAID)).all()}
            cursor_rows = (await conn.execute(select(cursors))).mappings().all()
        shops = {str(r["shop"]) for r in cursor_rows} | {str(s) for s in paid}
        by_shop = {str(r["shop"]): r for r in cursor_rows}
        return StoreFigures(
            lines_by_state=by_state,
            exceptions_by_reason=by_reason,
            oldest_due=oldest_due,
            oldest_exception=aware(oldest_exc.scalar_one()),
            writeback_failing=int(failing.scalar_one()),
            shops=tuple(_shop(name, by_shop.get(name), paid.get(name)) for name in sorted(shops)),
        )


async def _oldest_due(conn: AsyncConnection) -> datetime | None:
    """When the oldest line waiting for the bridge started waiting: still moving, or applied in a trade
    whose write-back is due. Two reads, each by an index (one with an OR across the join scanned it all)."""
    moving = select(func.min(_SINCE)).where(lines.c.state.in_([s.value for s in _WORKING]))
    applied = (
        select(func.min(_SINCE))
        .select_from(lines.join(trades, trades.c.id == lines.c.trade_id))
        .where(and_(trades.c.delivery_state == _DUE, lines.c.state == LineState.APPLIED.value))
    )
    found = [aware((await conn.execute(q)).scalar_one()) for q in (moving, applied)]
    return min((at for at in found if at is not None), default=None)


async def _counts(conn: AsyncConnection, column: Any, where: Any) -> dict[str, int]:
    query = select(column, func.count()).group_by(column)
    rows = (await conn.execute(query if where is None else query.where(where))).all()
    return {str(key): int(n) for key, n in rows}


def _shop(name: str, cursor: Any, last_paid: Any) -> ShopFigures:
    return ShopFigures(
        shop=name,
        watermark=aware(cursor["watermark"]) if cursor is not None else None,
        last_poll_success=aware(cursor["last_success_at"]) if cursor is not None else None,
        last_paid=aware(last_paid),
        poll_error=cursor["last_error"] if cursor is not None else None,
    )
