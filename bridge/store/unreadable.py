"""Trades the bridge could not read: recorded once for CS, cleared by the first good read.

A trade whose answer cannot be read (an invalid amount, a field of the wrong
kind) has no lines to put in the queue, so it is kept as a placeholder row of
``trades`` (the unique shop + tid makes it an upsert, no new table): delivery
state ``UNREADABLE``, status ``UNREADABLE``, a ``modified`` at the epoch (so
any real read is newer and re-read by every poll), ``delivery_attempts`` the
number of failed reads and ``updated_at`` the last one. Its timeline gets an
``intake_failed`` event only when the reason changes, never once per poll: the
trade's row is locked and its latest intake event read first (from the archive
too: a reason recorded before the retention moved it is not recorded again). A
trade stored before keeps its row as it is (its lines are already in front of
CS); it too gets an event only for a new reason. The first good read stores the trade as
any other (``save_trades``) and clears the placeholder there, under the same
lock, with one ``intake_recovered`` event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core.records import UnreadableTrade
from bridge.core.states import DeliveryState
from bridge.store.archive_schema import ARCHIVES
from bridge.store.history import Where, newest
from bridge.store.schema import insert_ignore, trades
from bridge.store.timeline import add_event, add_events, event_row

UNREADABLE = DeliveryState.UNREADABLE.value
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FAILED, _RECOVERED = "intake_failed", "intake_recovered"
REASON = "MARKETPLACE_DATA_INVALID"


def _placeholder(shop: str, tid: str, now: datetime) -> dict[str, Any]:
    return {
        "shop": shop,
        "tid": tid,
        "status": UNREADABLE,
        "buyer_nick": "",
        "modified": _EPOCH,
        "payment_fen": 0,
        "delivery_state": UNREADABLE,
        "delivery_attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _intake_events(shop: str, tid: str) -> Where:
    """The condition on the trade's intake events (in ``events`` or its archive)."""
    return lambda t: and_(t.c.shop == shop, t.c.tid == tid, t.c.kind.in_([_FAILED, _RECOVERED]))


async def record_failure(
    conn: AsyncConnection, shop: str, tid: str, *, error: str, actor: str, now: datetime
) -> bool:
    """Upsert the placeholder (a stored trade is left as it is), count the read, and write an
    ``intake_failed`` event unless the trade's last one says the same; True when one was written."""
    await conn.execute(insert_ignore(conn, trades, ["shop", "tid"]).values(**_placeholder(shop, tid, now)))
    key = and_(trades.c.shop == shop, trades.c.tid == tid)
    state = (await conn.execute(select(trades.c.delivery_state).where(key).with_for_update())).scalar_one()
    if state == UNREADABLE:
        await conn.execute(
            trades.update()
            .where(key)
            .values(delivery_attempts=trades.c.delivery_attempts + 1, delivery_error=error, updated_at=now)
        )
    latest = newest(ARCHIVES["events"], _intake_events(shop, tid), 1)
    last = (await conn.execute(latest)).first()
    if last is not None and last.kind == _FAILED and (last.detail or {}).get("error") == error:
        return False
    detail = {"error": error}
    await add_event(
        conn, now=now, shop=shop, tid=tid, actor=actor, kind=_FAILED, reason=REASON, detail=detail
    )
    return True


async def clear_recovered(
    conn: AsyncConnection, shop: str, rows: Sequence[Any], *, now: datetime, actor: str
) -> None:
    """The placeholders among ``rows`` (locked trade rows with ``id``, ``tid``, ``delivery_state``)
    now read well: back to OPEN, each with one ``intake_recovered`` event."""
    ids = [r.id for r in rows if r.delivery_state == UNREADABLE]
    if not ids:
        return
    cleared = await conn.execute(
        trades.update()
        .where(and_(trades.c.id.in_(ids), trades.c.delivery_state == UNREADABLE))
        .values(delivery_state=DeliveryState.OPEN.value, delivery_attempts=0, delivery_error=None)
        .returning(trades.c.tid)
    )
    await add_events(
        conn,
        [event_row(now=now, shop=shop, tid=str(t), actor=actor, kind=_RECOVERED) for t in cleared.scalars()],
    )


def unreadable_query(shop: str | None, tid: str | None = None) -> Any:
    """The placeholders (of ``shop``, with ``tid`` when given), oldest first."""
    conds = [trades.c.delivery_state == UNREADABLE]
    if shop:
        conds.append(trades.c.shop == shop)
    if tid is not None:
        conds.append(trades.c.tid == tid)
    return select(trades).where(and_(*conds)).order_by(trades.c.created_at, trades.c.id)


def unreadable_trade(row: Any) -> UnreadableTrade:
    return UnreadableTrade(
        shop=row["shop"],
        tid=str(row["tid"]),
        error=str(row["delivery_error"] or ""),
        reads=int(row["delivery_attempts"]),
        first_seen=row["created_at"],
        last_seen=row["updated_at"],
    )
