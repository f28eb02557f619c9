"""What the dashboard reads beyond the counts by state: orders vs lines, the day per hour, delivery times.

An order is a trade (tid), a line (子订单) one of its oids: the figures say
which they count. Hours are counted in the database, grouped by the whole
hours since the Unix epoch (``bridge.core.trends.hour_index``), so a day of
orders comes back as at most 24 rows a series.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, cast, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.states import NEEDS_A_PERSON, LineState
from bridge.core.trends import Activity
from bridge.store.rows import aware
from bridge.store.schema import events, lines, trades


def _hour(conn: AsyncConnection, column: Any) -> Any:
    """``column``'s whole hours since the epoch, in the connection's dialect (stored times are UTC)."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 3600), BigInteger)
    return cast(func.strftime("%s", column), Integer) // 3600


async def _per_hour(conn: AsyncConnection, column: Any, counted: Any, where: Any) -> dict[int, int]:
    hour = _hour(conn, column)
    query = select(hour, func.count(counted)).where(where).group_by(hour)
    return {int(h): int(n) for h, n in (await conn.execute(query)).all()}


class DashboardRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def waiting_for_a_person(self) -> tuple[int, int]:
        """Orders with a line waiting for a person, and those lines: ``(orders, lines)``."""
        query = select(func.count(distinct(lines.c.trade_id)), func.count()).where(
            lines.c.state.in_([s.value for s in NEEDS_A_PERSON])
        )
        async with self._engine.connect() as conn:
            orders, n = (await conn.execute(query)).one()
        return int(orders), int(n)

    async def orders_delivered_since(self, since: datetime) -> int:
        """Orders (trades) marked delivered in the marketplace at or after ``since``."""
        query = select(func.count()).select_from(trades).where(trades.c.delivered_at >= since)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def activity_since(self, since: datetime) -> Activity:
        """Per hour since ``since``: orders received, orders delivered, lines that went to EXCEPTION."""
        async with self._engine.connect() as conn:
            incoming = await _per_hour(conn, trades.c.created_at, trades.c.id, trades.c.created_at >= since)
            delivered = await _per_hour(
                conn, trades.c.delivered_at, trades.c.id, trades.c.delivered_at >= since
            )
            exceptions = await _per_hour(
                conn,
                events.c.at,
                distinct(events.c.line_id),
                and_(events.c.at >= since, events.c.to_state == LineState.EXCEPTION.value),
            )
        return Activity(incoming=incoming, delivered=delivered, exceptions=exceptions)

    async def delivery_seconds_since(self, since: datetime) -> list[float]:
        """For each line delivered at or after ``since``: seconds from its trade's payment to delivery."""
        query = (
            select(trades.c.pay_time, lines.c.delivered_at)
            .select_from(lines.join(trades, trades.c.id == lines.c.trade_id))
            .where(and_(lines.c.delivered_at >= since, trades.c.pay_time.is_not(None)))
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        found: list[float] = []
        for paid, delivered in rows:
            paid_at, delivered_at = aware(paid), aware(delivered)
            if paid_at is not None and delivered_at is not None:
                found.append((delivered_at - paid_at).total_seconds())
        return found
