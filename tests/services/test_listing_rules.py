"""The poller keeps to each storefront's listing rules: its longest window, and a watermark held its
settle lag behind the storefront's clock, so an order the listing shows late is still read."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bridge.core.trades import ListingRules, TradeSummary
from bridge.ports import StorefrontPort
from bridge.services.intake import poll_once
from tests.rig import Rig

SHOP = "main"
RULES = ListingRules(max_window=timedelta(minutes=30), settle_lag=timedelta(minutes=3))


class _Lagging:
    """The shop's real storefront, with Pinduoduo-like listing rules and a clock one minute behind."""

    listing = RULES

    def __init__(self, real: StorefrontPort, behind: timedelta) -> None:
        self._real = real
        self.behind = behind
        self.windows: list[tuple[datetime, datetime]] = []
        self.clock_reads = 0

    def list_pages(self, start: datetime, end: datetime) -> AsyncGenerator[list[TradeSummary], None]:
        self.windows.append((start, end))
        return self._real.list_pages(start, end)

    async def server_time(self) -> datetime:
        self.clock_reads += 1
        return await self._real.server_time() - self.behind

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def test_windows_keep_to_the_storefronts_longest(rig: Rig) -> None:
    """Two hours to catch up, the settings asking for one-hour windows, the storefront allowing 30
    minutes: four windows (a fifth of under a second where the start is cut to whole seconds), none
    over 30 minutes, contiguous."""
    port = _Lagging(rig.deps.shops[SHOP], timedelta(0))
    polling = rig.deps.settings.polling.model_copy(update={"window_s": 3600, "initial_lookback_s": 7200})
    settings = rig.deps.settings.model_copy(update={"polling": polling})
    deps = replace(rig.deps, shops={SHOP: port}, settings=settings)  # type: ignore[dict-item]  # wrapped
    await poll_once(deps, SHOP)
    assert len(port.windows) in (4, 5)
    assert all(end - start <= timedelta(minutes=30) for start, end in port.windows)
    assert all(a[1] == b[0] for a, b in zip(port.windows, port.windows[1:], strict=False))


async def test_the_watermark_stays_the_settle_lag_behind_the_storefronts_clock(rig: Rig) -> None:
    """The storefront's clock one minute behind the bridge's: the watermark is that clock less three
    minutes, so the next poll lists those minutes again; the clock is read once a poll."""
    port = _Lagging(rig.deps.shops[SHOP], timedelta(minutes=1))
    deps = replace(rig.deps, shops={SHOP: port})  # type: ignore[dict-item]  # a wrapped port
    before = await rig.deps.shops[SHOP].server_time()
    report = await poll_once(deps, SHOP)
    after = await rig.deps.shops[SHOP].server_time()
    watermark = await deps.store.intake.watermark(SHOP)
    assert report.saved and watermark is not None and port.clock_reads == 1
    lag = timedelta(minutes=4)  # one behind, three to settle
    assert before - lag - timedelta(seconds=1) <= watermark <= after - lag + timedelta(seconds=1)
