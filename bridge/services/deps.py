"""What every service function takes: its dependencies, passed explicitly (no globals)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bridge.ports import BillingPort, MarketplacePort, StorePort
from bridge.settings import Settings

if TYPE_CHECKING:
    from bridge.core.mapping.planning import MappingSet


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Breaker:
    """Pauses provisioning while the billing core says it is closed or unreachable.

    An outage must not turn orders into exceptions or burn their retry budget:
    while paused, no line is claimed; work resumes by itself after ``until``.
    """

    until: datetime | None = None
    reason: str = ""
    opened: int = 0

    def open(self, until: datetime, reason: str) -> None:
        if self.until is None or until > self.until:
            if self.until is None:
                self.opened += 1
            self.until, self.reason = until, reason

    def is_open(self, now: datetime) -> bool:
        if self.until is not None and now >= self.until:
            self.until, self.reason = None, ""
        return self.until is not None


@dataclass
class Deps:
    settings: Settings
    store: StorePort
    billing: BillingPort
    shops: dict[str, MarketplacePort]
    mappings: MappingSet
    owner: str
    clock: Callable[[], datetime] = utc_now
    breaker: Breaker = field(default_factory=Breaker)
    stats: dict[str, Any] = field(default_factory=dict)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    running: set[asyncio.Task[Any]] = field(default_factory=set)

    def bump(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n
