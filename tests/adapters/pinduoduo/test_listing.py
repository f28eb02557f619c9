"""The list's rules: 30-minute windows, pages read backwards, partial pages read again, lag and reach."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from adapters.pinduoduo.listing import (
    RULES,
    check_reach,
    list_window,
    split_windows,
    window_query,
)
from adapters.pinduoduo.signing import format_time
from bridge.core.trades import TradeSummary

from .helpers import T0, ScriptedList, row


async def _all(listing: ScriptedList, size: int) -> list[TradeSummary]:
    handed: dict[str, tuple[datetime, str]] = {}
    return [s async for page in list_window(listing, window_query(T0, T0), size, handed) for s in page]


def test_the_rules_the_port_publishes() -> None:
    """30-minute windows, 3 minutes behind the platform's clock, 90 days back."""
    assert (RULES.max_window, RULES.settle_lag, RULES.reach_back) == (
        timedelta(minutes=30),
        timedelta(minutes=3),
        timedelta(days=90),
    )


def test_a_long_window_splits_into_half_hours_that_touch() -> None:
    """Each piece ≤ 30 minutes, the next starting where the last ended, the last ending at the end."""
    windows = split_windows(T0, T0 + timedelta(minutes=75))
    assert [(b - a).total_seconds() / 60 for a, b in windows] == [30, 30, 15]
    assert all(windows[i][1] == windows[i + 1][0] for i in range(2))
    assert split_windows(T0, T0) == [(T0, T0)]


def test_windows_must_be_aware_and_forward() -> None:
    """A naive or backward window is a programming error."""
    with pytest.raises(ValueError):
        split_windows(T0, T0 - timedelta(seconds=1))
    with pytest.raises(ValueError):
        split_windows(T0.replace(tzinfo=None), T0)


def test_the_query_is_inclusive_unix_seconds_over_every_status() -> None:
    """Start cut down, end rounded up; order_status and refund_status 5 (all)."""
    query = window_query(T0 + timedelta(milliseconds=300), T0 + timedelta(milliseconds=300))
    assert query["end_updated_at"] == int(T0.timestamp()) + 1 == int(str(query["start_updated_at"])) + 1
    assert (query["order_status"], query["refund_status"]) == (5, 5)


def test_reach_is_three_months() -> None:
    """A start older than 90 days cannot be listed."""
    check_reach(T0 - timedelta(days=89), T0)
    with pytest.raises(ValueError, match="90 days"):
        check_reach(T0 - timedelta(days=91), T0)


async def test_pages_are_read_from_the_last_backwards() -> None:
    """A one-row page for the total, then the last page first."""
    listing = ScriptedList([row(f"261207-{i}", T0 - timedelta(seconds=i)) for i in range(25)])
    found = await _all(listing, 10)
    assert len({s.tid for s in found}) == 25
    assert listing.calls[:4] == [(1, 1), (3, 10), (2, 10), (1, 10)]


async def test_an_order_edited_while_paging_is_found_again_never_lost() -> None:
    """Edits move rows towards page 1, which is read last: nothing hides."""
    listing = ScriptedList([row(f"261207-{i}", T0 - timedelta(seconds=i)) for i in range(25)])

    def edit(page: int) -> None:
        if page == 3:  # the oldest order changes after its page was read
            oldest = min(listing.rows, key=lambda r: r["updated_at"])
            oldest["updated_at"] = format_time(T0 + timedelta(seconds=5))

    listing.before_page = edit
    found = await _all(listing, 10)
    assert len({s.tid for s in found}) == 25


async def test_a_partial_page_is_read_again() -> None:
    """A page shorter than the total promises is asked for once more."""
    listing = ScriptedList([row(f"261207-{i}", T0 - timedelta(seconds=i)) for i in range(25)])
    listing.short = {2}
    found = await _all(listing, 10)
    assert len({s.tid for s in found}) == 25
    assert listing.calls[:4] == [(1, 1), (3, 10), (2, 10), (2, 10)]


async def test_a_repeated_order_is_handed_out_once_per_read() -> None:
    """The same order on two pages, unchanged, comes out once."""
    listing = ScriptedList([row("261207-1"), row("261207-2", T0 - timedelta(seconds=1))])
    found = await _all(listing, 1)
    assert sorted(s.tid for s in found) == ["261207-1", "261207-2"]


async def test_a_late_order_entering_as_another_leaves_is_found_by_a_second_pass() -> None:
    """The total stays the same while a late-visible old order slips onto a page already read:
    only reading the window again finds it."""
    listing = ScriptedList([row(f"261207-{i}", T0 - timedelta(seconds=i)) for i in range(25)])

    def swap(page: int) -> None:
        if page == 2 and not any(r["order_sn"] == "261207-late" for r in listing.rows):
            listing.rows.remove(next(r for r in listing.rows if r["order_sn"] == "261207-0"))
            listing.rows.append(row("261207-late", T0 - timedelta(minutes=10)))

    listing.before_page = swap
    found = await _all(listing, 10)
    assert "261207-late" in {s.tid for s in found}
