"""The store's roles for what people and monitoring read: lines, audit log, dashboard, figures, views."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bridge.core.records import (
    AuditEntry,
    AuditNote,
    EventRecord,
    LineRecord,
    StoreFigures,
    TradePage,
    TradeRecord,
    UnmappedSku,
)
from bridge.core.trends import Activity


class ConsoleStorePort(Protocol):
    """What the console reads about lines and writes to the audit log."""

    async def line_by_id(self, line_id: int) -> LineRecord | None: ...

    async def oldest_waiting(self) -> datetime | None: ...

    async def delivered_since(self, since: datetime) -> int: ...

    async def last_applied_at(self) -> datetime | None: ...

    async def unmapped_inbox(self) -> list[UnmappedSku]: ...

    async def parked_lines(self, outer_sku_id: str, limit: int = 500) -> list[LineRecord]: ...

    async def add_audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        outcome: str,
        line: LineRecord | None = None,
        before: str | None = None,
        after: str | None = None,
        note: str | None = None,
        detail: dict[str, Any] | None = None,
        batch: str | None = None,
    ) -> None:
        """An audit row alone: an action that changed nothing (a change commits its row itself)."""
        ...

    async def amend_audit(
        self, was: AuditNote, now: AuditNote, line: LineRecord | None = None, after: str | None = None
    ) -> bool:
        """The row written for ``was`` takes ``now``'s outcome and detail and ``after``."""
        ...

    async def audit_entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        tid: str | None = None,
        limit: int = 300,
    ) -> list[AuditEntry]: ...

    async def audit_actors_and_actions(self) -> tuple[list[str], list[str]]: ...


class DashboardStorePort(Protocol):
    """The dashboard's figures: orders and lines waiting, delivered, activity per hour, delivery times."""

    async def waiting_for_a_person(self) -> tuple[int, int]:
        """Orders with a line waiting for a person, and those lines: ``(orders, lines)``."""
        ...

    async def orders_delivered_since(self, since: datetime) -> int: ...

    async def activity_since(self, since: datetime) -> Activity:
        """Per hour (``bridge.core.trends``): orders received and delivered, lines sent to a person."""
        ...

    async def delivery_seconds_since(self, since: datetime) -> list[float]:
        """Payment → delivered, in seconds, of each line delivered since ``since``."""
        ...


class MonitoringStorePort(Protocol):
    """What monitoring reads at each scrape (the Prometheus gauges and the alert rules)."""

    async def figures(self) -> StoreFigures:
        """What monitoring reads at each scrape (``bridge.metrics``), in one go."""
        ...


class ViewStorePort(Protocol):
    """Orders as people look them up: by tid, one order's story, counts by state, the cursors, progress."""

    async def find_trades(self, tid: str, shop: str | None = None) -> list[TradeRecord]: ...

    async def trade_story(self, trade: TradeRecord) -> tuple[list[LineRecord], list[EventRecord]]: ...

    async def trade_page(
        self, trade: TradeRecord, *, page: int, per_page: int, timeline: int
    ) -> TradePage: ...

    async def state_counts(self) -> dict[str, int]: ...

    async def exception_counts(self) -> dict[str, int]: ...

    async def cursor_rows(self) -> list[dict[str, object]]: ...

    async def all_lines(self) -> list[LineRecord]: ...

    async def progress(self) -> dict[str, int]: ...
