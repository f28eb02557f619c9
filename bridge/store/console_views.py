"""What the console reads and records: the exception queue, dashboard figures, the audit log.

Every filter and search term reaches the database as a bound parameter (never
spliced into SQL text), so whatever a person types into the search box is
only ever data. The only write besides the audit log is ``reset_attempts``,
guarded by the line's state so it can never touch a line a worker may hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from bridge.core.records import LineRecord, TradeRecord
from bridge.core.states import LineState
from bridge.store.base import StoreBase, line_record, load_lines, mask_detail
from bridge.store.console_schema import audit_log
from bridge.store.schema import lines, operations, trades
from bridge.store.trade_store import trade_record

NEEDS_A_PERSON = (LineState.EXCEPTION, LineState.HELD, LineState.REVERSAL_PENDING)
"""States shown in the queue: the bridge waits for a person's decision."""


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters; every field optional. ``q``: tid/oid, buyer nickname or card's last 4."""

    state: LineState = LineState.EXCEPTION
    reason: str | None = None
    shop: str | None = None
    older_than: datetime | None = None  # only lines paid (or received) before this moment
    q: str | None = None


@dataclass(frozen=True)
class QueueRow:
    line: LineRecord
    buyer_nick: str
    buyer_message: str | None

    @property
    def since(self) -> datetime | None:
        return self.line.paid_at or self.line.created_at


@dataclass(frozen=True)
class UnmappedSku:
    outer_sku_id: str
    title: str
    price_fen: int
    parked: int
    oldest: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    outcome: str
    shop: str | None
    tid: int | None
    oid: int | None
    line_id: int | None
    before: str | None
    after: str | None
    note: str | None
    detail: dict[str, Any] | None


def _search(q: str) -> Any:
    """tid/oid for long digit strings, card's last 4 for 4 digits, else buyer nickname or SKU."""
    if q.isdigit() and len(q) == 4:
        return or_(
            lines.c.card_no.endswith(q, autoescape=True),
            and_(lines.c.card_no.is_(None), trades.c.buyer_message.contains(q, autoescape=True)),
        )
    if q.isdigit() and len(q) >= 5 and int(q) < 2**63:  # marketplace ids fit a signed 64-bit integer
        return or_(lines.c.tid == int(q), lines.c.oid == int(q))
    return or_(trades.c.buyer_nick.contains(q, autoescape=True), lines.c.outer_sku_id == q)


def _queue_where(f: QueueFilter) -> Any:
    conds: list[Any] = [lines.c.state == f.state.value]
    if f.reason:
        conds.append(lines.c.reason == f.reason)
    if f.shop:
        conds.append(lines.c.shop == f.shop)
    if f.older_than is not None:
        conds.append(func.coalesce(lines.c.paid_at, lines.c.created_at) <= f.older_than)
    if f.q and f.q.strip():
        conds.append(_search(f.q.strip()))
    return and_(*conds)


def _audit_entry(row: Any) -> AuditEntry:
    return AuditEntry(**{k: row[k] for k in AuditEntry.__dataclass_fields__})


class ConsoleViews(StoreBase):
    async def queue(self, f: QueueFilter, limit: int = 200) -> tuple[list[QueueRow], int]:
        """Lines in ``f.state`` matching the filters, oldest first, and how many match in all."""
        joined = lines.join(trades, trades.c.id == lines.c.trade_id)
        where = _queue_where(f)
        query: Select[Any] = (
            select(lines, trades.c.buyer_nick, trades.c.buyer_message)
            .select_from(joined)
            .where(where)
            .order_by(func.coalesce(lines.c.paid_at, lines.c.created_at), lines.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
            total = (await conn.execute(select(func.count()).select_from(joined).where(where))).scalar_one()
        found = [QueueRow(line_record(r), r["buyer_nick"], r["buyer_message"]) for r in rows]
        return found, int(total)

    async def line_by_id(self, line_id: int) -> LineRecord | None:
        async with self._engine.connect() as conn:
            found = await load_lines(conn, lines.c.id == line_id)
        return found[0] if found else None

    async def trade_by_id(self, trade_id: int) -> TradeRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(trades).where(trades.c.id == trade_id))).mappings().first()
        return trade_record(row) if row is not None else None

    async def reset_attempts(self, line_id: int, now: datetime) -> bool:
        """Give a line in EXCEPTION a fresh retry budget (no worker holds an EXCEPTION line)."""
        where = and_(lines.c.id == line_id, lines.c.state == LineState.EXCEPTION.value)
        async with self._engine.begin() as conn:
            res = await conn.execute(lines.update().where(where).values(attempts=0, updated_at=now))
        return bool(res.rowcount)

    async def oldest_waiting(self) -> datetime | None:
        """When the oldest line now in EXCEPTION was paid (or received)."""
        since = func.min(func.coalesce(lines.c.paid_at, lines.c.created_at))
        async with self._engine.connect() as conn:
            value = (
                await conn.execute(select(since).where(lines.c.state == LineState.EXCEPTION.value))
            ).scalar_one()
        return _aware(value)

    async def delivered_since(self, since: datetime) -> int:
        async with self._engine.connect() as conn:
            n = (
                await conn.execute(
                    select(func.count()).select_from(lines).where(lines.c.delivered_at >= since)
                )
            ).scalar_one()
        return int(n)

    async def last_applied_at(self) -> datetime | None:
        async with self._engine.connect() as conn:
            value = (await conn.execute(select(func.max(operations.c.applied_at)))).scalar_one()
        return _aware(value)

    async def unmapped_inbox(self) -> list[UnmappedSku]:
        """Parked lines (EXCEPTION, UNMAPPED_SKU) grouped by SKU, most waiting first."""
        since = func.coalesce(lines.c.paid_at, lines.c.created_at)
        query = (
            select(
                lines.c.outer_sku_id,
                func.max(lines.c.title),
                func.max(lines.c.price_fen),
                func.count(),
                func.min(since),
            )
            .where(
                and_(
                    lines.c.state == LineState.EXCEPTION.value,
                    lines.c.reason == "UNMAPPED_SKU",
                    lines.c.outer_sku_id.is_not(None),
                )
            )
            .group_by(lines.c.outer_sku_id)
            .order_by(func.count().desc(), lines.c.outer_sku_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            UnmappedSku(r[0], r[1] or "", int(r[2]), int(r[3]), _aware(r[4]) or datetime.now(UTC))
            for r in rows
        ]

    async def parked_lines(self, outer_sku_id: str, limit: int = 500) -> list[LineRecord]:
        """Lines waiting in EXCEPTION for a mapping of ``outer_sku_id``."""
        where = and_(
            lines.c.state == LineState.EXCEPTION.value,
            lines.c.reason == "UNMAPPED_SKU",
            lines.c.outer_sku_id == outer_sku_id,
        )
        async with self._engine.connect() as conn:
            return (await load_lines(conn, where))[:limit]

    async def add_audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        outcome: str,
        line: LineRecord | None = None,
        before: str | None = None,
        after: str | None = None,
        note: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        values: dict[str, Any] = dict(
            at=at,
            actor=actor,
            action=action,
            outcome=outcome,
            before=before,
            after=after,
            note=note,
            detail=mask_detail(detail),
        )
        if line is not None:
            values.update(shop=line.shop, tid=line.tid, oid=line.oid, line_id=line.id)
        async with self._engine.begin() as conn:
            await conn.execute(audit_log.insert().values(**values))

    async def audit_entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        tid: int | None = None,
        limit: int = 300,
    ) -> list[AuditEntry]:
        """Newest first; each filter optional."""
        conds: list[Any] = []
        if actor:
            conds.append(audit_log.c.actor == actor)
        if action:
            conds.append(audit_log.c.action == action)
        if tid is not None:
            conds.append(or_(audit_log.c.tid == tid, audit_log.c.oid == tid))
        query = select(audit_log).where(*conds).order_by(audit_log.c.id.desc()).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_audit_entry(r) for r in rows]

    async def audit_actors_and_actions(self) -> tuple[list[str], list[str]]:
        """Who has acted and which actions exist in the log (for the filter lists)."""
        async with self._engine.connect() as conn:
            actors = (await conn.execute(select(audit_log.c.actor).distinct())).scalars().all()
            actions = (await conn.execute(select(audit_log.c.action).distinct())).scalars().all()
        return sorted(actors), sorted(actions)


def _aware(value: Any) -> datetime | None:
    """Aggregates bypass the column type on SQLite: treat a naive value as the UTC it is."""
    if value is None:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        raise TypeError(f"not a datetime: {value!r}")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
