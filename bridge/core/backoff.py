"""When to try a line or a trade again: exponential backoff with jitter, honouring Retry-After.

Persisted retries (a line's ``next_attempt_at``) survive restarts, so the delay
is computed here as plain arithmetic rather than by an in-process retry loop.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def retry_delay(
    attempt: int,
    *,
    base_s: float,
    max_s: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (attempt counts from 0).

    Full-jitter exponential backoff between ``base_s/2`` and ``base_s * 2**attempt``
    (capped at ``max_s``); a server's Retry-After is a floor, never shortened.
    """
    rng = rng or random.Random()
    ceiling = min(max_s, base_s * (2 ** max(attempt, 0)))
    delay = rng.uniform(min(base_s / 2, ceiling), ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def retry_at(
    now: datetime,
    attempt: int,
    *,
    base_s: float,
    max_s: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    return now + timedelta(
        seconds=retry_delay(attempt, base_s=base_s, max_s=max_s, retry_after=retry_after, rng=rng)
    )
