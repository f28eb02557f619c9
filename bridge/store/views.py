"""Read-only views for people and reports: one trade's story, counts by state and reason, progress."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.records import EventRecord, LineRecord, TradePage, TradeRecord
from bridge.core.states import DeliveryState, LineState, MemoState
from bridge.store.archive_schema import ARCHIVES
from bridge.store.history import Where, both, in_order, newest
from bridge.store.rows import event_record, load_lines, trade_record
from bridge.store.schema import cursors, lines, memos, trades

_EVENTS = ARCHIVES["events"]


def _of_trade(trade: TradeRecord) -> Where:
    """The condition on the events (or their archive) of ``trade``'s timeline."""
    return lambda t: and_(t.c.shop == trade.shop, t.c.tid == trade.tid)


class ViewRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def find_trades(self, tid: str, shop: str | None = None) -> list[TradeRecord]:
        """The stored trades with this tid: one per shop, or the given shop's."""
        where = trades.c.tid == tid if shop is None else and_(trades.c.tid == tid, trades.c.shop == shop)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(trades).where(where))).mappings().all()
        return [trade_record(r) for r in rows]

    async def trade_story(self, trade: TradeRecord) -> tuple[list[LineRecord], list[EventRecord]]:
        """The trade's lines and its whole timeline (the archived part too), oldest first."""
        timeline = in_order(_EVENTS, _of_trade(trade))
        async with self._engine.connect() as conn:
            found = await load_lines(conn, lines.c.trade_id == trade.id)
            rows = (await conn.execute(timeline)).mappings().all()
        return found, [event_record(r) for r in rows]

    async def trade_page(self, trade: TradeRecord, *, page: int, per_page: int, timeline: int) -> TradePage:
        """Page ``page`` (from 1) of the trade's lines in id order, its lines counted by state, and the
        newest ``timeline`` events of its timeline (archived ones too): a trade of any size costs a
        page's worth."""
        of_trade = lines.c.trade_id == trade.id
        counted = select(lines.c.state, func.count()).where(of_trade).group_by(lines.c.state)
        shown = select(lines.c.id).where(of_trade).order_by(lines.c.id)
        shown = shown.offset((max(1, page) - 1) * per_page).limit(per_page)
        shown_events = newest(_EVENTS, _of_trade(trade), timeline)
        counted_events = select(func.count()).select_from(both(_EVENTS, _of_trade(trade)))
        async with self._engine.connect() as conn:
            counts = {LineState(s): int(n) for s, n in (await conn.execute(counted)).all()}
            found = await load_lines(conn, lines.c.id.in_(shown.scalar_subquery()))
            rows = (await conn.execute(shown_events)).mappings().all()
            total = int((await conn.execute(counted_events)).scalar_one())
        return TradePage(tuple(found), counts, tuple(event_record(r) for r in reversed(rows)), total)

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
