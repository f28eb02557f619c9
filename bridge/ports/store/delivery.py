"""The store's role for write-back and seller memos."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bridge.core.reasons import Memo
from bridge.core.records import (
    LineRecord,
    MemoRecord,
    TradeRecord,
)


class DeliveryStorePort(Protocol):
    """Write-back of settled trades and the seller memos that follow the lines."""

    async def claim_trades(
        self, owner: str, now: datetime, lease_s: float, limit: int
    ) -> list[TradeRecord]: ...

    async def trade_lines(self, trade_id: int) -> list[LineRecord]: ...

    async def lines_of_trades(self, trade_ids: Sequence[int]) -> dict[int, list[LineRecord]]:
        """The lines of several trades, by trade id (one read for a batch)."""
        ...

    async def trade_delivered(
        self, trade: TradeRecord, *, outcome: str, actor: str, now: datetime
    ) -> None: ...

    async def trades_delivered(
        self, delivered: Sequence[tuple[TradeRecord, str]], *, actor: str, now: datetime
    ) -> None:
        """``trade_delivered`` for several trades (each with its outcome) in one transaction."""
        ...

    async def trade_delivery_failed(
        self, trade: TradeRecord, *, error: str, actor: str, now: datetime, next_at: datetime
    ) -> None: ...

    async def release_trade(self, trade: TradeRecord, owner: str) -> None: ...

    async def claim_memos(self, now: datetime, limit: int, hold_s: float = 60.0) -> list[MemoRecord]: ...

    async def memo_done(self, memo: MemoRecord, actor: str, now: datetime) -> None: ...

    async def lines_of_tid(self, shop: str, tid: str) -> list[LineRecord]:
        """A trade's lines by shop and tid (the memo writer renders their sections)."""
        ...

    async def queue_memo(self, shop: str, tid: str, memo: Memo, now: datetime) -> None:
        """Queue a memo that follows no move of a line (once per key)."""
        ...

    async def memo_later(self, memo: MemoRecord, next_at: datetime) -> None:
        """Write the memo at ``next_at`` instead (its line still moving): no attempt counted."""
        ...

    async def memo_failed(self, memo: MemoRecord, error: str, next_at: datetime) -> None: ...
