"""Read-only views for people and reports: one trade's story, counts by state and reason, progress."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.records import EventRecord, LineRecord, TradeRecord
from bridge.core.states import DeliveryState, LineState, MemoState
from bridge.store.rows import event_record, load_lines, trade_record
from bridge.store.schema import cursors, events, lines, memos, trades


class ViewRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def find_trades(self, tid: int, shop: str | None = None) -> list[TradeRecord]:
        """The stored trades with this tid: one per shop, or the given shop's."""
        where = trades.c.tid == tid if shop is None else and_(trades.c.tid == tid, trades.c.shop == shop)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(trades).where(where))).mappings().all()
        return [trade_record(r) for r in rows]

    async def trade_story(self, trade: TradeRecord) -> tuple[list[LineRecord], list[EventRecord]]:
        """The trade's lines and its whole timeline, oldest first."""
        timeline = select(events).where(and_(events.c.shop == trade.shop, events.c.tid == trade.tid))
        async with self._engine.connect() as conn:
            found = await load_lines(conn, lines.c.trade_id == trade.id)
            rows = (await conn.execute(timeline.order_by(events.c.id))).mappings().all()
        return found, [event_record(r) for r in rows]

    async def state_counts(self) -> dict[str, int]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(lines.c.state, func.count()).group_by(lines.c.state))).all()
        return {state: int(n) for state, n in rows}

    async def exception_counts(self) -> dict[str, int]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(lines.c.reason, func.count())
                    .where(lines.c.state == LineState.EXCEPTION.value)
                    .group_by(lines.c.reason)
                )
            ).all()
        return {str(reason): int(n) for reason, n in rows}

    async def cursor_rows(self) -> list[dict[str, object]]:
        """Each shop's polling cursor: watermark, last poll, success, error, and who polls it until when."""
        async with self._engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(select(cursors))).mappings().all()]

    async def all_lines(self) -> list[LineRecord]:
        async with self._engine.connect() as conn:
            return await load_lines(conn, lines.c.id > 0)

    async def progress(self) -> dict[str, int]:
        """Figures for a live progress line: lines by state, pending memos and write-backs."""
        counts = await self.state_counts()
        pending = select(func.count()).select_from(memos).where(memos.c.state == MemoState.PENDING.value)
        due = (
            select(func.count()).select_from(trades).where(trades.c.delivery_state == DeliveryState.DUE.value)
        )
        async with self._engine.connect() as conn:
            counts["_memos_pending"] = int((await conn.execute(pending)).scalar_one())
            counts["_trades_due"] = int((await conn.execute(due)).scalar_one())
        return counts
