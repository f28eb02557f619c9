"""A store of many lines, written straight through SQLAlchemy Core (not the pipeline), for the console cell.

Two lines a trade, spread evenly over the last ``DAYS`` days (so the dashboard's
day holds about a thirtieth of them): 1 % wait for a person (``EXCEPTION``, a
few reasons), a few are cancelled or reversed, the rest delivered; one event a
line (its last move). Ids are given, the marketplace ids sit far above the
sandbox's, and PostgreSQL's sequences are moved past them, so the daemon started
on the store afterwards inserts beside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bridge.store.schema import events, lines, trades

__all__ = ["DAYS", "FIRST_TID", "fill", "tid_of"]

DAYS = 30
FIRST_TID = 9_000_000_000_000_000
"""The filled trades' tids start here (the marketplace sandbox's stay far below)."""
_LINES_A_TRADE = 2
_BATCH = 5_000  # rows a statement (asyncpg's 32,767 parameters; SQLite's 32,766 variables)
_SETVAL = "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
_REASONS = ("CARD_MISSING", "AMOUNT_MISMATCH", "CARD_AMBIGUOUS", "CARD_WRONG_LENGTH")


def tid_of(trade_no: int) -> int:
    return FIRST_TID + trade_no


def _state(n: int) -> tuple[str, str | None]:
    """The n-th line's state and reason: 1 in 100 waits for a person, 1 in 500 is cancelled, 1 in 1000
    reversed, the rest delivered."""
    if n % 100 == 7:
        return "EXCEPTION", _REASONS[n // 100 % len(_REASONS)]
    if n % 500 == 13:
        return "CANCELLED", None
    if n % 1000 == 17:
        return "REVERSED", None
    return "DELIVERED", None


def _rows(trade_count: int, now: datetime) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    span = DAYS * 86400
    for t in range(trade_count):
        tid = tid_of(t)
        paid = now - timedelta(seconds=span * (trade_count - t) / trade_count)
        states = [_state(t * _LINES_A_TRADE + k) for k in range(_LINES_A_TRADE)]
        open_ = any(s == "EXCEPTION" for s, _ in states)
        delivered = None if open_ else paid + timedelta(seconds=2)
        trade = {
            "id": t + 1,
            "shop": "main",
            "tid": str(tid),
            "status": "WAIT_SELLER_SEND_GOODS" if open_ else "WAIT_BUYER_CONFIRM_GOODS",
            "buyer_nick": f"buyer{t % 50_000}",
            "buyer_message": f"卡号 8371{t % 10**12:012d}",
            "modified": paid,
            "pay_time": paid,
            "payment_fen": 10_000 * _LINES_A_TRADE,
            "delivery_state": "OPEN" if open_ else "DELIVERED",
            "delivery_attempts": 0 if open_ else 1,
            "delivered_at": delivered,
            "created_at": paid,
            "updated_at": delivered or paid,
        }
        items = []
        for k, (state, reason) in enumerate(states):
            items.append(
                {
                    "id": t * _LINES_A_TRADE + k + 1,
                    "trade_id": t + 1,
                    "shop": "main",
                    "tid": str(tid),
                    "oid": str(tid * 10 + k),
                    "outer_sku_id": "TV-RC-0100",
                    "title": "有线电视充值 100 元",
                    "quantity": 1,
                    "price_fen": 10_000,
                    "payment_fen": 10_000,
                    "state": state,
                    "reason": reason,
                    "card_no": f"8371{t % 10**12:012d}",
                    "attempts": 1,
                    "paid_at": paid,
                    "delivered_at": delivered if state == "DELIVERED" else None,
                    "created_at": paid,
                    "updated_at": delivered or paid,
                }
            )
        yield trade, items


def _event(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": line["updated_at"],
        "shop": "main",
        "tid": line["tid"],
        "oid": line["oid"],
        "line_id": line["id"],
        "actor": "bridge",
        "kind": "transition",
        "from_state": "READY" if line["state"] != "EXCEPTION" else "RECEIVED",
        "to_state": line["state"],
        "reason": line["reason"],
    }


async def fill(dsn: str, line_count: int, now: datetime | None = None) -> int:
    """Write ``line_count`` lines (their trades, their events) into the empty store at ``dsn``; the trades."""
    moment = now or datetime.now(UTC)
    trade_count = max(1, line_count // _LINES_A_TRADE)
    engine = create_async_engine(dsn, poolclass=NullPool)
    try:
        batch: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
        async with engine.begin() as conn:
            for trade, items in _rows(trade_count, moment):
                batch[0].append(trade)
                batch[1].extend(items)
                if len(batch[1]) >= _BATCH:
                    await _write(conn, batch)
                    batch = ([], [])
            if batch[0]:
                await _write(conn, batch)
            if conn.dialect.name == "postgresql":  # its autovacuum would analyze them; SQLite is never
                for table in ("trades", "lines", "events"):
                    await conn.execute(text(_SETVAL.format(table=table)))
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return trade_count


async def _write(conn: Any, batch: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    await conn.execute(trades.insert(), batch[0])
    await conn.execute(lines.insert(), batch[1])
    await conn.execute(events.insert(), [_event(line) for line in batch[1]])
