"""A channel's callback: its retry schedule, its signed headers, and the records the outbox hands out.

A notification is POSTed to the client's callback URL until a 2xx comes back: at
least once, so the schedule never gives up. After the ``n``-th failed try the next
one waits ``SCHEDULE_S[n - 1]`` (5 s, 15 s, 1 min, 5 min, 15 min), then every
``EVERY_S`` (30 min) for ever, each stretched or shrunk by up to ``JITTER`` so
that a receiver back from an outage is not hit by every callback at once.

The request is signed as a client signs its own (``bridge.core.api_signing``) with
the client's key id and secret, and carries ``Idempotency-Key``: the row's event
key, the same on every try and every resend.

Pure: no I/O.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bridge.core.api_signing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

__all__ = [
    "EVERY_S",
    "IDEMPOTENCY_HEADER",
    "JITTER",
    "SCHEDULE_S",
    "CallbackFigures",
    "CallbackRecord",
    "callback_headers",
    "retry_delay",
    "target",
    "url_host",
]

SCHEDULE_S: tuple[float, ...] = (5.0, 15.0, 60.0, 300.0, 900.0)
EVERY_S = 1800.0
JITTER = 0.2
IDEMPOTENCY_HEADER = "Idempotency-Key"


def retry_delay(attempts: int, rng: random.Random) -> float:
    """Seconds until the next try after ``attempts`` failed ones (1 or more), jittered by ``JITTER``."""
    base = SCHEDULE_S[attempts - 1] if 1 <= attempts <= len(SCHEDULE_S) else EVERY_S
    return base * rng.uniform(1 - JITTER, 1 + JITTER)


def target(url: str) -> str:
    """The URL's path with its query, as the request line carries it (what the signature covers)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def url_host(url: str) -> str:
    """The URL's host name, lower case (empty when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # a malformed port or bracket: no host to trust
        return ""


def callback_headers(
    key_id: str, secret: str, url: str, body: bytes, timestamp: int, event_key: str
) -> dict[str, str]:
    """The headers of one try: JSON, the client's key id, the timestamp, the signature, the key."""
    stamp = str(timestamp)
    return {
        "Content-Type": "application/json",
        KEY_HEADER: key_id,
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(secret, "POST", target(url), stamp, body),
        IDEMPOTENCY_HEADER: event_key,
    }


@dataclass(frozen=True)
class CallbackRecord:
    """One row of the outbox: a notification of an order's settled state and its tries so far."""

    id: int
    client: str
    order_id: str
    event_key: str
    state: str
    url: str
    payload: Mapping[str, Any]
    created_at: datetime
    next_at: datetime
    attempts: int
    last_status: int | None
    last_error: str | None
    acknowledged_at: datetime | None

    @property
    def pending(self) -> bool:
        return self.acknowledged_at is None


@dataclass(frozen=True)
class CallbackFigures:
    """A client's callbacks not yet acknowledged: how many, how many tried and failed, the oldest's age."""

    client: str
    pending: int
    failing: int
    oldest_pending_s: float
