"""Polling windows: overlap, contiguity, the span limit, never past the poll's start."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.cursor import next_watermark, poll_windows

T0 = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def _windows(
    watermark: datetime | None, started: datetime, overlap: int = 10, window: int = 30, lookback: int = 60
) -> list[tuple[datetime, datetime]]:
    return poll_windows(
        watermark, started, overlap=overlap * M, window=window * M, initial_lookback=lookback * M
    )


@pytest.mark.parametrize(
    ("watermark", "started", "expected"),
    [
        (T0, T0 + 5 * M, [(T0 - 10 * M, T0 + 5 * M)]),
        (T0, T0 + 20 * M, [(T0 - 10 * M, T0 + 20 * M)]),
        (T0, T0 + 21 * M, [(T0 - 10 * M, T0 + 20 * M), (T0 + 20 * M, T0 + 21 * M)]),
        (None, T0, [(T0 - 60 * M, T0 - 30 * M), (T0 - 30 * M, T0)]),
        (T0, T0, [(T0 - 10 * M, T0)]),
    ],
)
def test_windows_table(
    watermark: datetime | None, started: datetime, expected: list[tuple[datetime, datetime]]
) -> None:
    """Each poll re-reads the overlap and splits the range into windows of at most the span."""
    assert _windows(watermark, started) == expected


def test_windows_are_contiguous_and_end_at_poll_start() -> None:
    """No second between windows is skipped (the boundary is read by both) and none is after the start."""
    started = T0 + timedelta(hours=7, seconds=13)
    wins = _windows(T0, started, window=30)
    assert wins[0][0] == T0 - 10 * M
    assert all(a[1] == b[0] for a, b in itertools.pairwise(wins))
    assert wins[-1][1] == started
    assert all(end - start <= 30 * M for start, end in wins)


def test_watermark_in_the_future_is_clamped() -> None:
    """A watermark ahead of the clock (clock stepped back) never makes an empty or inverted window."""
    wins = _windows(T0 + 60 * M, T0, overlap=0)
    assert wins == [(T0, T0)]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        poll_windows(None, datetime(2026, 1, 1), overlap=M, window=M, initial_lookback=M)


def test_window_longer_than_a_day_is_refused() -> None:
    """The marketplace refuses windows over one day; so do we, before calling it."""
    with pytest.raises(ValueError):
        _windows(T0, T0 + M, window=24 * 60 + 1)


@pytest.mark.parametrize(
    ("current", "started", "expected"),
    [(None, T0, T0), (T0 - M, T0, T0), (T0 + M, T0, T0 + M)],
)
def test_watermark_never_moves_backwards(
    current: datetime | None, started: datetime, expected: datetime
) -> None:
    assert next_watermark(current, started) == expected


def test_no_window_starts_before_the_storefront_can_still_list() -> None:
    """A watermark older than the storefront's reach: the windows start at the earliest it lists."""
    windows = poll_windows(
        T0 - 100 * M, T0, overlap=10 * M, window=30 * M, initial_lookback=60 * M, earliest=T0 - 40 * M
    )
    assert windows == [(T0 - 40 * M, T0 - 10 * M), (T0 - 10 * M, T0)]


def test_the_watermark_stays_behind_a_storefront_that_lists_late() -> None:
    """A storefront whose listing is complete only up to its clock less a lag: the watermark moves to
    that moment, not to the poll's start, and still never backwards."""
    assert next_watermark(T0, T0 + 10 * M, settled=T0 + 7 * M) == T0 + 7 * M
    assert next_watermark(T0, T0 + 10 * M, settled=T0 + 12 * M) == T0 + 10 * M  # a clock ahead: the start
    assert next_watermark(T0 + 8 * M, T0 + 10 * M, settled=T0 + 7 * M) == T0 + 8 * M
