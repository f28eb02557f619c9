"""The dashboard's and ``/metrics``' store figures: read at most once per interval, served from a snapshot.

With a million lines stored, counting them takes a good part of a second; counted
again for every viewer and every scrape on the daemon's event loop, they slowed
delivery. ``FigureBook`` (kept in ``Runtime``) holds the latest snapshot and the
moment it was read. The ``figures`` job refreshes it every
``[console] figures_every_s``; the dashboard and ``/metrics`` serve it
(``latest``). When nothing was tried within the interval (the job late, or a
console without the scheduler) the first asker reads it, and every asker
meanwhile waits for that one reading (a single flight), so N viewers still cost
one reading per interval.

A reading that meets ``StoreUnavailable`` keeps the last snapshot (its age says
how old it is) and is remembered in ``failure``; the job's failure reaches
``/healthz`` and the job-failure counter like any job's (``bridge.services.jobs``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from bridge.core.callbacks import CallbackFigures
from bridge.core.deadlines import StorefrontDeadlines
from bridge.core.errors import StoreUnavailable
from bridge.core.models import CST
from bridge.core.records import StoreFigures
from bridge.core.trends import Activity, window_start
from bridge.services.deadlines import read_deadlines

if TYPE_CHECKING:
    from bridge.services.deps import Deps

__all__ = ["HOURS", "LATENCY_WINDOW", "ConsoleFigures", "FigureBook", "read_figures", "refresh_figures"]

log = structlog.get_logger("bridge.services.console_figures")

HOURS = 24
"""The dashboard's trend span."""
LATENCY_WINDOW = timedelta(hours=1)
"""Payment → delivered percentiles over the deliveries of this last stretch."""


@dataclass(frozen=True)
class ConsoleFigures:
    """What the dashboard and the gauges read from the store, as of ``at`` (the database's clock)."""

    at: datetime
    store: StoreFigures
    waiting_orders: int
    waiting_lines: int
    delivered_today: int
    activity: Activity
    delivery_seconds: tuple[float, ...]
    cursor_rows: tuple[dict[str, object], ...]
    last_applied: datetime | None
    unmapped: int
    deadlines: tuple[StorefrontDeadlines, ...] = ()  # by storefront (bridge.services.deadlines)
    callbacks: tuple[CallbackFigures, ...] = ()  # channels' callbacks not yet acknowledged, by client


async def read_figures(deps: Deps) -> ConsoleFigures:
    """Every store figure the dashboard and ``/metrics`` show, read now."""
    now = deps.clock()
    today = now.astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)
    store = deps.store
    waiting_orders, waiting_lines = await store.dashboard.waiting_for_a_person()
    return ConsoleFigures(
        at=now,
        store=await store.monitoring.figures(),
        waiting_orders=waiting_orders,
        waiting_lines=waiting_lines,
        delivered_today=await store.dashboard.orders_delivered_since(today),
        activity=await store.dashboard.activity_since(window_start(now, HOURS)),
        delivery_seconds=tuple(await store.dashboard.delivery_seconds_since(now - LATENCY_WINDOW)),
        cursor_rows=tuple(await store.views.cursor_rows()),
        last_applied=await store.console.last_applied_at(),
        unmapped=len(await store.console.unmapped_inbox()),
        deadlines=await read_deadlines(deps, now),
        callbacks=tuple(await store.api_callbacks.figures(now)),
    )


class FigureBook:
    """The latest snapshot, the reading under way (at most one), and the last reading's failure."""

    def __init__(self) -> None:
        self.snapshot: ConsoleFigures | None = None
        self.failure: StoreUnavailable | None = None  # the last reading's, until one succeeds
        self.readings = 0  # readings started since the daemon started
        self._tried: datetime | None = None
        self._flight: asyncio.Future[ConsoleFigures] | None = None

    def due(self, now: datetime, every_s: float) -> bool:
        """Whether no reading was started within the last ``every_s`` seconds."""
        return self._tried is None or (now - self._tried).total_seconds() >= every_s

    async def refresh(self, deps: Deps) -> ConsoleFigures:
        """Read the figures now, or wait for the reading already under way (raises ``StoreUnavailable``)."""
        if self._flight is None:
            self._tried = deps.clock()
            self.readings += 1
            self._flight = asyncio.ensure_future(self._read(deps))
        return await asyncio.shield(self._flight)

    async def _read(self, deps: Deps) -> ConsoleFigures:
        try:
            snapshot = await read_figures(deps)
        except StoreUnavailable as exc:
            self.failure = exc
            raise
        finally:
            self._flight = None
        self.snapshot, self.failure = snapshot, None
        return snapshot

    async def latest(self, deps: Deps) -> ConsoleFigures | None:
        """The snapshot to serve; read first when none was tried within the interval (or none is kept and
        a reading is under way). None when the store has never been read."""
        if self._flight is not None and self.snapshot is not None:
            return self.snapshot
        if self._flight is not None or self.due(deps.clock(), deps.settings.console.figures_every_s):
            try:
                await self.refresh(deps)
            except StoreUnavailable as exc:  # served from the last snapshot, its age shown
                log.warning("figures_store_unreadable", error=str(exc), error_kind=exc.code)
        return self.snapshot


async def refresh_figures(deps: Deps) -> None:
    """The ``figures`` job: read them unless a viewer did within the last half interval (the job ran late)."""
    book = deps.runtime.figures
    if book.due(deps.clock(), deps.settings.console.figures_every_s / 2):
        await book.refresh(deps)
