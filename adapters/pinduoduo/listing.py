"""The incremental order list, split into 30-minute windows and read from the last page backwards.

``pdd.order.number.list.increment.get`` (docs/storefronts/pinduoduo.md §2.1)
takes windows of at most 30 minutes in UNIX seconds, sorts newest first,
pages at most 100 rows, reaches three months back, and asks for pages read
from the last one backwards with ``end_updated_at`` kept behind the
platform's clock by 3 minutes. So each window learns ``total_count`` first
(a one-row page), then reads its pages backwards: an order changed while we
page can only repeat, never hide another. A page shorter than the total
promises is read again (partial pages happen); a window of several pages is
read again until a pass finds nothing new, and again whenever the total grew.

Each page is handed out as soon as it is read, holding only what is new: an
order already handed out comes again only with a later ``updated_at`` or,
within the same second, another state.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import structlog

from adapters.pinduoduo.signing import to_epoch
from adapters.pinduoduo.wire import DATA_INVALID, WireOrder, parse_list_page
from bridge.core.errors import Permanent
from bridge.core.trades import ListingRules, RefundState, TradeSummary

_log = structlog.get_logger(__name__)

LIST_METHOD = "pdd.order.number.list.increment.get"
MAX_WINDOW = timedelta(minutes=30)
SETTLE_LAG = timedelta(minutes=3)
REACH_BACK = timedelta(days=90)
RULES = ListingRules(max_window=MAX_WINDOW, settle_lag=SETTLE_LAG, reach_back=REACH_BACK)
MAX_PAGE_SIZE = 100
_MAX_PASSES = 4
_PARTIAL_REREADS = 2
ALL_STATUSES = 5
"""``order_status`` and ``refund_status`` 5: every order, whatever its state."""

Call = Callable[[dict[str, object]], Awaitable[dict[str, Any]]]
"""One call of the list method with these parameters (the transport's ``call``, bound)."""
Handed = dict[str, tuple[datetime, str]]


def split_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end]`` as consecutive windows of at most 30 minutes (neighbours share an end)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a listing window needs timezone-aware datetimes")
    if end < start:
        raise ValueError(f"window ends before it starts: {start.isoformat()} .. {end.isoformat()}")
    windows = []
    cursor = start
    while True:
        upper = min(cursor + MAX_WINDOW, end)
        windows.append((cursor, upper))
        if upper >= end:
            return windows
        cursor = upper


def check_reach(start: datetime, now: datetime) -> None:
    """``ValueError`` when ``start`` is further back than the list reaches."""
    if start < now - REACH_BACK:
        raise ValueError(f"the order list reaches 90 days back; {start.isoformat()} is older")


def window_query(start: datetime, end: datetime) -> dict[str, object]:
    """The list parameters of one window: inclusive UNIX seconds, every status."""
    return {
        "start_updated_at": to_epoch(start),
        "end_updated_at": to_epoch(end, round_up=True),
        "order_status": ALL_STATUSES,
        "refund_status": ALL_STATUSES,
        "is_lucky_flag": 0,
        "use_has_next": False,
    }


def _mark(order: WireOrder) -> tuple[datetime, str]:
    summary = order.summary()
    refunds = ",".join(r.value for _, r in summary.refunds or ()) or RefundState.NONE.value
    return order.updated_at, f"{summary.state.value}/{refunds}"


def _news(handed: Handed, orders: list[WireOrder]) -> list[TradeSummary]:
    """The orders not handed out yet, or handed out as an older read; oldest first, once each."""
    fresh: dict[str, TradeSummary] = {}
    for order in orders:
        mark, known = _mark(order), handed.get(order.order_sn)
        if known is not None and (mark[0] < known[0] or mark == known):
            continue
        handed[order.order_sn] = mark
        fresh[order.order_sn] = order.summary()
    return sorted(fresh.values(), key=lambda s: (s.modified, s.tid))


async def _page(call: Call, query: dict[str, object], page: int, size: int) -> tuple[int, list[WireOrder]]:
    total, _, orders, problems = parse_list_page(await call({**query, "page": page, "page_size": size}))
    for problem in problems:
        _log.error("pinduoduo_list_entry_unreadable", problem=problem)
    if total is None:
        raise Permanent("order list: field total_count: missing", code=DATA_INVALID)
    return total, orders


async def _full_page(
    call: Call, query: dict[str, object], page: int, size: int, total: int
) -> tuple[int, list[WireOrder]]:
    """One page, read again while it holds fewer rows than ``total`` promises for it."""
    for attempt in range(_PARTIAL_REREADS + 1):
        seen, orders = await _page(call, query, page, size)
        promised = min(size, max(0, seen - (page - 1) * size))
        if len(orders) >= promised or attempt == _PARTIAL_REREADS:
            if len(orders) < promised:
                _log.warning("pinduoduo_list_partial_page", page=page, rows=len(orders), promised=promised)
            return seen, orders
    raise AssertionError("unreachable")  # pragma: no cover


async def list_window(
    call: Call, query: dict[str, object], page_size: int, handed: Handed
) -> AsyncGenerator[list[TradeSummary], None]:
    """Every order of one window, a page at a time (pages with nothing new are skipped)."""
    for _ in range(_MAX_PASSES):
        known = len(handed)
        total, newest = await _page(call, query, 1, 1)  # kept until the pass ends: it may leave the window
        seen_total = total
        for page in range(math.ceil(total / page_size), 0, -1):
            page_total, orders = await _full_page(call, query, page, page_size, total)
            seen_total = max(seen_total, page_total)
            if fresh := _news(handed, orders):
                yield fresh
        if fresh := _news(handed, newest):
            yield fresh
        if seen_total > total:
            _log.info("pinduoduo_list_grew", expected=total, seen=seen_total)
        elif total <= page_size or len(handed) == known:
            return
