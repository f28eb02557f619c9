"""Row → record, written once: every repository hands out records of ``bridge.core.records``.

A stored row never leaves the store; what leaves is a frozen record in domain
terms. ``load_lines`` reads lines with their operations (two queries, however
many lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import bindparam, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core.records import (
    AuditEntry,
    EventRecord,
    LineRecord,
    MemoRecord,
    OperationRecord,
    QueueRow,
    TradeRecord,
    UserRecord,
)
from bridge.core.states import LineState
from bridge.core.trades import OrderState, Trade
from bridge.store.chunks import chunks
from bridge.store.schema import lines, operations


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
        lease_owner=row["lease_owner"],
        lease_token=row["lease_token"],
        ceiling_approved_by=row["ceiling_approved_by"],
    )


async def load_lines(conn: AsyncConnection, where: Any) -> list[LineRecord]:
    """The lines matching ``where`` with their operations (by part), in id order."""
    rows = (await conn.execute(select(lines).where(where).order_by(lines.c.id))).mappings().all()
    return await _with_operations(conn, rows)


# the reads of the hot path, built once: lines by their ids or their trades' ids, and their parts
_LINES_BY = {
    key: select(lines).where(lines.c[key].in_(bindparam("ids", expanding=True))).order_by(lines.c.id)
    for key in ("id", "trade_id")
}
_OPERATIONS_OF = (
    select(operations)
    .where(operations.c.line_id.in_(bindparam("ids", expanding=True)))
    .order_by(operations.c.part)
)


async def load_lines_by(
    conn: AsyncConnection, key: Literal["id", "trade_id"], ids: Iterable[int]
) -> list[LineRecord]:
    """``load_lines`` of the lines whose ``key`` (their id, or their trade's) is one of ``ids``."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows: list[RowMapping] = []
    for piece in chunks(conn, wanted):
        rows.extend((await conn.execute(_LINES_BY[key], {"ids": piece})).mappings().all())
    rows.sort(key=lambda r: int(r["id"]))  # pieces of trade ids: the lines in id order all the same
    return await _with_operations(conn, rows)


async def _with_operations(conn: AsyncConnection, rows: Sequence[RowMapping]) -> list[LineRecord]:
    if not rows:
        return []
    by_line: dict[int, list[OperationRecord]] = {}
    for piece in chunks(conn, [r["id"] for r in rows]):
        for o in (await conn.execute(_OPERATIONS_OF, {"ids": piece})).mappings().all():
            by_line.setdefault(o["line_id"], []).append(op_record(o))
    return [line_record(r, tuple(by_line.get(r["id"], ()))) for r in rows]


def trade_record(row: RowMapping) -> TradeRecord:
    return TradeRecord(
        id=row["id"],
        shop=row["shop"],
        tid=row["tid"],
        status=row["status"],
        platform_status=row.get("platform_status") or "",
        buyer_nick=row["buyer_nick"],
        buyer_message=row["buyer_message"],
        payment_fen=row["payment_fen"],
        delivery_state=row["delivery_state"],
        delivery_attempts=row["delivery_attempts"],
        delivery_error=row["delivery_error"],
        pay_time=row["pay_time"],
        delivered_at=row["delivered_at"],
    )


def planning_trade(row: RowMapping) -> Trade:
    """A stored trade as a domain Trade (buyer text included, no lines) for re-planning a line."""
    return Trade(
        tid=row["tid"],
        state=OrderState(row["status"]),
        buyer=row["buyer_nick"],
        created=row["created_at"],
        modified=row["modified"],
        payment_fen=row["payment_fen"],
        lines=(),
        paid_at=row["pay_time"],
        buyer_message=row["buyer_message"],
        platform_status=row.get("platform_status") or "",
    )


def memo_record(row: RowMapping) -> MemoRecord:
    return MemoRecord(
        id=row["id"],
        shop=row["shop"],
        tid=row["tid"],
        key=row["key"],
        text=row["text"],
        flag=row["flag"],
        attempts=row["attempts"],
    )


def event_record(row: RowMapping) -> EventRecord:
    return EventRecord(
        at=row["at"],
        actor=row["actor"],
        kind=row["kind"],
        oid=row["oid"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        reason=row["reason"],
        detail=row["detail"],
    )


def user_record(row: RowMapping) -> UserRecord:
    return UserRecord(
        row["id"], row["name"], row["role"], row["password_hash"], bool(row["disabled"]), row["created_at"]
    )


def queue_row(row: RowMapping) -> QueueRow:
    """A line joined with its trade's buyer nickname and message."""
    return QueueRow(line_record(row), row["buyer_nick"], row["buyer_message"])


def audit_entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(**{k: row[k] for k in AuditEntry.__dataclass_fields__})


def aware(value: Any) -> datetime | None:
    """Aggregates bypass the column type on SQLite: treat a naive value as the UTC it is."""
    if value is None:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        raise TypeError(f"not a datetime: {value!r}")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
