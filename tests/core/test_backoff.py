"""Backoff: grows with attempts, capped, jittered, and never shorter than Retry-After."""

from __future__ import annotations

import random

import pytest

from bridge.core.backoff import retry_delay


@pytest.mark.parametrize(
    ("attempt", "low", "high"), [(0, 1.0, 2.0), (1, 1.0, 4.0), (3, 1.0, 16.0), (20, 1.0, 60.0)]
)
def test_delay_bounds(attempt: int, low: float, high: float) -> None:
    rng = random.Random(1)
    for _ in range(200):
        assert low <= retry_delay(attempt, base_s=2.0, max_s=60.0, rng=rng) <= high


@pytest.mark.parametrize("retry_after", [5.0, 30.0, 120.0])
def test_retry_after_is_a_floor(retry_after: float) -> None:
    """The server's Retry-After is honoured even when backoff would be shorter."""
    assert (
        retry_delay(0, base_s=1.0, max_s=10.0, retry_after=retry_after, rng=random.Random(2)) >= retry_after
    )
