"""Shared plumbing of the store modules: dialect-aware insert, row → record, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.records import LineRecord, OperationRecord
from bridge.core.states import LineState, trade_ready_for_delivery
from bridge.logs import mask_text
from bridge.store.schema import events, lines, operations, trades


def insert_ignore(conn: AsyncConnection, table: Table, index: list[str]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the connection's dialect."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=index)


def mask_detail(detail: Any) -> Any:
    """Event details are shown to people: mask card numbers and PINs in them."""
    if isinstance(detail, str):
        return mask_text(detail)
    if isinstance(detail, dict):
        return {
            k: ("***" if k in {"pin", "secret", "session"} else mask_detail(v)) for k, v in detail.items()
        }
    if isinstance(detail, list):
        return [mask_detail(v) for v in detail]
    return detail


async def add_event(
    conn: AsyncConnection,
    *,
    now: datetime,
    shop: str,
    tid: int,
    actor: str,
    kind: str,
    oid: int | None = None,
    line_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        events.insert().values(
            at=now,
            shop=shop,
            tid=tid,
            oid=oid,
            line_id=line_id,
            actor=actor,
            kind=kind,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            detail=mask_detail(detail),
        )
    )


def op_record(row: RowMapping) -> OperationRecord:
    return OperationRecord(
        id=row["id"],
        line_id=row["line_id"],
        part=row["part"],
        request_id=row["request_id"],
        kind=row["kind"],
        payload=row["payload"],
        state=row["state"],
        operation_id=row["operation_id"],
        result=row["result"],
    )


def line_record(row: RowMapping, ops: tuple[OperationRecord, ...] = ()) -> LineRecord:
    return LineRecord(
        id=row["id"],
        trade_id=row["trade_id"],
        shop=row["shop"],
        tid=row["tid"],
        oid=row["oid"],
        outer_sku_id=row["outer_sku_id"],
        title=row["title"],
        quantity=row["quantity"],
        price_fen=row["price_fen"],
        payment_fen=row["payment_fen"],
        refund_status=row["refund_status"],
        state=LineState(row["state"]),
        attempts=row["attempts"],
        reason=row["reason"],
        reason_detail=row["reason_detail"],
        card_no=row["card_no"],
        product_code=row["product_code"],
        product_name=row["product_name"],
        mapping_version=row["mapping_version"],
        customization=row["customization"],
        paid_at=row["paid_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        operations=ops,
    )


async def load_lines(conn: AsyncConnection, where: Any) -> list[LineRecord]:
    rows = (await conn.execute(select(lines).where(where).order_by(lines.c.id))).mappings().all()
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    op_rows = (
        (
            await conn.execute(
                select(operations).where(operations.c.line_id.in_(ids)).order_by(operations.c.part)
            )
        )
        .mappings()
        .all()
    )
    by_line: dict[int, list[OperationRecord]] = {}
    for o in op_rows:
        by_line.setdefault(o["line_id"], []).append(op_record(o))
    return [line_record(r, tuple(by_line.get(r["id"], ()))) for r in rows]


async def refresh_trade(conn: AsyncConnection, trade_id: int, now: datetime) -> None:
    """Recompute a trade's delivery state from its lines, in the caller's transaction."""
    current = (
        await conn.execute(select(trades.c.delivery_state).where(trades.c.id == trade_id))
    ).scalar_one()
    if current == "DELIVERED":
        return
    states = [
        LineState(s)
        for s in (await conn.execute(select(lines.c.state).where(lines.c.trade_id == trade_id))).scalars()
    ]
    if trade_ready_for_delivery(states):
        target = "DUE"
    elif states and all(s in _NOTHING_TO_DELIVER for s in states):
        target = "NOTHING"
    else:
        target = "OPEN"
    if target != current:
        values: dict[str, Any] = {"delivery_state": target, "updated_at": now}
        if target == "DUE":
            values["delivery_next_at"] = now
        await conn.execute(trades.update().where(trades.c.id == trade_id).values(**values))


_NOTHING_TO_DELIVER = frozenset(
    {LineState.CANCELLED, LineState.RESOLVED, LineState.REVERSED, LineState.REVERSAL_PENDING}
)


class StoreBase:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        await self._engine.dispose()
