"""Write-back and seller memos: trades due for delivery, and memos waiting to be written.

A trade is claimed (with a lease) once its lines are settled and one is
applied; delivering it moves its applied lines to DELIVERED in the same
transaction. A failed write-back stays visible with its error and next try.
A memo is held for a while when claimed, so a crashed writer delays it by
that hold, never loses it; its outcome is written only while it is still pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.reasons import Memo
from bridge.core.records import LineRecord, MemoRecord, TradeRecord
from bridge.core.states import DeliveryState, LineState, MemoState
from bridge.store.claims import at_or_before, claim, lease_free
from bridge.store.rows import line_record, load_lines, load_lines_by, memo_record, trade_record
from bridge.store.schema import lines, memos, trades
from bridge.store.timeline import add_event, add_events, event_row, insert_memo
from bridge.store.transitions import Move, move_lines

S = LineState


class DeliveryRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim_trades(self, owner: str, now: datetime, lease_s: float, limit: int) -> list[TradeRecord]:
        """Lease trades whose lines are all settled and that still need write-back."""
        due = and_(
            trades.c.delivery_state == DeliveryState.DUE.value,
            at_or_before(trades.c.delivery_next_at, now),
            lease_free(trades, now),
        )
        async with self._engine.begin() as conn:
            claimed = await claim(
                conn,
                trades,
                due,
                order_by=(trades.c.delivery_next_at, trades.c.id),
                limit=limit,
                hold={"lease_owner": owner, "lease_until": now + timedelta(seconds=lease_s)},
            )
            rows = (await conn.execute(select(trades).where(trades.c.id.in_(claimed)))).mappings().all()
        return [trade_record(r) for r in rows]

    async def trade_lines(self, trade_id: int) -> list[LineRecord]:
        return (await self.lines_of_trades([trade_id])).get(trade_id, [])

    async def lines_of_trades(self, trade_ids: Sequence[int]) -> dict[int, list[LineRecord]]:
        """The lines of several trades (with their operations), by trade id: one read for a batch."""
        found: dict[int, list[LineRecord]] = {}
        if trade_ids:
            async with self._engine.connect() as conn:
                for line in await load_lines_by(conn, "trade_id", trade_ids):
                    found.setdefault(line.trade_id, []).append(line)
        return found

    async def trade_delivered(self, trade: TradeRecord, *, outcome: str, actor: str, now: datetime) -> None:
        """Mark the trade and its applied lines DELIVERED (one transaction), once: under the trade's lock."""
        await self.trades_delivered([(trade, outcome)], actor=actor, now=now)

    async def trades_delivered(
        self, delivered: Sequence[tuple[TradeRecord, str]], *, actor: str, now: datetime
    ) -> None:
        """``trade_delivered`` for several trades in one transaction, each decided under its own lock:
        a trade another writer recorded first is left as it is (one event)."""
        if not delivered:
            return
        outcomes = {trade.id: outcome for trade, outcome in delivered}
        async with self._engine.begin() as conn:
            locked = select(trades.c.id, trades.c.delivery_state).where(trades.c.id.in_(sorted(outcomes)))
            states = (await conn.execute(locked.order_by(trades.c.id).with_for_update())).all()
            ids = [r.id for r in states if r.delivery_state != DeliveryState.DELIVERED.value]
            if not ids:
                return
            applied = (
                await conn.execute(
                    select(lines).where(and_(lines.c.trade_id.in_(ids), lines.c.state == S.APPLIED.value))
                )
            ).mappings()
            moves = [
                Move(
                    line_record(row),
                    S.DELIVERED,
                    "delivered",
                    detail={"outcome": outcomes[row["trade_id"]]},
                    sets={"delivered_at": now},
                )
                for row in applied
            ]
            await move_lines(conn, moves, now=now, actor=actor)
            await conn.execute(
                trades.update()
                .where(trades.c.id.in_(ids))
                .values(
                    delivery_state=DeliveryState.DELIVERED.value,
                    delivered_at=now,
                    delivery_error=None,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
            by_id = {trade.id: trade for trade, _ in delivered}
            await add_events(
                conn,
                [
                    event_row(
                        now=now,
                        shop=by_id[i].shop,
                        tid=by_id[i].tid,
                        actor=actor,
                        kind="trade_delivered",
                        detail={"outcome": outcomes[i]},
                    )
                    for i in ids
                ],
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

    async def release_trade(self, trade: TradeRecord, owner: str) -> None:
        """Give up ``owner``'s lease on the trade (someone else's lease is left alone)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                trades.update()
                .where(and_(trades.c.id == trade.id, trades.c.lease_owner == owner))
                .values(lease_owner=None, lease_until=None)
            )

    async def claim_memos(self, now: datetime, limit: int, hold_s: float = 60.0) -> list[MemoRecord]:
        """Take memos due for writing; each is held for ``hold_s`` (a crashed writer delays it, no more)."""
        due = and_(memos.c.state == MemoState.PENDING.value, at_or_before(memos.c.next_at, now))
        async with self._engine.begin() as conn:
            claimed = await claim(
                conn,
                memos,
                due,
                order_by=(memos.c.next_at, memos.c.id),  # longest due first: a deferred row waits its turn
                limit=limit,
                hold={"next_at": now + timedelta(seconds=hold_s)},
            )
            rows = (
                (await conn.execute(select(memos).where(memos.c.id.in_(claimed)).order_by(memos.c.id)))
                .mappings()
                .all()
            )
        return [memo_record(r) for r in rows]

    async def memo_done(self, memo: MemoRecord, actor: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            done = await conn.execute(
                memos.update()
                .where(and_(memos.c.id == memo.id, memos.c.state == MemoState.PENDING.value))
                .values(state=MemoState.DONE.value, last_error=None)
            )
            if not done.rowcount:
                return  # another writer recorded it first: one memo_written event
            await add_event(
                conn,
                now=now,
                shop=memo.shop,
                tid=memo.tid,
                actor=actor,
                kind="memo_written",
                detail={"text": memo.text, "flag": memo.flag},
            )

    async def lines_of_tid(self, shop: str, tid: str) -> list[LineRecord]:
        """A trade's lines by the marketplace's ids (the memo writer renders their sections)."""
        async with self._engine.connect() as conn:
            return await load_lines(conn, and_(lines.c.shop == shop, lines.c.tid == tid))

    async def queue_memo(self, shop: str, tid: str, memo: Memo, now: datetime) -> None:
        """Queue a memo that follows no move (queued once per key)."""
        async with self._engine.begin() as conn:
            await insert_memo(conn, shop, tid, memo, now)

    async def memo_later(self, memo: MemoRecord, next_at: datetime) -> None:
        """Not yet: the line the memo follows is still moving (no attempt counted, no error)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                memos.update()
                .where(and_(memos.c.id == memo.id, memos.c.state == MemoState.PENDING.value))
                .values(next_at=next_at)
            )

    async def memo_failed(self, memo: MemoRecord, error: str, next_at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                memos.update()
                .where(and_(memos.c.id == memo.id, memos.c.state == MemoState.PENDING.value))
                .values(attempts=memos.c.attempts + 1, last_error=error, next_at=next_at)
            )
