"""The store's roles for intake: trades as read, and one poller per shop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bridge.core.records import (
    KnownTrade,
    LineRecord,
    PollerLease,
    StoredTrade,
)
from bridge.core.trades import Trade


class IntakeStorePort(Protocol):
    """What intake writes: trades as read (a page in one transaction), the watermark, unreadable trades."""

    async def save_trade(self, shop: str, trade: Trade, now: datetime, actor: str) -> list[LineRecord]:
        """Store a trade and its lines (new lines as RECEIVED, each once); return all its lines.

        A read older than the stored one (by ``modified``) adds only lines not yet stored.
        """
        ...

    async def save_trades(
        self, shop: str, page: Sequence[Trade], now: datetime, actor: str
    ) -> list[StoredTrade]:
        """``save_trade`` for a page of trades in one transaction; each one's lines, in order."""
        ...

    async def known_versions(self, shop: str, tids: list[str]) -> dict[str, KnownTrade]:
        """What the store holds of these trades, to tell a changed one from a re-listed one."""
        ...

    async def watermark(self, shop: str) -> datetime | None: ...

    async def save_watermark(
        self,
        shop: str,
        watermark: datetime,
        *,
        owner: str,
        token: int,
        started: datetime,
        now: datetime,
        until: datetime,
    ) -> bool:
        """Move the watermark (never backwards) after a whole range was stored; extend the lease to ``until``.

        Only while ``owner`` holds the lease with ``token``: False (nothing changed) once it lost it.
        """
        ...

    async def poll_failed(self, shop: str, error: str) -> None: ...

    async def record_intake_failure(
        self, shop: str, tid: str, *, error: str, actor: str, now: datetime
    ) -> bool:
        """A trade that could not be read or parsed: recorded once for CS (found by its tid, shown
        in the queue) until a good read clears it; True when its timeline got a new
        ``intake_failed`` event (the first, or a changed reason), never one per poll."""
        ...


class PollerStorePort(Protocol):
    """One poller per shop: the lease on the shop's cursor row (owner, expiry, fencing token)."""

    async def take_poller(self, shop: str, owner: str, *, now: datetime, until: datetime) -> PollerLease:
        """Take the shop's poller lease if free, run out, or already ``owner``'s (a new token each take).

        The lease as it stands afterwards: ``owner`` holds it when the answer names it.
        """
        ...

    async def renew_poller(
        self, shop: str, owner: str, token: int, *, now: datetime, until: datetime
    ) -> bool:
        """Extend ``owner``'s lease (with ``token``, not yet run out) to ``until``; False when it was lost."""
        ...

    async def release_poller(self, shop: str, owner: str) -> bool:
        """Give up ``owner``'s lease on the shop (graceful shutdown); False when it held none."""
        ...
