"""The clock the daemon runs on: the database's, anchored now and then (``bridge.core.clock``).

``DatabaseClock`` is what ``Deps.clock`` holds in a running bridge. It reads
the database's time when the daemon starts and again every
``clock_anchor_s`` (a scheduled job), and in between adds the monotonic time
elapsed. The gap between this host's wall clock and the database's is logged
at each anchor, as a warning past ``SKEW_WARNING_S``: the bridge does not need
the host's clock to be right, but the operator will want to know.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog

from bridge.core.clock import Anchor, anchor_of, time_at

log = structlog.get_logger("bridge.services.clock")
SKEW_WARNING_S = 2.0


def _wall_now() -> datetime:
    return datetime.now(UTC)


class DatabaseClock:
    """The database's time, carried forward by ``monotonic`` between anchors.

    ``shift`` adds seconds to every reading: the lab's way of moving time
    forward without sleeping (zero in a running bridge).
    """

    def __init__(
        self,
        read: Callable[[], Awaitable[datetime]],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = _wall_now,
        shift: Callable[[], float] | None = None,
    ) -> None:
        self._read, self._monotonic, self._wall, self._shift = read, monotonic, wall, shift
        self._anchor: Anchor | None = None

    async def anchor(self) -> float:
        """Read the database's time again; returns this host's wall clock minus it, in seconds."""
        sent = self._monotonic()
        database_time = await self._read()
        received = self._monotonic()
        self._anchor = anchor_of(database_time, sent, received)
        skew_s = (self._wall() - time_at(self._anchor, self._monotonic())).total_seconds()
        if abs(skew_s) > SKEW_WARNING_S:
            log.warning("host_clock_differs_from_database", skew_s=round(skew_s, 3))
        return skew_s

    def __call__(self) -> datetime:
        if self._anchor is None:
            raise RuntimeError("the database clock is read before its first anchor")
        now = time_at(self._anchor, self._monotonic())
        return now + timedelta(seconds=self._shift()) if self._shift else now
