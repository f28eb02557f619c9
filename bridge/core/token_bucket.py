"""A token bucket: ``burst`` requests at once, then ``rate_per_s`` a second.

The order API keeps one per channel client, in memory, per instance: with N
instances behind a balancer a client may send up to N times its rate (the
limit protects each instance, it is not a quota). Time is passed in (a
monotonic clock's seconds), so the arithmetic is tested with tables.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TokenBucket"]


@dataclass
class TokenBucket:
    """Tokens refill at ``rate_per_s`` up to ``burst``; a request takes one."""

    rate_per_s: float
    burst: int
    tokens: float
    at: float  # when ``tokens`` was counted

    @classmethod
    def full(cls, rate_per_s: float, burst: int, now: float) -> TokenBucket:
        return cls(rate_per_s=rate_per_s, burst=burst, tokens=float(burst), at=now)

    def take(self, now: float) -> float:
        """0.0 when a token was taken; else the seconds until the next one is there (none taken)."""
        elapsed = max(0.0, now - self.at)  # a clock never runs back here, but a bucket must not drain
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate_per_s)
        self.at = max(self.at, now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate_per_s
