"""The per-client rate limit's arithmetic (``bridge.core.token_bucket``)."""

from __future__ import annotations

import pytest

from bridge.core.token_bucket import TokenBucket


def test_a_full_bucket_lets_a_burst_through_then_waits() -> None:
    """``burst`` requests at once; the next waits one token's time."""
    bucket = TokenBucket.full(rate_per_s=2.0, burst=3, now=100.0)
    assert [bucket.take(100.0) for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


@pytest.mark.parametrize(
    ("later", "wait"),
    [(0.25, 0.25), (0.5, 0.0), (10.0, 0.0)],
)
def test_tokens_come_back_at_the_rate(later: float, wait: float) -> None:
    """An empty bucket refills at ``rate_per_s``."""
    bucket = TokenBucket(rate_per_s=2.0, burst=3, tokens=0.0, at=100.0)
    assert bucket.take(100.0 + later) == pytest.approx(wait)


def test_a_long_quiet_spell_refills_no_more_than_the_burst() -> None:
    """After an hour, still only ``burst`` at once."""
    bucket = TokenBucket(rate_per_s=2.0, burst=3, tokens=0.0, at=0.0)
    assert [bucket.take(3600.0) for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


def test_a_refused_request_takes_no_token() -> None:
    """Waiting clients that retry too early do not push their turn further away."""
    bucket = TokenBucket(rate_per_s=1.0, burst=1, tokens=0.0, at=0.0)
    assert bucket.take(0.5) == pytest.approx(0.5)
    assert bucket.take(1.0) == 0.0
