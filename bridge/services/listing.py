"""A window's listing gathered whole: every trade changed in it once, as its latest read.

The storefront port hands a listing out a page at a time (``list_pages``), and a
trade may come again in a later page (a re-read of the window). Intake stores each
page as it comes; reconciliation and a recovery's re-read want the window whole,
one summary per tid, the latest ``modified`` winning, oldest first.
"""

from __future__ import annotations

from datetime import datetime

from bridge.core.trades import TradeSummary
from bridge.ports import StorefrontPort


async def list_window(port: StorefrontPort, start: datetime, end: datetime) -> list[TradeSummary]:
    """Every trade changed in ``[start, end]``, once each (its latest read), oldest first."""
    found: dict[str, TradeSummary] = {}
    async for page in port.list_pages(start, end):
        for summary in page:
            known = found.get(summary.tid)
            if known is None or summary.modified >= known.modified:
                found[summary.tid] = summary
    return sorted(found.values(), key=lambda s: (s.modified, s.tid))
