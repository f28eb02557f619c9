"""The callbacks' outbox: a notification queued in the transaction that changed a channel's order.

``queue_callback`` runs on the connection of the write that changed the order
(the API storefront's delivery or note), so the order's new state and its
notification commit together or not at all. An order announces each settled
state once: queuing the state it last announced again inserts nothing. Each
notification's idempotency key is ``client.order_id.N`` (``N`` counts the
order's notifications from 1), the same on every retry and resend.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.store.api_schema import api_callbacks, api_orders

__all__ = ["event_key", "queue_callback"]


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
