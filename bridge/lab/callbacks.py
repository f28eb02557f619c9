"""Whether every settled channel order's callback reached the channel: the lab's count of callbacks.

Three views, each from its own witness:

- ``settled``: the channel's orders the order API shows settled (delivered,
  needing a person, refunded, reversed, resolved, or a mix: anything but
  ``received`` and ``pending``), read back through the API;
- ``acknowledged``: those of them whose final state the callback receiver
  acknowledged (a callback carrying the order's id and that state, its
  signature good);
- ``pending``: the bridge's outbox rows not yet acknowledged by the sender's
  own account (``api_callbacks.acknowledged_at``), read straight from the
  store's table: the lab's reading, no role of the daemon's.

A run passes when ``settled == acknowledged`` and ``pending == 0``;
``wait_for_callbacks`` waits (bounded) for that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select

from bridge.lab.receiver import CallbackReceiver
from bridge.store import SqlStore
from bridge.store.api_schema import api_callbacks

__all__ = [
    "UNSETTLED",
    "announced",
    "callback_figures",
    "callbacks_pass",
    "pending_callbacks",
    "wait_for_callbacks",
]

UNSETTLED = frozenset({"received", "pending"})
"""The order API's order states that announce nothing yet."""


async def pending_callbacks(store: SqlStore) -> int:
    """The outbox's notifications the sender has not had acknowledged yet."""
    query = select(func.count()).select_from(api_callbacks).where(api_callbacks.c.acknowledged_at.is_(None))
    async with store.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


def announced(payloads: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(order id, state) of each acknowledged callback (the order's document, at the top or as ``order``)."""
    seen = set()
    for payload in payloads:
        doc = payload.get("order", payload)
        if isinstance(doc, Mapping) and "order_id" in doc and "state" in doc:
            seen.add((str(doc["order_id"]), str(doc["state"])))
    return seen


def callback_figures(
    api_orders: Mapping[str, Mapping[str, Any]], receiver: CallbackReceiver, pending: int
) -> dict[str, Any]:
    """The run's callback figures from the API's documents, the receiver's record and the outbox's count."""
    settled = {oid: str(doc["state"]) for oid, doc in api_orders.items() if doc.get("state") not in UNSETTLED}
    heard = announced(receiver.acknowledged.values())
    missing = sorted(oid for oid, state in settled.items() if (oid, state) not in heard)
    return {
        "settled": len(settled),
        "acknowledged": len(settled) - len(missing),
        "pending": pending,
        "unacknowledged": missing[:20],
        "receiver": receiver.stats(),
    }


def callbacks_pass(figures: Mapping[str, Any]) -> bool:
    return bool(figures["settled"] == figures["acknowledged"] and figures["pending"] == 0)


async def wait_for_callbacks(
    read_orders: Any, receiver: CallbackReceiver, store: SqlStore, timeout_s: float
) -> dict[str, Any]:
    """The figures once every settled order's callback is acknowledged and none pends, or at the
    timeout (``read_orders``: a coroutine function giving the API's documents by order id)."""
    deadline = time.monotonic() + timeout_s
    while True:
        figures = callback_figures(await read_orders(), receiver, await pending_callbacks(store))
        if callbacks_pass(figures) or time.monotonic() > deadline:
            return figures
        await asyncio.sleep(0.5)
