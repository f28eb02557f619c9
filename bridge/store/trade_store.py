"""Trades (write-back to the marketplace), seller memos and the polling cursor."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from bridge.core.models import Trade
from bridge.core.records import LineRecord, MemoRecord, TradeRecord
from bridge.core.states import LineState
from bridge.store.base import add_event, insert_ignore, load_lines
from bridge.store.op_store import OpStore
from bridge.store.schema import cursors, lines, memos, trades

S = LineState


def trade_record(row: Any) -> TradeRecord:
    return TradeRecord(
        id=row["id"],
        shop=row["shop"],
        tid=row["tid"],
        status=row["status"],
        buyer_nick=row["buyer_nick"],
        buyer_message=row["buyer_message"],
        payment_fen=row["payment_fen"],
        delivery_state=row["delivery_state"],
        delivery_attempts=row["delivery_attempts"],
        delivery_error=row["delivery_error"],
        pay_time=row["pay_time"],
        delivered_at=row["delivered_at"],
    )


class TradeStore(OpStore):
    async def claim_trades(self, owner: str, now: datetime, lease_s: float, limit: int) -> list[TradeRecord]:
        """Lease trades whose lines are all settled and that still need write-back."""
        until = now + timedelta(seconds=lease_s)
        due = and_(
            trades.c.delivery_state == "DUE",
            or_(trades.c.delivery_next_at.is_(None), trades.c.delivery_next_at <= now),
            or_(trades.c.lease_until.is_(None), trades.c.lease_until < now),
        )
        async with self._engine.begin() as conn:
            ids = (
                (
                    await conn.execute(
                        select(trades.c.id)
                        .where(due)
                        .order_by(trades.c.delivery_next_at, trades.c.id)
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
            claimed = []
            for trade_id in ids:
                res = await conn.execute(
                    trades.update()
                    .where(and_(trades.c.id == trade_id, due))
                    .values(lease_owner=owner, lease_until=until)
                )
                if res.rowcount:
                    claimed.append(trade_id)
            rows = (await conn.execute(select(trades).where(trades.c.id.in_(claimed)))).mappings().all()
        return [trade_record(r) for r in rows]

    async def trade_lines(self, trade_id: int) -> list[LineRecord]:
        async with self._engine.connect() as conn:
            return await load_lines(conn, lines.c.trade_id == trade_id)

    async def trade_delivered(self, trade: TradeRecord, *, outcome: str, actor: str, now: datetime) -> None:
        """Mark the trade and its applied lines DELIVERED (one transaction)."""
        async with self._engine.begin() as conn:
            for line in await load_lines(
                conn, and_(lines.c.trade_id == trade.id, lines.c.state == S.APPLIED.value)
            ):
                await self._move(
                    conn,
                    line,
                    S.DELIVERED,
                    now=now,
                    actor=actor,
                    kind="delivered",
                    detail={"outcome": outcome},
                    values=dict(delivered_at=now),
                )
            await conn.execute(
                trades.update()
                .where(trades.c.id == trade.id)
                .values(
                    delivery_state="DELIVERED",
                    delivered_at=now,
                    delivery_error=None,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
            await add_event(
                conn,
                now=now,
                shop=trade.shop,
                tid=trade.tid,
                actor=actor,
                kind="trade_delivered",
                detail={"outcome": outcome},
            )

    async def trade_delivery_failed(
        self, trade: TradeRecord, *, error: str, actor: str, now: datetime, next_at: datetime
    ) -> None:
        """Credited but not yet shown delivered: keep it visible and try again later."""
        async with self._engine.begin() as conn:
            await conn.execute(
                trades.update()
                .where(trades.c.id == trade.id)
                .values(
                    delivery_attempts=trades.c.delivery_attempts + 1,
                    delivery_error=error,
                    delivery_next_at=next_at,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
            await add_event(
                conn,
                now=now,
                shop=trade.shop,
                tid=trade.tid,
                actor=actor,
                kind="writeback_failed",
                detail={"error": error, "next_at": next_at.isoformat()},
            )

    async def update_trade_status(self, trade: TradeRecord, status: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                trades.update().where(trades.c.id == trade.id).values(status=status, updated_at=now)
            )

    # ---------------------------------------------------------------- memos

    async def claim_memos(self, now: datetime, limit: int, hold_s: float = 60.0) -> list[MemoRecord]:
        due = and_(memos.c.state == "PENDING", or_(memos.c.next_at.is_(None), memos.c.next_at <= now))
        async with self._engine.begin() as conn:
            rows = (
                (await conn.execute(select(memos).where(due).order_by(memos.c.id).limit(limit)))
                .mappings()
                .all()
            )
            if rows:
                await conn.execute(
                    memos.update()
                    .where(memos.c.id.in_([r["id"] for r in rows]))
                    .values(next_at=now + timedelta(seconds=hold_s))
                )
        return [
            MemoRecord(
                id=r["id"],
                shop=r["shop"],
                tid=r["tid"],
                key=r["key"],
                text=r["text"],
                flag=r["flag"],
                attempts=r["attempts"],
            )
            for r in rows
        ]

    async def memo_done(self, memo: MemoRecord, actor: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                memos.update().where(memos.c.id == memo.id).values(state="DONE", last_error=None)
            )
            await add_event(
                conn,
                now=now,
                shop=memo.shop,
                tid=memo.tid,
                actor=actor,
                kind="memo_written",
                detail={"text": memo.text, "flag": memo.flag},
            )

    async def memo_failed(self, memo: MemoRecord, error: str, next_at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                memos.update()
                .where(memos.c.id == memo.id)
                .values(attempts=memos.c.attempts + 1, last_error=error, next_at=next_at)
            )

    # --------------------------------------------------------------- cursor

    async def watermark(self, shop: str) -> datetime | None:
        async with self._engine.connect() as conn:
            value = (await conn.execute(select(cursors.c.watermark).where(cursors.c.shop == shop))).scalar()
        return value

    async def save_watermark(
        self, shop: str, watermark: datetime, *, started: datetime, now: datetime
    ) -> None:
        """Move the watermark (never backwards) after a whole range was stored."""
        async with self._engine.begin() as conn:
            await conn.execute(
                insert_ignore(conn, cursors, ["shop"]).values(
                    shop=shop, watermark=watermark, last_poll_started=started, last_success_at=now
                )
            )
            await conn.execute(
                cursors.update()
                .where(
                    and_(
                        cursors.c.shop == shop,
                        or_(cursors.c.watermark.is_(None), cursors.c.watermark <= watermark),
                    )
                )
                .values(watermark=watermark)
            )
            await conn.execute(
                cursors.update()
                .where(cursors.c.shop == shop)
                .values(last_poll_started=started, last_success_at=now, last_error=None)
            )

    async def poll_failed(self, shop: str, error: str) -> None:
        """Keep the error for the health page, even when no poll of this shop ever succeeded."""
        async with self._engine.begin() as conn:
            await conn.execute(insert_ignore(conn, cursors, ["shop"]).values(shop=shop, watermark=None))
            await conn.execute(cursors.update().where(cursors.c.shop == shop).values(last_error=error))

    async def trade_for_planning(self, line: LineRecord) -> Trade:
        """The stored trade as a domain Trade (buyer text included) for re-planning a line."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(trades).where(trades.c.id == line.trade_id))).mappings().one()
        return Trade(
            tid=row["tid"],
            status=row["status"],
            type="",
            buyer_nick=row["buyer_nick"],
            created=row["created_at"],
            modified=row["modified"],
            payment_fen=row["payment_fen"],
            lines=(),
            pay_time=row["pay_time"],
            buyer_message=row["buyer_message"],
        )

    async def record_intake_failure(
        self, shop: str, tid: int, *, error: str, actor: str, now: datetime
    ) -> None:
        """A trade that could not be read or parsed: kept in the timeline for a person."""
        async with self._engine.begin() as conn:
            await add_event(
                conn,
                now=now,
                shop=shop,
                tid=tid,
                actor=actor,
                kind="intake_failed",
                reason="MARKETPLACE_DATA_INVALID",
                detail={"error": error},
            )

    async def release_trade(self, trade: TradeRecord, owner: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                trades.update()
                .where(and_(trades.c.id == trade.id, trades.c.lease_owner == owner))
                .values(lease_owner=None, lease_until=None)
            )
