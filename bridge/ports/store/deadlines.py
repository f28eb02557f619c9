"""The store's role for delivery deadlines: the lines not yet delivered, and what was told of them once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bridge.core.deadlines import UndeliveredLine


class DeadlineStorePort(Protocol):
    """What the deadline figures and the escalation job read and write (``bridge.services.deadlines``)."""

    async def most_urgent(self, shop: str, limit: int) -> list[UndeliveredLine]:
        """The shop's paid lines awaiting delivery (``states.AWAITING_DELIVERY``), the earliest paid first
        (then by line id), at most ``limit``: under one shop's rule the earliest paid is the most urgent."""
        ...

    async def untold(self, shop: str, kind: str, paid_until: datetime, limit: int) -> list[UndeliveredLine]:
        """Like ``most_urgent``, only lines paid at or before ``paid_until`` that have no ``kind`` event yet
        (hot table or archive): the next ones to tell, however many were told before them."""
        ...

    async def awaiting_counts(
        self, shop: str, missed_until: datetime, at_risk_until: datetime
    ) -> tuple[datetime | None, int, int]:
        """In one reading of the shop's lines awaiting delivery: the earliest payment (None: no line
        waits), how many were paid after ``missed_until`` and at or before ``at_risk_until`` (at risk),
        and how many at or before ``missed_until`` (missed)."""
        ...

    async def count_events(self, shop: str, kind: str, since: datetime) -> int:
        """How many ``kind`` events the shop's lines got at or after ``since`` (e.g. missed today)."""
        ...

    async def record_once(
        self, line: UndeliveredLine, kind: str, now: datetime, actor: str, detail: dict[str, Any]
    ) -> bool:
        """Add the line's ``kind`` event unless it already has one (hot table or archive), the check and
        the insert under the line's lock in one transaction: True for the one caller that wrote it,
        False for every other (another instance, a restart, a later run)."""
        ...
