"""The dashboard's trends: counts per hour over a day, and payment → delivered percentiles.

The store counts what happened per whole hour since the Unix epoch (UTC: an
hour index is ``floor(epoch seconds / 3600)``); ``hourly`` lays those counts on
the last ``hours`` hours ending with the current one, each labelled with its
local starting hour (China Standard Time by default: a whole-hour offset, so
UTC hours and local hours are the same buckets). Hours with nothing are 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timezone

from bridge.core.models import CST

__all__ = [
    "Activity",
    "HourCounts",
    "Latency",
    "hour_index",
    "hourly",
    "latency",
    "percentile",
    "window_start",
]

HOUR_S = 3600


@dataclass(frozen=True)
class Activity:
    """What the store counted per hour index: orders received, orders delivered, lines sent to a person."""

    incoming: Mapping[int, int]
    delivered: Mapping[int, int]
    exceptions: Mapping[int, int]


@dataclass(frozen=True)
class HourCounts:
    start: datetime  # the hour's start, in local time
    incoming: int
    delivered: int
    exceptions: int

    @property
    def label(self) -> str:
        """The local starting hour, "08"."""
        return f"{self.start.hour:02d}"


@dataclass(frozen=True)
class Latency:
    """Payment → delivered over a window: how many, and the median and 95th percentile (seconds)."""

    count: int
    p50: float | None
    p95: float | None


def hour_index(at: datetime) -> int:
    """The whole hours since the Unix epoch at ``at`` (timezone-aware)."""
    if at.tzinfo is None:
        raise ValueError("hour_index needs a timezone-aware time")
    return math.floor(at.timestamp() / HOUR_S)


def window_start(now: datetime, hours: int = 24) -> datetime:
    """The start of the first of the last ``hours`` whole hours (the current hour included)."""
    if hours < 1:
        raise ValueError(f"hours must be at least 1, not {hours}")
    return datetime.fromtimestamp((hour_index(now) - hours + 1) * HOUR_S, UTC)


def hourly(activity: Activity, now: datetime, hours: int = 24, tz: timezone = CST) -> list[HourCounts]:
    """The last ``hours`` hours, oldest first, the current (unfinished) hour last."""
    first = hour_index(window_start(now, hours))
    return [
        HourCounts(
            start=datetime.fromtimestamp(i * HOUR_S, UTC).astimezone(tz),
            incoming=activity.incoming.get(i, 0),
            delivered=activity.delivered.get(i, 0),
            exceptions=activity.exceptions.get(i, 0),
        )
        for i in range(first, first + hours)
    ]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by linear interpolation between ranks; None for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, not {q}")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency(seconds: Sequence[float]) -> Latency:
    """The median and 95th percentile of payment → delivered times (negative clock skew counts as 0)."""
    clean = [max(0.0, s) for s in seconds]
    return Latency(len(clean), percentile(clean, 50), percentile(clean, 95))
