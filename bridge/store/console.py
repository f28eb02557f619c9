"""What the console reads and records: dashboard figures, the audit log (the queue: ``store.queue``).

Every filter and search term reaches the database as a bound parameter (never
spliced into SQL text), so whatever a person types into the search box is
only ever data. The only write is the audit log, masked like event rows (``bridge.store.audit``); an
audited change writes its row in its own transaction, through the same builder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.records import AuditEntry, AuditNote, LineRecord, UnmappedSku
from bridge.core.states import LineState
from bridge.store.archive_schema import ARCHIVES
from bridge.store.audit import amend_audit, insert_audit
from bridge.store.history import both, newest
from bridge.store.queue import SINCE as _SINCE
from bridge.store.rows import audit_entry, aware, load_lines
from bridge.store.schema import lines, operations

_PARKED = and_(lines.c.state == LineState.EXCEPTION.value, lines.c.reason == "UNMAPPED_SKU")
"""Lines waiting for a mapping of their SKU."""
_AUDIT = ARCHIVES["audit"]


class ConsoleRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def line_by_id(self, line_id: int) -> LineRecord | None:
        async with self._engine.connect() as conn:
            found = await load_lines(conn, lines.c.id == line_id)
        return found[0] if found else None

    async def oldest_waiting(self) -> datetime | None:
        """When the oldest line now in EXCEPTION was paid (or received)."""
        async with self._engine.connect() as conn:
            value = (
                await conn.execute(select(func.min(_SINCE)).where(lines.c.state == LineState.EXCEPTION.value))
            ).scalar_one()
        return aware(value)

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
        return aware(value)

    async def unmapped_inbox(self) -> list[UnmappedSku]:
        """Parked lines (EXCEPTION, UNMAPPED_SKU) grouped by SKU, most waiting first."""
        query = (
            select(
                lines.c.outer_sku_id,
                func.max(lines.c.title),
                func.max(lines.c.price_fen),
                func.count(),
                func.min(_SINCE),
            )
            .where(and_(_PARKED, lines.c.outer_sku_id.is_not(None)))
            .group_by(lines.c.outer_sku_id)
            .order_by(func.count().desc(), lines.c.outer_sku_id)
        )
        where_from = (
            select(lines.c.outer_sku_id, lines.c.shop)
            .where(and_(_PARKED, lines.c.outer_sku_id.is_not(None)))
            .distinct()
            .order_by(lines.c.outer_sku_id, lines.c.shop)
        )  # the shops each code came from (a Taobao outer_sku_id, a Pinduoduo outer_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            shops: dict[str, list[str]] = {}
            for sku, shop in (await conn.execute(where_from)).all():
                shops.setdefault(sku, []).append(shop)
        return [
            UnmappedSku(
                r[0],
                r[1] or "",
                int(r[2]),
                int(r[3]),
                aware(r[4]) or datetime.now(UTC),
                tuple(shops.get(r[0], ())),
            )
            for r in rows
        ]

    async def parked_lines(self, outer_sku_id: str, limit: int = 500) -> list[LineRecord]:
        """Lines waiting in EXCEPTION for a mapping of ``outer_sku_id``."""
        async with self._engine.connect() as conn:
            return (await load_lines(conn, and_(_PARKED, lines.c.outer_sku_id == outer_sku_id)))[:limit]

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
        batch: str | None = None,
    ) -> None:
        """An audit row alone: an action that changed nothing (or whose change commits elsewhere)."""
        audited = AuditNote(at, actor, action, outcome, note, detail, batch)
        async with self._engine.begin() as conn:
            await insert_audit(conn, audited, line, before, after)

    async def amend_audit(
        self, was: AuditNote, now: AuditNote, line: LineRecord | None = None, after: str | None = None
    ) -> bool:
        """What an audited action came to after its change committed (a reversal performed at once,
        the lines a mapping released): the row of ``was`` takes ``now``'s outcome and detail and
        ``after``. False when that row is not found."""
        async with self._engine.begin() as conn:
            return await amend_audit(conn, was, now, line, after)

    async def audit_entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        tid: str | None = None,
        limit: int = 300,
    ) -> list[AuditEntry]:
        """Newest first, archived entries too; each filter optional. A bulk action is its header row (its
        lines: ``audit_batches``) unless an order or an action is asked for, which shows the lines' own
        entries."""

        def chosen(t: Table) -> Any:
            conds: list[Any] = []
            if actor:
                conds.append(t.c.actor == actor)
            if action:
                conds.append(t.c.action == action)
            if tid is not None:
                conds.append(or_(t.c.tid == tid, t.c.oid == tid))
            if tid is None and action is None:
                conds.append(or_(t.c.batch.is_(None), t.c.line_id.is_(None)))
            return and_(true(), *conds)

        async with self._engine.connect() as conn:
            rows = (await conn.execute(newest(_AUDIT, chosen, limit))).mappings().all()
        return [audit_entry(r) for r in rows]

    async def audit_actors_and_actions(self) -> tuple[list[str], list[str]]:
        """Who has acted and which actions exist in the log, archive included (for the filter lists)."""
        every = both(_AUDIT, lambda t: true())
        async with self._engine.connect() as conn:
            actors = (await conn.execute(select(every.c.actor).distinct())).scalars().all()
            actions = (await conn.execute(select(every.c.action).distinct())).scalars().all()
        return sorted(actors), sorted(actions)
