"""The callbacks' outbox: a notification queued in the transaction that changed a channel's order.

``queue_callback`` runs on the connection of the write that changed the order
(the API storefront's delivery or note), so the order's new state and its
notification commit together or not at all. An order announces each settled
state once: queuing the state it last announced again inserts nothing. Each
notification's idempotency key is ``client.order_id.N`` (``N`` counts the
order's notifications from 1), the same on every retry and resend.

``ApiCallbackRepository`` is the sender's side (the ``api_callbacks`` role): due rows are
claimed with a lease (``bridge.store.claims``: SKIP LOCKED on PostgreSQL), so two
instances never send one row at once; a failed try is written only by the lease's
owner; a 2xx is written whoever holds the row (the client has it). CS's resend
makes a row due again with its key and attempts back to 0, audited in its transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.callbacks import CallbackFigures, CallbackRecord
from bridge.core.records import AuditNote
from bridge.store.api_schema import api_callbacks, api_orders
from bridge.store.audit import audit_values
from bridge.store.claims import at_or_before, claim, lease_free
from bridge.store.console_schema import audit_log

__all__ = ["ApiCallbackRepository", "event_key", "queue_callback"]

_ERROR_CHARS = 500  # what is kept of a try's error


def event_key(client: str, order_id: str, seq: int) -> str:
    """The idempotency key of an order's ``seq``-th notification (at most 16 + 22 + 12 characters)."""
    return f"{client}.{order_id}.{seq}"


async def queue_callback(
    conn: AsyncConnection,
    client: str,
    order_id: str,
    state: str,
    url: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> str | None:
    """Queue the notification that the order settled in ``state`` (``payload`` is its body, fixed
    now), unless that is the state it last announced; the key queued, or None."""
    bumped = await conn.execute(
        update(api_orders)
        .where(
            and_(
                api_orders.c.client == client,
                api_orders.c.order_id == order_id,
                or_(api_orders.c.settled_state.is_(None), api_orders.c.settled_state != state),
            )
        )
        .values(settled_state=state, settled_seq=api_orders.c.settled_seq + 1)
        .returning(api_orders.c.settled_seq)
    )
    seq = bumped.scalar()
    if seq is None:
        return None
    key = event_key(client, order_id, int(seq))
    await conn.execute(
        api_callbacks.insert().values(
            client=client,
            order_id=order_id,
            event_key=key,
            state=state,
            url=url,
            payload=dict(payload),
            created_at=now,
            next_at=now,
            attempts=0,
        )
    )
    return key


class ApiCallbackRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim_due(self, owner: str, now: datetime, lease_s: float, limit: int) -> list[CallbackRecord]:
        t = api_callbacks
        due = and_(t.c.acknowledged_at.is_(None), at_or_before(t.c.next_at, now), lease_free(t, now))
        hold = {"lease_owner": owner, "lease_until": now + timedelta(seconds=lease_s)}
        async with self._engine.begin() as conn:
            taken = await claim(conn, t, due, order_by=(t.c.next_at, t.c.id), limit=limit, hold=hold)
            rows = (
                await conn.execute(select(t).where(t.c.id.in_(taken)).order_by(t.c.next_at, t.c.id))
            ).all()
        return [_callback(r._mapping) for r in rows]

    async def record_failure(
        self, callback_id: int, owner: str, status: int | None, error: str, next_at: datetime
    ) -> bool:
        t = api_callbacks
        mine = and_(t.c.id == callback_id, t.c.lease_owner == owner, t.c.acknowledged_at.is_(None))
        values = dict(
            attempts=t.c.attempts + 1,
            last_status=status,
            last_error=error[:_ERROR_CHARS],
            next_at=next_at,
            lease_owner=None,
            lease_until=None,
        )
        async with self._engine.begin() as conn:
            done = await conn.execute(update(t).where(mine).values(**values))
        return bool(done.rowcount)

    async def acknowledge(self, callback_id: int, owner: str, status: int, now: datetime) -> bool:
        t = api_callbacks
        mine = t.c.lease_owner == owner
        values = dict(
            attempts=t.c.attempts + 1,
            last_status=status,
            last_error=None,
            acknowledged_at=now,
            lease_owner=case((mine, None), else_=t.c.lease_owner),
            lease_until=case((mine, None), else_=t.c.lease_until),
        )
        open_row = and_(t.c.id == callback_id, t.c.acknowledged_at.is_(None))
        async with self._engine.begin() as conn:
            done = await conn.execute(update(t).where(open_row).values(**values))
        return bool(done.rowcount)

    async def resend(
        self, client: str, order_id: str, event_key: str, now: datetime, audit: AuditNote
    ) -> bool:
        t = api_callbacks
        where = and_(t.c.client == client, t.c.order_id == order_id, t.c.event_key == event_key)
        async with self._engine.begin() as conn:
            was = (await conn.execute(select(t.c.attempts, t.c.acknowledged_at).where(where))).first()
            if was is None:
                return False
            await conn.execute(update(t).where(where).values(next_at=now, acknowledged_at=None, attempts=0))
            detail = {**(audit.detail or {}), "callback": event_key, "attempts": was.attempts}
            detail["acknowledged_at"] = was.acknowledged_at.isoformat() if was.acknowledged_at else None
            row = audit_values(replace(audit, detail=detail))
            await conn.execute(audit_log.insert().values(**row, shop=client, tid=order_id))
        return True

    async def figures(self, now: datetime) -> list[CallbackFigures]:
        t = api_callbacks
        query = (
            select(
                t.c.client,
                func.count().label("pending"),
                func.sum(case((t.c.attempts > 0, 1), else_=0)).label("failing"),
                func.min(t.c.created_at).label("oldest"),
            )
            .where(t.c.acknowledged_at.is_(None))
            .group_by(t.c.client)
            .order_by(t.c.client)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            CallbackFigures(
                client=r.client,
                pending=int(r.pending),
                failing=int(r.failing or 0),
                oldest_pending_s=max(0.0, (now - r.oldest).total_seconds()),  # min() keeps the column's type
            )
            for r in rows
        ]

    async def order_callbacks(self, client: str, order_id: str) -> list[CallbackRecord]:
        t = api_callbacks
        query = select(t).where(and_(t.c.client == client, t.c.order_id == order_id)).order_by(t.c.id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_callback(r._mapping) for r in rows]


def _callback(row: RowMapping) -> CallbackRecord:
    return CallbackRecord(
        id=row["id"],
        client=row["client"],
        order_id=row["order_id"],
        event_key=row["event_key"],
        state=row["state"],
        url=row["url"],
        payload=row["payload"],
        created_at=row["created_at"],
        next_at=row["next_at"],
        attempts=row["attempts"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        acknowledged_at=row["acknowledged_at"],
    )
