"""What intake writes: trades and their new lines, the polling watermark, unreadable trades
(recorded once, cleared by a good read: ``bridge.store.unreadable``).

A trade is unique by shop + tid and a line by shop + tid + oid (constraints,
never select-then-insert), so re-reading a trade (the poll's overlap) stores
nothing twice. A read older than the stored one (by the marketplace's
``modified``) never overwrites the trade's status, buyer text or any line's
refund status. The trade's row is locked before its lines (the order every
line move takes them). The marketplace's text is made storable first
(``bridge.store.text``). The watermark never moves backwards, and only
the shop's poller, holding its lease with the token it was given, moves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.records import KnownTrade, LineRecord, StoredTrade
from bridge.core.states import DeliveryState, LineState
from bridge.core.trades import OrderLine, Trade
from bridge.store.chunks import chunks
from bridge.store.rows import load_lines_by
from bridge.store.schema import cursors, insert_ignore, lines, trades
from bridge.store.text import storable_trade
from bridge.store.timeline import add_event, add_events, event_row
from bridge.store.unreadable import clear_recovered, record_failure


class IntakeRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save_trade(self, shop: str, trade: Trade, now: datetime, actor: str) -> list[LineRecord]:
        """Store a trade and its lines (new lines as RECEIVED); return all its lines.

        A read older than the stored trade adds lines it has not seen but changes nothing stored.
        """
        [stored] = await self.save_trades(shop, [trade], now, actor)
        return list(stored.lines)

    async def save_trades(
        self, shop: str, page: Sequence[Trade], now: datetime, actor: str
    ) -> list[StoredTrade]:
        """Store a page of trades and their lines in one transaction, as ``save_trade`` does each;
        for each (in order) all its lines, and whether the store holds a newer read than this one.

        The trades' rows are locked (by id) before their lines; each kind of row goes in one
        statement for the page (a trade read before is updated on its own).
        """
        cleaned = [storable_trade(t) for t in page]
        async with self._engine.begin() as conn:
            rows = [_trade_values(shop, t, now) for t, _, _ in cleaned]
            await conn.execute(insert_ignore(conn, trades, ["shop", "tid"]), rows)
            tids = sorted({t.tid for t, _, _ in cleaned})
            locked = select(
                trades.c.id, trades.c.tid, trades.c.modified, trades.c.created_at, trades.c.delivery_state
            ).where(and_(trades.c.shop == shop, trades.c.tid.in_(tids)))
            found = {
                r.tid: r for r in (await conn.execute(locked.order_by(trades.c.id).with_for_update())).all()
            }
            await clear_recovered(conn, shop, list(found.values()), now=now, actor=actor)
            newer_stored: dict[str, bool] = {}
            for (trade, _, _), values in zip(cleaned, rows, strict=True):
                row = found[trade.tid]
                newer_stored[trade.tid] = row.modified > trade.modified
                if row.created_at != now and not newer_stored[trade.tid]:  # read before: this read wins
                    newer = and_(trades.c.id == row.id, trades.c.modified <= trade.modified)
                    await conn.execute(trades.update().where(newer).values(**_changing(values)))
            await _insert_lines(
                conn, shop, cleaned, {tid: r.id for tid, r in found.items()}, newer_stored, now, actor
            )
            by_trade: dict[str, list[LineRecord]] = {}
            for line in await load_lines_by(conn, "trade_id", [r.id for r in found.values()]):
                by_trade.setdefault(line.tid, []).append(line)
        return [StoredTrade(tuple(by_trade.get(t.tid, [])), newer_stored[t.tid]) for t, _, _ in cleaned]

    async def known_versions(self, shop: str, tids: list[str]) -> dict[str, KnownTrade]:
        """What the store holds of these trades (status, modified, read at, delivered, the lines'
        refund statuses): a re-listed unchanged trade is skipped (``bridge.core.relisting``)."""
        found: dict[str, KnownTrade] = {}
        refunds: dict[str, list[tuple[str, str]]] = {}
        query = (
            select(
                trades.c.tid,
                trades.c.status,
                trades.c.modified,
                trades.c.updated_at,
                trades.c.delivery_state,
                lines.c.oid,
                lines.c.refund_status,
            )
            .select_from(trades.outerjoin(lines, lines.c.trade_id == trades.c.id))
            .where(trades.c.shop == shop)
        )
        async with self._engine.connect() as conn:
            for piece in chunks(conn, tids):
                for r in (await conn.execute(query.where(trades.c.tid.in_(piece)))).all():
                    if r.oid is not None:
                        refunds.setdefault(r.tid, []).append((r.oid, r.refund_status))
                    found[r.tid] = KnownTrade(
                        status=r.status,
                        modified=r.modified,
                        read_at=r.updated_at,
                        delivered=r.delivery_state == DeliveryState.DELIVERED.value,
                        refunds=(),
                    )
        return {tid: replace(k, refunds=tuple(sorted(refunds.get(tid, [])))) for tid, k in found.items()}

    async def watermark(self, shop: str) -> datetime | None:
        async with self._engine.connect() as conn:
            value = (await conn.execute(select(cursors.c.watermark).where(cursors.c.shop == shop))).scalar()
        return value

    async def save_watermark(
        self,
        shop: str,
        watermark: datetime,
        *,
        owner: str,
        token: int,
        started: datetime,
        now: datetime,
        until: datetime,
    ) -> bool:
        """Move the watermark (never backwards) after a whole range was stored, and extend the lease.

        A compare-and-set on the poller lease (``bridge.store.poller``): only while
        ``owner`` still holds it with ``token``; False, and nothing changed, otherwise.
        """
        value = literal(watermark, cursors.c.watermark.type)  # typed: stored as UTC like the column
        forward = case(
            (or_(cursors.c.watermark.is_(None), cursors.c.watermark < value), value),
            else_=cursors.c.watermark,
        )
        held = and_(cursors.c.shop == shop, cursors.c.poller == owner, cursors.c.poller_token == token)
        async with self._engine.begin() as conn:
            saved = await conn.execute(
                cursors.update()
                .where(held)
                .values(
                    watermark=forward,
                    last_poll_started=started,
                    last_success_at=now,
                    last_error=None,
                    poller_until=until,
                )
            )
        return bool(saved.rowcount)

    async def poll_failed(self, shop: str, error: str) -> None:
        """Keep the error for the health page, even when no poll of this shop ever succeeded."""
        async with self._engine.begin() as conn:
            await conn.execute(insert_ignore(conn, cursors, ["shop"]).values(shop=shop, watermark=None))
            await conn.execute(cursors.update().where(cursors.c.shop == shop).values(last_error=error))

    async def record_intake_failure(
        self, shop: str, tid: str, *, error: str, actor: str, now: datetime
    ) -> bool:
        """A trade that could not be read or parsed: recorded once for CS (``bridge.store.unreadable``);
        True when its timeline got a new ``intake_failed`` event (a first or a changed reason)."""
        async with self._engine.begin() as conn:
            return await record_failure(conn, shop, tid, error=error, actor=actor, now=now)


_CHANGING = (
    "status",
    "platform_status",
    "buyer_nick",
    "buyer_message",
    "modified",
    "pay_time",
    "payment_fen",
)


def _trade_values(shop: str, trade: Trade, now: datetime) -> dict[str, Any]:
    return {
        "shop": shop,
        "tid": trade.tid,
        "status": trade.state.value,
        "platform_status": trade.platform_status,
        "buyer_nick": trade.buyer,
        "buyer_message": trade.buyer_message,
        "modified": trade.modified,
        "pay_time": trade.paid_at,
        "payment_fen": trade.payment_fen,
        "delivery_state": DeliveryState.OPEN.value,
        "delivery_attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _changing(values: dict[str, Any]) -> dict[str, Any]:
    """What a newer read of a stored trade rewrites (and when it was read)."""
    return {**{k: values[k] for k in _CHANGING}, "updated_at": values["updated_at"]}


async def _insert_lines(
    conn: AsyncConnection,
    shop: str,
    cleaned: Sequence[tuple[Trade, list[str], dict[str, list[str]]]],
    trade_ids: dict[str, int],
    newer_stored: dict[str, bool],
    now: datetime,
    actor: str,
) -> None:
    """Insert the page's lines as RECEIVED (one statement), a ``received`` event for each new one;
    a line stored before gets the refund status of a read that is not older than the stored one."""
    rows = [
        _line_values(trade_ids[trade.tid], shop, trade, line, now)
        for trade, _, _ in cleaned
        for line in trade.lines
    ]
    if not rows:
        return
    insert = insert_ignore(conn, lines, ["shop", "tid", "oid"]).returning(lines.c.tid, lines.c.oid)
    inserted: set[tuple[str, str]] = set()
    for piece in chunks(conn, rows, params_per_row=len(rows[0])):
        inserted.update((r.tid, r.oid) for r in (await conn.execute(insert, piece)).all())
    received = []
    for trade, trade_notes, line_notes in cleaned:
        for line in trade.lines:
            if (trade.tid, line.oid) not in inserted:
                if not newer_stored[trade.tid]:
                    await _update_refund_status(
                        conn, shop, trade.tid, line.oid, line.refund.value, now, actor
                    )
                continue
            notes = trade_notes + line_notes.get(line.oid, [])
            detail = {
                "sku": line.sku_code,
                "quantity": line.quantity,
                "payment_fen": line.payment_fen,
                **({"text_cleaned": notes} if notes else {}),
            }
            received.append(
                event_row(
                    now=now,
                    shop=shop,
                    tid=trade.tid,
                    oid=line.oid,
                    actor=actor,
                    kind="received",
                    to_state=LineState.RECEIVED.value,
                    detail=detail,
                )
            )
    await add_events(conn, received)


def _line_values(trade_id: int, shop: str, trade: Trade, line: OrderLine, now: datetime) -> dict[str, Any]:
    return {
        "trade_id": trade_id,
        "shop": shop,
        "tid": trade.tid,
        "oid": line.oid,
        "outer_sku_id": line.sku_code,
        "sku_id": line.platform_sku_id,
        "title": line.title,
        "quantity": line.quantity,
        "price_fen": line.price_fen,
        "payment_fen": line.payment_fen,
        "refund_status": line.refund.value,
        "customization": line.customization,
        "product_code": line.product_code,  # named by the order API's line; planning fills a SKU's
        "state": LineState.RECEIVED.value,
        "attempts": 0,
        "paid_at": trade.paid_at,
        "created_at": now,
        "updated_at": now,
    }


async def _update_refund_status(
    conn: AsyncConnection,
    shop: str,
    tid: str,
    oid: str,
    refund_status: str,
    now: datetime,
    actor: str,
) -> None:
    where = and_(
        lines.c.shop == shop,
        lines.c.tid == tid,
        lines.c.oid == oid,
        lines.c.refund_status != refund_status,
    )
    changed = await conn.execute(
        lines.update().where(where).values(refund_status=refund_status, updated_at=now)
    )
    if changed.rowcount:
        await add_event(
            conn,
            now=now,
            shop=shop,
            tid=tid,
            oid=oid,
            actor=actor,
            kind="refund_status",
            detail={"refund_status": refund_status},
        )
