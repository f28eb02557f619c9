"""Polling-window arithmetic: which modified-time windows one poll reads.

Rules (from the marketplace's own order-sync guidance): each poll re-reads an
overlap before the watermark, windows are contiguous and inclusive at their
edges, no window exceeds the configured span (≤ 1 day, 30 min advised, and never
more than the storefront's longest), no window starts before the earliest moment the
storefront can still list (``earliest``), and the watermark never moves past the
moment the poll started, less the storefront's settle lag. Pure.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def poll_windows(
    watermark: datetime | None,
    poll_started: datetime,
    *,
    overlap: timedelta,
    window: timedelta,
    initial_lookback: timedelta,
    earliest: datetime | None = None,
) -> list[tuple[datetime, datetime]]:
    """Contiguous ``[start, end]`` windows from ``watermark - overlap`` (never before ``earliest``)
    up to ``poll_started``."""
    if poll_started.tzinfo is None or (watermark is not None and watermark.tzinfo is None):
        raise ValueError("poll windows need timezone-aware datetimes")
    if window <= timedelta(0) or window > timedelta(days=1):
        raise ValueError(f"window must be within (0, 1 day], got {window}")
    start = (watermark - overlap) if watermark is not None else poll_started - initial_lookback
    if earliest is not None:
        start = max(start, earliest)
    start = min(start, poll_started)
    start = start.replace(microsecond=0)  # marketplace times are whole seconds
    windows = []
    while True:
        end = min(start + window, poll_started)
        windows.append((start, end))
        if end >= poll_started:
            return windows
        start = end


def next_watermark(
    current: datetime | None, poll_started: datetime, settled: datetime | None = None
) -> datetime:
    """After every window of a poll was stored: the poll's start, or the moment up to which the
    storefront's listing is complete when that is earlier (``settled``), never backwards."""
    target = poll_started if settled is None else min(poll_started, settled)
    return target if current is None else max(current, target)
