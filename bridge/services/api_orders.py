"""The order API's work over the store: take a channel client's order once, read orders back, refuse replays.

An order is stored (committed) before it is acknowledged; sending it again
answers from the stored row, so a client retrying after a lost answer gets
the first answer again. Another order under the same id is a conflict naming
the first field that differs (``bridge.core.api_orders.first_difference``).

A signature is remembered in the store, so a replay is refused by every
instance alike; each instance deletes the rows past the window at most once a
minute (``SignatureBook``). A signature stays acceptable while its timestamp is
within ``skew`` of the clock, and it was first seen no earlier than ``skew``
before that timestamp, so a row is kept ``2 × skew`` after it was seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bridge.core.api_orders import PAGE_SIZE, ApiOrder, ApiOrderRecord, first_difference
from bridge.core.api_status import ApiOrderView
from bridge.core.reconcile import day_bounds
from bridge.ports import ApiOrderStorePort

__all__ = [
    "PRUNE_EVERY",
    "SignatureBook",
    "Submission",
    "orders_of_day",
    "remember_signature",
    "repeat_of",
    "submit_order",
]

PRUNE_EVERY = timedelta(minutes=1)
"""How often one instance deletes the signatures past the window."""


@dataclass(frozen=True)
class Submission:
    """What storing an order came to: the stored order (the first, on a repeat), whether this request
    stored it, and the first field where it differs from the stored one (a conflict), if any."""

    order: ApiOrderRecord
    created: bool
    differs: str | None = None


@dataclass
class SignatureBook:
    """When this instance last deleted old signatures."""

    pruned_at: datetime | None = None


async def submit_order(
    orders: ApiOrderStorePort,
    client: str,
    order: ApiOrder,
    body: Mapping[str, Any],
    body_sha256: str,
    now: datetime,
) -> Submission:
    """Store the client's ``order`` (``body`` as received, its bytes' hash) unless it has one of that id."""
    record = ApiOrderRecord(
        client=client,
        order_id=order.order_id,
        body=body,
        body_sha256=body_sha256,
        paid_at=order.paid_at,
        received_at=now,
        modified_at=now,
    )
    stored, created = await orders.add_order(record)
    if created or stored.body_sha256 == body_sha256:
        return Submission(stored, created)
    # the same order written otherwise (spacing, key order, another offset for paid_at) is the same
    return Submission(stored, False, first_difference(order.model_dump(), stored.order().model_dump()))


async def repeat_of(orders: ApiOrderStorePort, client: str, order: ApiOrder) -> ApiOrderRecord | None:
    """The client's stored order when ``order`` is the same order sent again (however written), else None."""
    stored = await orders.order(client, order.order_id)
    if stored is None or first_difference(order.model_dump(), stored.order().model_dump()) is not None:
        return None
    return stored


async def remember_signature(
    orders: ApiOrderStorePort,
    book: SignatureBook,
    signature: str,
    client: str,
    now: datetime,
    skew: timedelta,
) -> bool:
    """Record the request's signature: False for a replay. Old rows go first, at most once a minute."""
    if book.pruned_at is None or now - book.pruned_at >= PRUNE_EVERY:
        book.pruned_at = now
        await orders.forget_signatures(now - 2 * skew)
    return await orders.remember_signature(signature, client, now)


async def orders_of_day(
    orders: ApiOrderStorePort, client: str, day: date, page: int
) -> tuple[list[ApiOrderView], int]:
    """Page ``page`` (from 1, ``PAGE_SIZE`` each) of the client's orders paid on ``day`` (China time),
    and how many there are in all."""
    start, end = day_bounds(day)
    return await orders.orders_paid(client, start, end, (page - 1) * PAGE_SIZE, PAGE_SIZE)
