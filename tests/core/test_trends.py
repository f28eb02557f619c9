"""The dashboard's hour buckets (local hours, the current one last) and delivery-time percentiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.trends import Activity, hour_index, hourly, latency, percentile, window_start

NOW = datetime(2026, 12, 2, 1, 35, 20, tzinfo=UTC)  # 09:35 in China


def test_an_hour_index_counts_whole_hours_since_the_epoch() -> None:
    assert hour_index(datetime(1970, 1, 1, 0, 59, tzinfo=UTC)) == 0
    assert hour_index(datetime(1970, 1, 1, 1, 0, tzinfo=UTC)) == 1
    assert hour_index(datetime(1969, 12, 31, 23, 30, tzinfo=UTC)) == -1


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        hour_index(datetime(2026, 12, 2, 1, 0))


def test_the_window_starts_on_the_hour_so_that_the_current_hour_is_the_last() -> None:
    assert window_start(NOW, 24) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert window_start(NOW, 1) == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="hours must be at least 1"):
        window_start(NOW, 0)


def test_counts_land_in_their_local_hour_and_empty_hours_are_zero() -> None:
    now_h = hour_index(NOW)
    activity = Activity(
        incoming={now_h: 5, now_h - 23: 2, now_h - 24: 99},  # the last is outside the day
        delivered={now_h - 1: 3},
        exceptions={now_h: 1},
    )
    day = hourly(activity, NOW, 24)
    assert len(day) == 24
    assert [h.label for h in day[-3:]] == ["07", "08", "09"]  # UTC+8
    assert day[0].label == "10" and day[0].start == datetime(2026, 12, 1, 10, 0, tzinfo=day[0].start.tzinfo)
    assert (day[-1].incoming, day[-1].delivered, day[-1].exceptions) == (5, 0, 1)
    assert (day[-2].incoming, day[-2].delivered) == (0, 3)
    assert day[0].incoming == 2
    assert sum(h.incoming for h in day) == 7
    assert day[-1].start.utcoffset() == timedelta(hours=8)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([float(s) for s in range(1, 101)], 95) == pytest.approx(95.05)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_latency_is_a_dash_without_deliveries_and_skew_never_goes_negative() -> None:
    assert latency([]) == latency([]).__class__(0, None, None)
    found = latency([-3.0, 10.0, 20.0])
    assert (found.count, found.p50) == (3, 10.0)
    assert found.p95 == pytest.approx(19.0)
