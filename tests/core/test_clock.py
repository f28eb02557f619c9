"""The bridge's time: a database reading placed mid-round-trip, carried forward by the monotonic clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.clock import anchor_of, time_at

DB_TIME = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_a_reading_is_placed_at_the_middle_of_its_round_trip() -> None:
    anchor = anchor_of(DB_TIME, sent=100.0, received=100.4)
    assert anchor.monotonic == pytest.approx(100.2)
    assert time_at(anchor, 100.2) == DB_TIME


def test_time_moves_exactly_as_the_monotonic_clock_does() -> None:
    anchor = anchor_of(DB_TIME, sent=5.0, received=5.0)
    assert time_at(anchor, 65.5) == DB_TIME + timedelta(seconds=60.5)


def test_a_naive_database_time_or_a_backwards_round_trip_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        anchor_of(DB_TIME.replace(tzinfo=None), sent=1.0, received=2.0)
    with pytest.raises(ValueError, match="round trip"):
        anchor_of(DB_TIME, sent=2.0, received=1.0)
