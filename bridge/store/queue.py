"""The exception queue's reads (a page, counts by reason, the ids a filter holds) and its bulk actions.

Every filter and search term reaches the database as a bound parameter (never
spliced into SQL text), so whatever a person types into the search box is only
ever data. The order is stable, oldest first (paid, or received), then by id,
so a page of the queue does not shuffle between two reads.

A bulk action is stored when it is offered (``offer_batch``: the ids counted,
the filter) and acted on once: ``start_batch`` is a compare-and-set on
``started_at``, so the same confirmation submitted twice acts once; the batch's
header audit entry commits with that start. Its audit entries share the batch id
(each line's commits with the line's own move); ``audit_batches`` reads them back
per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core import request_ids
from bridge.core.batches import Batch
from bridge.core.records import AuditEntry, AuditNote, QueueFilter, QueueRow, UnreadableTrade
from bridge.core.states import LineState
from bridge.store import due
from bridge.store.archive_schema import ARCHIVES
from bridge.store.audit import insert_audit
from bridge.store.chunks import chunks
from bridge.store.console_schema import queue_batches
from bridge.store.history import in_order
from bridge.store.rows import audit_entry, queue_row
from bridge.store.schema import lines, trades
from bridge.store.unreadable import unreadable_query, unreadable_trade

SINCE = func.coalesce(lines.c.paid_at, lines.c.created_at)
"""When a line started waiting: paid (or, failing that, received)."""
_JOINED = lines.join(trades, trades.c.id == lines.c.trade_id)


def _search(q: str) -> Any:
    """tid/oid for long digit strings, card's last 4 for 4 digits, else buyer nickname or SKU (or an
    order id written with letters, ``231207-123456789012345``, when it looks like one)."""
    if q.isdigit() and len(q) == 4:
        return or_(
            lines.c.card_no.endswith(q, autoescape=True),
            and_(lines.c.card_no.is_(None), trades.c.buyer_message.contains(q, autoescape=True)),
        )
    ids = or_(lines.c.tid == q, lines.c.oid == q)
    if q.isdigit() and len(q) >= 5:
        return ids
    words = or_(trades.c.buyer_nick.contains(q, autoescape=True), lines.c.outer_sku_id == q)
    return or_(ids, words) if _order_id_like(q) else words


def _order_id_like(q: str) -> bool:
    return len(q) >= 5 and request_ids.is_stored_id(q) and any(c.isdigit() for c in q)


def _where(f: QueueFilter, *, with_state: bool = True, with_reason: bool = True) -> Any:
    conds: list[Any] = [lines.c.state == f.state.value] if with_state else []
    if f.reason and with_reason:
        conds.append(lines.c.reason == f.reason)
    if f.shop:
        conds.append(lines.c.shop == f.shop)
    if f.shops is not None:
        conds.append(lines.c.shop.in_(f.shops))
    if f.older_than is not None:
        conds.append(f.older_than >= SINCE)
    if f.q and f.q.strip():
        conds.append(_search(f.q.strip()))
    return and_(true(), *conds)


def _source(f: QueueFilter) -> Any:
    """The lines alone, or joined with their trades when a search may read the buyer's words: the
    queue's page, count and tabs (read on every refresh of every viewer) join only when they must."""
    return _JOINED if f.q and f.q.strip() else lines


def _batch(row: Any) -> Batch:
    return Batch(
        id=row["id"],
        action=row["action"],
        actor=row["actor"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        filter=dict(row["filter"]),
        line_ids=tuple(int(i) for i in row["line_ids"]),
    )


class QueueRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def queue(
        self, f: QueueFilter, limit: int = 200, offset: int = 0, deadlines: Mapping[str, float] | None = None
    ) -> tuple[list[QueueRow], int]:
        """Lines in ``f.state`` matching the filters, oldest first from ``offset`` (with ``deadlines``, each
        shop's seconds from payment to its deadline: the nearest deadline first), and how many match."""
        return await self._page(_where(f), _source(f), limit, offset, deadlines or {})

    async def near_deadline(
        self,
        f: QueueFilter,
        cutoffs: Mapping[str, datetime],
        deadlines: Mapping[str, float],
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[QueueRow], int]:
        """Lines awaiting delivery, in any such state, of the shops in ``cutoffs`` paid at or before their
        shop's cutoff, under ``f``'s shop, storefront, age and search (not its state or reason), the
        nearest deadline first (``deadlines`` as for ``queue``), and how many there are."""
        where = and_(due.near(cutoffs), _where(f, with_state=False, with_reason=False))
        return await self._page(where, _source(f), limit, offset, deadlines)

    async def _page(
        self, where: Any, source: Any, limit: int, offset: int, deadlines: Mapping[str, float]
    ) -> tuple[list[QueueRow], int]:
        async with self._engine.connect() as conn:
            order = due.due_order(conn.dialect.name, deadlines, SINCE)
            page = (
                select(lines.c.id)
                .select_from(source)
                .where(where)
                .order_by(*order)
                .offset(max(offset, 0))
                .limit(limit)
                .subquery()
            )  # the page's ids first, then their trades: the join reads a page, not the whole queue
            query: Select[Any] = (
                select(lines, trades.c.buyer_nick, trades.c.buyer_message)
                .select_from(_JOINED.join(page, page.c.id == lines.c.id))
                .order_by(*order)
            )
            rows = (await conn.execute(query)).mappings().all() if limit > 0 else []  # 0: the count alone
            total = (await conn.execute(select(func.count()).select_from(source).where(where))).scalar_one()
        return [queue_row(r) for r in rows], int(total)

    async def queue_reason_counts(self, f: QueueFilter) -> dict[str, int]:
        """How many lines wait for each reason under the other filters (state, shop, age, search)."""
        query = (
            select(lines.c.reason, func.count())
            .select_from(_source(f))
            .where(_where(f, with_reason=False))
            .group_by(lines.c.reason)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {str(reason or ""): int(n) for reason, n in rows}

    async def queue_ids(self, f: QueueFilter, limit: int) -> list[int]:
        """The ids of the lines ``f`` holds now, oldest first (at most ``limit``)."""
        query = select(lines.c.id).select_from(_source(f)).where(_where(f)).order_by(SINCE, lines.c.id)
        async with self._engine.connect() as conn:
            return [int(i) for i in (await conn.execute(query.limit(limit))).scalars().all()]

    async def search_trades(
        self, q: str, shop: str | None, limit: int = 2, shops: tuple[str, ...] | None = None
    ) -> list[tuple[str, str]]:
        """(shop, tid) of the orders whose lines match the search in any state, then of the trades
        never read well with that tid (at most ``limit``; only ``shops``' when given)."""
        f = QueueFilter(shop=shop, q=q, shops=shops)
        query = (
            select(lines.c.shop, lines.c.tid)
            .select_from(_JOINED)
            .where(_where(f, with_state=False))
            .distinct()
            .order_by(lines.c.shop, lines.c.tid)
            .limit(limit)
        )
        term = q.strip()
        tid = term if _order_id_like(term) else None
        async with self._engine.connect() as conn:
            found = [(str(s), str(t)) for s, t in (await conn.execute(query)).all()]
            if tid is not None and len(found) < limit:  # a trade never read well has no lines
                unread = unreadable_query(shop, tid).with_only_columns(trades.c.shop, trades.c.tid)
                unread_found = [(str(s), str(t)) for s, t in (await conn.execute(unread.limit(limit))).all()]
                found += [(s, t) for s, t in unread_found if shops is None or s in shops]
        return found[:limit]

    async def unreadable_trades(self, shop: str | None, limit: int = 50) -> list[UnreadableTrade]:
        """The trades that could not be read and wait for CS (``bridge.store.unreadable``), oldest first."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(unreadable_query(shop).limit(limit))).mappings().all()
        return [unreadable_trade(r) for r in rows]

    async def line_states(self, line_ids: Iterable[int]) -> dict[int, LineState]:
        """The state now of each of these lines (ids unknown to the store are left out)."""
        ids = list(dict.fromkeys(line_ids))
        found: dict[int, LineState] = {}
        async with self._engine.connect() as conn:
            for piece in chunks(conn, ids):
                query = select(lines.c.id, lines.c.state).where(lines.c.id.in_(piece))
                found.update({int(i): LineState(s) for i, s in (await conn.execute(query)).all()})
        return found

    async def offer_batch(self, batch: Batch) -> None:
        """Keep a bulk action offered for confirmation (not acted on yet)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                queue_batches.insert().values(
                    id=batch.id,
                    action=batch.action,
                    actor=batch.actor,
                    created_at=batch.created_at,
                    started_at=None,
                    filter=batch.filter,
                    line_ids=list(batch.line_ids),
                )
            )

    async def batch(self, batch_id: str) -> Batch | None:
        async with self._engine.connect() as conn:
            row = (
                (await conn.execute(select(queue_batches).where(queue_batches.c.id == batch_id)))
                .mappings()
                .first()
            )
        return _batch(row) if row is not None else None

    async def start_batch(self, batch_id: str, now: datetime, audit: AuditNote | None = None) -> Batch | None:
        """Mark the batch acted on; None when it is unknown or was already started (acts once).
        ``audit`` (the batch's header entry) commits with the start, never without it."""
        async with self._engine.begin() as conn:
            moved = await conn.execute(
                queue_batches.update()
                .where(and_(queue_batches.c.id == batch_id, queue_batches.c.started_at.is_(None)))
                .values(started_at=now)
            )
            if moved.rowcount != 1:
                return None
            row = (
                (await conn.execute(select(queue_batches).where(queue_batches.c.id == batch_id)))
                .mappings()
                .one()
            )
            await insert_audit(conn, audit)
        return _batch(row)

    async def audit_batches(self, batch_ids: Iterable[str]) -> dict[str, list[AuditEntry]]:
        """Each batch's entries for its lines (not its header), in the order they were written (archived
        ones too)."""
        ids = list(dict.fromkeys(batch_ids))
        if not ids:
            return {}
        query = in_order(ARCHIVES["audit"], lambda t: and_(t.c.batch.in_(ids), t.c.line_id.is_not(None)))
        found: dict[str, list[AuditEntry]] = {i: [] for i in ids}
        async with self._engine.connect() as conn:
            for row in (await conn.execute(query)).mappings().all():
                found[row["batch"]].append(audit_entry(row))
        return found
