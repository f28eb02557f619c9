"""The store's role for the order API: the channel clients' orders and the signatures already seen."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from bridge.core.api_orders import ApiOrderRecord
from bridge.core.api_status import ApiOrderView


class ApiOrderStorePort(Protocol):
    """What the order API reads and writes (``bridge.services.api_orders``)."""

    async def add_order(self, order: ApiOrderRecord) -> tuple[ApiOrderRecord, bool]:
        """Store ``order`` unless the client has an order of that id (the unique constraint decides, on
        any number of instances): (the order, True) when stored (committed), else (the stored one, False)."""
        ...

    async def order(self, client: str, order_id: str) -> ApiOrderRecord | None:
        """The client's order of that id (None: none, or another client's)."""
        ...

    async def order_view(self, client: str, order_id: str) -> ApiOrderView | None:
        """The client's order of that id with its pipeline lines and codes, as they stand (None: none)."""
        ...

    async def request_refund(self, client: str, order_id: str, now: datetime) -> ApiOrderView | None:
        """Mark the client's order as to be refunded (``refund_requested_at`` and ``modified_at`` set to
        ``now`` the first time; again, nothing changes) and read it back, in one transaction (None: none)."""
        ...

    async def orders_paid(
        self, client: str, start: datetime, end: datetime, offset: int, limit: int
    ) -> tuple[list[ApiOrderView], int]:
        """The client's orders paid in ``[start, end)``, by payment then order id, ``limit`` of them from
        ``offset`` (each with its pipeline lines and codes), and how many there are in all."""
        ...

    async def orders_modified(
        self, client: str, start: datetime, end: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[ApiOrderRecord]:
        """Up to ``limit`` of the client's orders changed in ``[start, end]``, by ``modified_at`` then
        order id, after ``after`` (the page before's last ``(modified_at, order_id)``; None: the first)."""
        ...

    async def mark_delivered(
        self, client: str, order_id: str, codes: Mapping[str, list[str]] | None, now: datetime
    ) -> bool:
        """Record the order delivered at ``now`` with its card codes by oid (and ``modified_at``), in one
        write: False when it already was (nothing changed) or there is no such order."""
        ...

    async def annotate(
        self, client: str, order_id: str, note: str, severity: str | None, now: datetime
    ) -> bool:
        """Set the order's note, its mark (``None``: left as it is) and ``modified_at``; False: no such
        order."""
        ...

    async def remember_signature(self, signature: str, client: str, now: datetime) -> bool:
        """Record a signature as seen at ``now``: False when it was already (a replay), on any instance."""
        ...

    async def forget_signatures(self, seen_before: datetime) -> int:
        """Delete the signatures seen before ``seen_before`` (past the window); how many went."""
        ...
