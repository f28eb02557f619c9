"""The store's role for the exception queue and its bulk actions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from bridge.core.batches import Batch
from bridge.core.records import (
    AuditEntry,
    AuditNote,
    QueueFilter,
    QueueRow,
    UnreadableTrade,
)
from bridge.core.states import LineState


class QueueStorePort(Protocol):
    """The exception queue: pages, counts by reason, the ids a filter holds, search, bulk actions."""

    async def queue(
        self, f: QueueFilter, limit: int = 200, offset: int = 0, deadlines: Mapping[str, float] | None = None
    ) -> tuple[list[QueueRow], int]:
        """A page of ``f``'s lines oldest first, or with ``deadlines`` (each shop's seconds from payment to
        its deadline) the nearest deadline first, lines without one after; and how many match."""
        ...

    async def near_deadline(
        self,
        f: QueueFilter,
        cutoffs: Mapping[str, datetime],
        deadlines: Mapping[str, float],
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[QueueRow], int]:
        """The lines awaiting delivery (any such state) of the shops in ``cutoffs``, each paid at or before
        its shop's cutoff, under ``f``'s filters but its state and reason, the nearest deadline first;
        and how many there are."""
        ...

    async def queue_reason_counts(self, f: QueueFilter) -> dict[str, int]: ...

    async def queue_ids(self, f: QueueFilter, limit: int) -> list[int]: ...

    async def search_trades(
        self, q: str, shop: str | None, limit: int = 2, shops: tuple[str, ...] | None = None
    ) -> list[tuple[str, str]]:
        """(shop, tid) of the orders whose lines match, then of trades never read well by that tid
        (only ``shops``' when given: a storefront's)."""
        ...

    async def unreadable_trades(self, shop: str | None, limit: int = 50) -> list[UnreadableTrade]:
        """The trades that could not be read and wait for CS (a good read clears them), oldest first."""
        ...

    async def line_states(self, line_ids: Iterable[int]) -> dict[int, LineState]: ...

    async def offer_batch(self, batch: Batch) -> None: ...

    async def batch(self, batch_id: str) -> Batch | None: ...

    async def start_batch(self, batch_id: str, now: datetime, audit: AuditNote | None = None) -> Batch | None:
        """The batch, marked acted on; None when unknown or already started (the same token acts once).
        ``audit``: the batch's header entry, written in the same transaction when it starts."""
        ...

    async def audit_batches(self, batch_ids: Iterable[str]) -> dict[str, list[AuditEntry]]: ...
