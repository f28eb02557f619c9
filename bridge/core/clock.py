"""The bridge's time: the database's clock, carried forward by the host's monotonic clock.

Every instance decides about leases on one timeline, the database's: is a
lease still live, may a billing call start on it, has a poller's lease run
out. A host whose wall clock is off (no time sync, a virtual machine resumed)
or jumps (a time sync stepping it) must not take over another instance's live
lease, nor keep one it lost. So the database's clock is read now and then (an
*anchor*), and in between the time is that reading plus the host's monotonic
time elapsed since: never the host's wall clock.

Invariants:
* a reading is placed at the midpoint of the round trip that fetched it, so
  its error is at most half that round trip;
* between anchors the time moves exactly as the monotonic clock does: it
  never goes back, whatever the wall clock does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Anchor:
    """The database's time at one monotonic reading of this host."""

    database_time: datetime
    monotonic: float


def anchor_of(database_time: datetime, sent: float, received: float) -> Anchor:
    """A reading of the database's clock fetched between monotonic times ``sent`` and ``received``."""
    if database_time.tzinfo is None:
        raise ValueError("the database's time must be timezone-aware")
    if received < sent:
        raise ValueError("a round trip cannot end before it starts")
    return Anchor(database_time, (sent + received) / 2)


def time_at(anchor: Anchor, monotonic_now: float) -> datetime:
    """The database's time when the monotonic clock reads ``monotonic_now``."""
    return anchor.database_time + timedelta(seconds=monotonic_now - anchor.monotonic)
