"""Delivery deadlines: the lines awaiting delivery by payment, and events written once a line.

The lines awaiting delivery are few beside the delivered ones, so they are read by
the ``(state, next_attempt_at)`` index and sorted, never by walking a shop's payments.
``record_once`` is how "told once" holds across instances and restarts without a
constraint of its own: the check for the line's event and its insert run in one
transaction under the line's row lock (PostgreSQL ``FOR UPDATE``; SQLite's
``BEGIN IMMEDIATE`` already lets one writer in at a time), and the archive is
looked in too, so a line whose event was archived is not told again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.deadlines import UndeliveredLine
from bridge.core.states import AWAITING_DELIVERY
from bridge.store.archive_schema import events_archive
from bridge.store.rows import aware
from bridge.store.schema import events, lines
from bridge.store.timeline import add_event

_AWAITING = sorted(s.value for s in AWAITING_DELIVERY)
_COLUMNS = (lines.c.id, lines.c.shop, lines.c.tid, lines.c.oid, lines.c.paid_at, lines.c.state)
_TOLD_IN = (events, events_archive)


def _awaiting(shop: str) -> Any:
    # ``shop || ''``: the shop's payments index (shop, paid_at) would walk every delivered line paid
    # before the first one awaiting delivery; the state index finds the few awaiting it, then they are sorted
    return and_(lines.c.state.in_(_AWAITING), lines.c.shop.concat("") == shop, lines.c.paid_at.is_not(None))


def _has_event(table: Any, kind: str) -> Any:
    """The line has a ``kind`` event in ``table`` (found by the trade's index, shop and tid)."""
    return exists().where(
        and_(
            table.c.shop == lines.c.shop,
            table.c.tid == lines.c.tid,
            table.c.line_id == lines.c.id,
            table.c.kind == kind,
        )
    )


class DeadlineRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def most_urgent(self, shop: str, limit: int) -> list[UndeliveredLine]:
        return await self._read(_awaiting(shop), limit)

    async def untold(self, shop: str, kind: str, paid_until: datetime, limit: int) -> list[UndeliveredLine]:
        untold = (~_has_event(table, kind) for table in _TOLD_IN)
        where = and_(_awaiting(shop), lines.c.paid_at <= paid_until, *untold)
        return await self._read(where, limit)

    async def _read(self, where: Any, limit: int) -> list[UndeliveredLine]:
        query = select(*_COLUMNS).where(where).order_by(lines.c.paid_at, lines.c.id).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            UndeliveredLine(
                line_id=r.id, shop=r.shop, tid=r.tid, oid=r.oid, paid_at=_aware(r.paid_at), state=r.state
            )
            for r in rows
        ]

    async def awaiting_counts(
        self, shop: str, missed_until: datetime, at_risk_until: datetime
    ) -> tuple[datetime | None, int, int]:
        paid = lines.c.paid_at
        query = select(
            func.min(paid),
            func.coalesce(func.sum(case((and_(paid > missed_until, paid <= at_risk_until), 1), else_=0)), 0),
            func.coalesce(func.sum(case((paid <= missed_until, 1), else_=0)), 0),
        ).where(_awaiting(shop))
        async with self._engine.connect() as conn:
            earliest, at_risk, missed = (await conn.execute(query)).one()
        return aware(earliest), int(at_risk), int(missed)

    async def count_events(self, shop: str, kind: str, since: datetime) -> int:
        where = and_(events.c.at >= since, events.c.shop == shop, events.c.kind == kind)
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).where(where))).scalar_one())

    async def record_once(
        self, line: UndeliveredLine, kind: str, now: datetime, actor: str, detail: dict[str, Any]
    ) -> bool:
        async with self._engine.begin() as conn:
            locked = select(lines.c.state).where(lines.c.id == line.line_id).with_for_update()
            state = (await conn.execute(locked)).scalar_one_or_none()
            if state not in _AWAITING or await _told(conn, line, kind):
                return False  # delivered (or gone) since it was read, or already told
            await add_event(
                conn,
                now=now,
                shop=line.shop,
                tid=line.tid,
                oid=line.oid,
                line_id=line.line_id,
                actor=actor,
                kind=kind,
                from_state=state,
                detail=detail,
            )
        return True


async def _told(conn: AsyncConnection, line: UndeliveredLine, kind: str) -> bool:
    """Whether the line has a ``kind`` event, in the hot table or the archive (by the trade's index)."""
    for table in _TOLD_IN:
        found = select(table.c.id).where(
            and_(
                table.c.shop == line.shop,
                table.c.tid == line.tid,
                table.c.line_id == line.line_id,
                table.c.kind == kind,
            )
        )
        if (await conn.execute(found.limit(1))).first() is not None:
            return True
    return False


def _aware(value: Any) -> datetime:
    at = aware(value)
    assert at is not None  # the query keeps paid lines only
    return at
