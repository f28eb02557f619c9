"""A window's listing gathered whole: each trade once, as its latest read, oldest first."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Any

from bridge.core.trades import OrderState, TradeSummary
from bridge.services.listing import list_window
from tests.factories import T0


class _Pages:
    def __init__(self, *pages: list[TradeSummary]) -> None:
        self._pages = pages

    async def list_pages(self, start: datetime, end: datetime) -> AsyncGenerator[list[TradeSummary], None]:
        for page in self._pages:
            yield page


def _seen(tid: str, after_s: int, state: OrderState = OrderState.PAID) -> TradeSummary:
    return TradeSummary(tid=tid, state=state, modified=T0 + timedelta(seconds=after_s))


async def test_a_trade_listed_again_keeps_its_latest_read_and_the_window_comes_oldest_first() -> None:
    """Trade 2 is re-read in a later page with a newer change; an older re-read of 1 changes nothing."""
    port: Any = _Pages([_seen("2", 5), _seen("1", 3)], [_seen("2", 9, OrderState.CLOSED), _seen("1", 1)])
    found = await list_window(port, T0, T0 + timedelta(minutes=1))
    assert found == [_seen("1", 3), _seen("2", 9, OrderState.CLOSED)]
