"""The order API's rows: a channel client's orders (unique client + order_id) and the signatures seen.

An order is read back as the channel sees it (``read_views``: its row, and its pipeline lines by
shop = client and tid = order id, two statements for any number of orders); a refund request
marks the row once (``refund_requested_at``). The pipeline reads a client's orders as its shop's
trades (``bridge.services.api_shop``): listed by ``modified_at``, delivered (codes and time in
one write, once) and annotated here.

The inserts are decided by the constraints (never select-then-insert):
a second order under a client's id, or a signature already seen, inserts nothing,
on one instance or several.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, tuple_, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.api_orders import ApiOrderRecord
from bridge.core.api_status import ApiOrderView, PipelineLine
from bridge.core.states import LineState
from bridge.store.api_schema import api_orders, api_signatures
from bridge.store.chunks import chunks
from bridge.store.schema import insert_ignore, lines


class ApiOrderRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_order(self, order: ApiOrderRecord) -> tuple[ApiOrderRecord, bool]:
        async with self._engine.begin() as conn:
            res = await conn.execute(
                insert_ignore(conn, api_orders, ["client", "order_id"]).values(
                    client=order.client,
                    order_id=order.order_id,
                    body=dict(order.body),
                    body_sha256=order.body_sha256,
                    paid_at=order.paid_at,
                    received_at=order.received_at,
                    modified_at=order.modified_at,
                )
            )
            if res.rowcount:
                return order, True
            stored = await _order(conn, order.client, order.order_id)
        assert stored is not None  # the row the constraint found (orders are never deleted)
        return stored, False

    async def order(self, client: str, order_id: str) -> ApiOrderRecord | None:
        async with self._engine.connect() as conn:
            return await _order(conn, client, order_id)

    async def order_view(self, client: str, order_id: str) -> ApiOrderView | None:
        async with self._engine.connect() as conn:
            views = await read_views(conn, [(client, order_id)])
        return views[0] if views else None

    async def request_refund(self, client: str, order_id: str, now: datetime) -> ApiOrderView | None:
        mine = and_(api_orders.c.client == client, api_orders.c.order_id == order_id)
        async with self._engine.begin() as conn:
            first = mine & api_orders.c.refund_requested_at.is_(None)
            await conn.execute(
                update(api_orders).where(first).values(refund_requested_at=now, modified_at=now)
            )
            views = await read_views(conn, [(client, order_id)])
        return views[0] if views else None

    async def orders_paid(
        self, client: str, start: datetime, end: datetime, offset: int, limit: int
    ) -> tuple[list[ApiOrderView], int]:
        where = and_(api_orders.c.client == client, api_orders.c.paid_at >= start, api_orders.c.paid_at < end)
        page = (
            select(api_orders.c.order_id)
            .where(where)
            .order_by(api_orders.c.paid_at, api_orders.c.order_id)
            .offset(offset)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            ids = (await conn.execute(page)).scalars().all()
            views = await read_views(conn, [(client, i) for i in ids])
            total = (await conn.execute(select(func.count()).select_from(api_orders).where(where))).scalar()
        return views, int(total or 0)

    async def orders_modified(
        self, client: str, start: datetime, end: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[ApiOrderRecord]:
        c = api_orders.c
        where = and_(c.client == client, c.modified_at >= start, c.modified_at <= end)
        if after is not None:  # the page after the last (modified_at, order_id) handed out
            where = and_(
                where, or_(c.modified_at > after[0], and_(c.modified_at == after[0], c.order_id > after[1]))
            )
        page = select(api_orders).where(where).order_by(c.modified_at, c.order_id).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(page)).all()
        return [_record(r._mapping) for r in rows]

    async def mark_delivered(
        self, client: str, order_id: str, codes: Mapping[str, list[str]] | None, now: datetime
    ) -> bool:
        c = api_orders.c
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(api_orders)
                .where(and_(c.client == client, c.order_id == order_id, c.delivered_at.is_(None)))
                .values(delivered_at=now, codes=dict(codes or {}), modified_at=now)
            )
        return bool(res.rowcount)

    async def annotate(
        self, client: str, order_id: str, note: str, severity: str | None, now: datetime
    ) -> bool:
        c = api_orders.c
        values: dict[str, object] = {"note": note, "modified_at": now}
        if severity is not None:
            values["severity"] = severity
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(api_orders).where(and_(c.client == client, c.order_id == order_id)).values(**values)
            )
        return bool(res.rowcount)

    async def remember_signature(self, signature: str, client: str, now: datetime) -> bool:
        async with self._engine.begin() as conn:
            res = await conn.execute(
                insert_ignore(conn, api_signatures, ["signature"]).values(
                    signature=signature, client=client, seen_at=now
                )
            )
        return bool(res.rowcount)

    async def forget_signatures(self, seen_before: datetime) -> int:
        async with self._engine.begin() as conn:
            res = await conn.execute(delete(api_signatures).where(api_signatures.c.seen_at < seen_before))
        return int(res.rowcount or 0)


async def _order(conn: AsyncConnection, client: str, order_id: str) -> ApiOrderRecord | None:
    query = select(api_orders).where(and_(api_orders.c.client == client, api_orders.c.order_id == order_id))
    row = (await conn.execute(query)).first()
    return _record(row._mapping) if row is not None else None


def _record(row: RowMapping) -> ApiOrderRecord:
    return ApiOrderRecord(
        client=row["client"],
        order_id=row["order_id"],
        body=row["body"],
        body_sha256=row["body_sha256"],
        paid_at=row["paid_at"],
        received_at=row["received_at"],
        modified_at=row["modified_at"],
        delivered_at=row["delivered_at"],
        note=row["note"],
        refund_requested_at=row["refund_requested_at"],
        codes=row["codes"],
        severity=row["severity"],
    )


async def read_views(conn: AsyncConnection, keys: Sequence[tuple[str, str]]) -> list[ApiOrderView]:
    """The orders of these (client, order_id) keys as a channel sees them, in the keys' order (the
    missing ones left out): each with its pipeline lines (shop = client, tid = order_id) as they
    stand in this transaction and its delivered codes; two statements a piece of keys."""
    found: dict[tuple[str, str], ApiOrderView] = {}
    for piece in chunks(conn, keys, params_per_row=2):
        ours = tuple_(api_orders.c.client, api_orders.c.order_id).in_(piece)
        orders = (await conn.execute(select(api_orders).where(ours))).all()
        read = select(lines.c.shop, lines.c.tid, lines.c.oid, lines.c.state, lines.c.reason)
        read = read.where(tuple_(lines.c.shop, lines.c.tid).in_(piece))
        by_order: dict[tuple[str, str], dict[str, PipelineLine]] = {}
        for r in (await conn.execute(read)).all():
            by_order.setdefault((r.shop, r.tid), {})[r.oid] = PipelineLine(
                r.oid, LineState(r.state), r.reason
            )
        for row in orders:
            key = (row.client, row.order_id)
            found[key] = ApiOrderView(_record(row._mapping), by_order.get(key, {}), row.codes or {})
    return [found[k] for k in keys if k in found]
