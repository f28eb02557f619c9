"""What a storm of sign-in tries may cost: the throttle's keys and delays, and the hashing gate.

Every try claims a slot of its source address, then of the account it names
(``AccountStorePort.claim_login_try``: one compare-and-set in the database, so
concurrent tries on any number of instances cannot all pass), known name or
not: an unknown name has its own key and is checked against a dummy hash, so it
costs and answers like a known one. A claimed try counts as a failure until it
succeeds, which also holds off the tries that arrive while it is checked.

- An account waits 1, 2, 4, then 5 s between failed tries, never more: someone
  else's failures keep its owner out for at most ``ACCOUNT_DELAY_MAX_S``.
- A source address does the heavy lifting against a spray: its first
  ``SOURCE_FREE_FAILURES`` failures cost nothing, then it waits 2, 4, … up to
  five minutes (an IPv6 source counts by its /64).
- Keys quiet for ``QUIET_S`` start again from nothing; their rows are deleted
  as new keys come, so the table holds the keys of the last quarter of an hour.
- ``HashGate``: at most ``concurrent`` argon2 checks at once, off the event
  loop, and ``waiting`` more queued; a try beyond that is turned away at once
  (the throttled answer), so a spray from many addresses costs a bounded share
  of the machine and never delays health checks or delivery.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

ACCOUNT_DELAY_MAX_S = 5.0
SOURCE_FREE_FAILURES = 5
SOURCE_DELAY_MAX_S = 300.0
QUIET_S = 900.0
"""Longer than either cap: a key is forgotten only once it may try again anyway."""
QUIET = timedelta(seconds=QUIET_S)
_T = TypeVar("_T")


def account_delay_s(failures: int) -> float:
    """Seconds an account's next try waits after ``failures`` failed tries in a row."""
    return min(2.0 ** min(max(failures - 1, 0), 30), ACCOUNT_DELAY_MAX_S)  # 2**30: no overflow


def source_delay_s(failures: int) -> float:
    """Seconds a source address's next try waits after ``failures`` failed tries."""
    if failures <= SOURCE_FREE_FAILURES:
        return 0.0
    return min(2.0 ** min(failures - SOURCE_FREE_FAILURES, 30), SOURCE_DELAY_MAX_S)


def account_key(name: str) -> str:
    return "name:" + name.strip()[:80]


def source_key(address: str | None) -> str:
    """The throttle's key of a peer address: the address itself, an IPv6 one's /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "addr:?"
    if ip.version == 6:
        return "addr:" + str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return f"addr:{ip}"


class HashGate:
    """At most ``concurrent`` password checks at a time in a thread, ``waiting`` more queued."""

    def __init__(self, concurrent: int = 1, waiting: int = 4) -> None:
        self._turns = asyncio.Semaphore(concurrent)
        self._room = concurrent + waiting
        self._inside = 0

    async def run(self, check: Callable[..., _T], *args: object) -> _T | None:
        """``check(*args)`` in a thread when its turn comes; None at once when the queue is full."""
        if self._inside >= self._room:
            return None
        self._inside += 1
        try:
            async with self._turns:
                return await asyncio.to_thread(check, *args)
        finally:
            self._inside -= 1
