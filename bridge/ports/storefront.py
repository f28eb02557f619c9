"""The storefront port: one seller's shop on any storefront, in the bridge's own words.

Each storefront has one real adapter (``adapters/taobao``, ``adapters/pinduoduo``)
and one sandbox. Domain types only (``bridge.core.trades``): no wire shapes, no
platform states, flags or message groups cross this line. Every method raises
only the errors of ``bridge.core.errors`` (``Ambiguous`` when a write may have
taken effect, ``Permanent`` when retrying cannot help, ``Retryable`` and
``RateLimited`` otherwise).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Protocol

from bridge.core.trades import (
    DeliveryOutcome,
    ListingRules,
    NoteRules,
    PushBatch,
    Severity,
    Trade,
    TradeSummary,
)


class PushSource(Protocol):
    """A storefront's push of changed trades, with acknowledgement.

    Handed-out messages come back after a timeout unless confirmed; they may
    repeat, arrive out of order or never arrive (polling stays the safety net).
    """

    async def consume(self, quantity: int) -> PushBatch:
        """Up to ``quantity`` unconfirmed messages; unreadable ones are listed apart, never raised."""
        ...

    async def confirm(self, message_ids: Sequence[str]) -> None:
        """Confirm messages by id: they are never handed out again."""
        ...


class StorefrontPort(Protocol):
    """One seller's shop on one storefront."""

    storefront: str
    """Which storefront it is: ``taobao``, ``pinduoduo``."""

    listing: ListingRules
    """How ``list_pages`` windows may be asked for (longest window, lag behind the clock, reach)."""

    notes: NoteRules
    """How long ``annotate``'s note may be."""

    delivers_codes: bool
    """Whether ``deliver`` can hand card codes to the buyer; ``False``: a line whose goods are card
    codes cannot be delivered on this storefront (planning sends it to a person before the billing
    core issues anything)."""

    push: PushSource | None
    """The storefront's push, when the shop has one configured; ``None``: polling alone."""

    def list_pages(self, start: datetime, end: datetime) -> AsyncGenerator[list[TradeSummary], None]:
        """Every trade changed in ``[start, end]`` (inclusive, within ``listing``), a page at a time,
        each handed out as soon as it is read (the next is not asked for before the caller is done
        with this one). A trade may come again in a later page; the caller keeps the last word."""
        ...

    async def get_trade(self, tid: str) -> Trade:
        """The full trade, with what the buyer wrote for each line; ``Permanent`` when it does not
        exist or cannot be read."""
        ...

    async def deliver(self, tid: str, codes: dict[str, list[str]] | None = None) -> DeliveryOutcome:
        """Mark the trade delivered (virtual goods); ``codes`` maps a line's oid to the card codes
        delivered for it. "Already delivered" comes back as ``ALREADY_SHIPPED``."""
        ...

    async def annotate(self, tid: str, note: str, severity: Severity | None) -> None:
        """Overwrite the seller's note of a trade (``note`` keeps ``notes``; empty clears it) and its
        mark; ``severity`` ``None`` leaves the mark the storefront shows as it is."""
        ...

    async def server_time(self) -> datetime:
        """The storefront's clock."""
        ...
