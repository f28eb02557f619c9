"""The incremental trade list of one window, handed out a page at a time as it is read.

``taobao.trades.sold.increment.get`` sorts newest first. ``total_results``
is learnt first (a one-row page), then pages are read from the last one
backwards, so a trade modified while we page can only repeat, never hide
another. But a trade that leaves the window while a late-visible one enters
it shifts a row into a page already read with the total unchanged: so a
window of several pages is read again until a pass finds nothing new (one
page is one consistent answer and needs no second pass), and again whenever
more trades arrived meanwhile.

Each page is yielded as soon as it is read, so a caller can store it before
the next is asked for and a window of any size costs the memory of one page.
What was handed out is remembered by tid, modified time and status only (a
later pass hands out a trade again only when it shows a newer modified time
or, within the same second, another status).
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from typing import Any

import structlog

from adapters.taobao.wire import DATA_INVALID, parse_list_page
from bridge.core.errors import Permanent
from bridge.core.trades import TradeSummary

_log = structlog.get_logger(__name__)

_MAX_PASSES = 4
LIST_METHOD = "taobao.trades.sold.increment.get"

Call = Callable[[dict[str, object]], Awaitable[dict[str, Any]]]
"""One call of the list method with these parameters (the transport's ``call``, bound)."""


async def _page(
    call: Call, query: dict[str, object], page_no: int, size: int
) -> tuple[int, list[TradeSummary]]:
    page = parse_list_page(await call({**query, "page_no": page_no, "page_size": size}))
    for problem in page.problems:
        _log.error("taobao_list_entry_unreadable", problem=problem)
    if page.total_results is None:
        raise Permanent("trade list: field total_results: missing", code=DATA_INVALID)
    return page.total_results, page.trades


def _news(handed: dict[str, tuple[datetime, str]], trades: list[TradeSummary]) -> list[TradeSummary]:
    """The trades not handed out yet, or handed out as an older read; oldest first, once each."""
    fresh: dict[str, TradeSummary] = {}
    for summary in trades:
        known = handed.get(summary.tid)
        if known is not None and (summary.modified < known[0] or (summary.modified, summary.state) == known):
            continue  # handed out already, as this read or a newer one
        handed[summary.tid] = (summary.modified, summary.state)
        fresh[summary.tid] = summary
    return sorted(fresh.values(), key=lambda s: (s.modified, s.tid))


async def list_pages(
    call: Call, query: dict[str, object], page_size: int
) -> AsyncGenerator[list[TradeSummary], None]:
    """Every trade of the window ``query`` names, a page at a time (pages with nothing new are skipped)."""
    handed: dict[str, tuple[datetime, str]] = {}
    for _ in range(_MAX_PASSES):
        known = len(handed)
        total, newest = await _page(call, query, 1, 1)  # kept until the pass ends: it may leave the window
        seen_total = total
        for page_no in range(math.ceil(total / page_size), 0, -1):
            page_total, trades = await _page(call, query, page_no, page_size)
            seen_total = max(seen_total, page_total)
            if fresh := _news(handed, trades):
                yield fresh
        if fresh := _news(handed, newest):
            yield fresh
        if seen_total > total:
            _log.info("taobao_list_grew", expected=total, seen=seen_total)
        elif total <= page_size or (known and len(handed) == known):
            return
