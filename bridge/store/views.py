"""Read-only views for people and reports: one trade's story, counts by state and reason."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, select

from bridge.core.records import EventRecord, LineRecord, TradeRecord
from bridge.core.states import LineState
from bridge.store.base import load_lines
from bridge.store.schema import cursors, events, lines, memos, trades
from bridge.store.trade_store import TradeStore, trade_record


class ViewStore(TradeStore):
    async def find_trades(self, tid: int, shop: str | None = None) -> list[TradeRecord]:
        where = trades.c.tid == tid if shop is None else and_(trades.c.tid == tid, trades.c.shop == shop)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(trades).where(where))).mappings().all()
        return [trade_record(r) for r in rows]

    async def trade_story(self, trade: TradeRecord) -> tuple[list[LineRecord], list[EventRecord]]:
        """The trade's lines and its whole timeline, oldest first."""
        async with self._engine.connect() as conn:
            found = await load_lines(conn, lines.c.trade_id == trade.id)
            rows = (
                (
                    await conn.execute(
                        select(events)
                        .where(and_(events.c.shop == trade.shop, events.c.tid == trade.tid))
                        .order_by(events.c.id)
                    )
                )
                .mappings()
                .all()
            )
        timeline = [
            EventRecord(
                at=r["at"],
                actor=r["actor"],
                kind=r["kind"],
                oid=r["oid"],
                from_state=r["from_state"],
                to_state=r["to_state"],
                reason=r["reason"],
                detail=r["detail"],
            )
            for r in rows
        ]
        return found, timeline

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

    async def lines_in(self, states: Iterable[LineState], limit: int = 1000) -> list[LineRecord]:
        async with self._engine.connect() as conn:
            found = await load_lines(conn, lines.c.state.in_([s.value for s in states]))
        return found[:limit]

    async def unsettled_count(self) -> int:
        """Lines the bridge still has to move on its own (not waiting for a person, not final)."""
        busy = [
            LineState.RECEIVED,
            LineState.READY,
            LineState.SUBMITTED,
            LineState.UNKNOWN,
            LineState.APPLIED,
        ]
        async with self._engine.connect() as conn:
            n = (
                await conn.execute(
                    select(func.count()).select_from(lines).where(lines.c.state.in_([s.value for s in busy]))
                )
            ).scalar_one()
            due = (
                await conn.execute(
                    select(func.count()).select_from(trades).where(trades.c.delivery_state == "DUE")
                )
            ).scalar_one()
        return int(n) + int(due)

    async def cursor_rows(self) -> list[dict[str, object]]:
        async with self._engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(select(cursors))).mappings().all()]

    async def all_lines(self) -> list[LineRecord]:
        async with self._engine.connect() as conn:
            return await load_lines(conn, lines.c.id > 0)

    async def progress(self) -> dict[str, int]:
        """Figures for a live progress line: lines by state, pending memos and write-backs."""
        counts = await self.state_counts()
        async with self._engine.connect() as conn:
            counts["_memos_pending"] = int(
                (
                    await conn.execute(
                        select(func.count()).select_from(memos).where(memos.c.state == "PENDING")
                    )
                ).scalar_one()
            )
            counts["_trades_due"] = int(
                (
                    await conn.execute(
                        select(func.count()).select_from(trades).where(trades.c.delivery_state == "DUE")
                    )
                ).scalar_one()
            )
        return counts

    async def known_versions(self, shop: str, tids: list[int]) -> dict[int, tuple[str, datetime, datetime]]:
        """Stored (status, modified, read at) of these trades: a re-listed unchanged trade is skipped."""
        found: dict[int, tuple[str, datetime, datetime]] = {}
        async with self._engine.connect() as conn:
            for start in range(0, len(tids), 500):
                chunk = tids[start : start + 500]
                rows = (
                    await conn.execute(
                        select(trades.c.tid, trades.c.status, trades.c.modified, trades.c.updated_at).where(
                            and_(trades.c.shop == shop, trades.c.tid.in_(chunk))
                        )
                    )
                ).all()
                found.update({r.tid: (r.status, r.modified, r.updated_at) for r in rows})
        return found
