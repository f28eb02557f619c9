"""The login throttle's policy (delays, keys) and the gate that bounds the hashing under a spray."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bridge.services.login_guard import HashGate, account_delay_s, source_delay_s, source_key


@pytest.mark.parametrize(
    ("failures", "wait_s"), [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (50, 5.0), (10_000, 5.0)]
)
def test_an_account_waits_a_few_seconds_at_most(failures: int, wait_s: float) -> None:
    """Someone else's failures keep an account's owner out for 5 s at most."""
    assert account_delay_s(failures) == wait_s


@pytest.mark.parametrize(
    ("failures", "wait_s"), [(1, 0.0), (5, 0.0), (6, 2.0), (7, 4.0), (13, 256.0), (14, 300.0), (99, 300.0)]
)
def test_a_source_address_has_a_few_free_failures_then_waits_longer(failures: int, wait_s: float) -> None:
    """A person mistyping costs nothing; a spray from one address soon waits minutes."""
    assert source_delay_s(failures) == wait_s


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "addr:203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "addr:2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "addr:2001:db8:1:2::/64"),
        (None, "addr:?"),
        ("not an address", "addr:?"),
    ],
)
def test_an_ipv6_source_counts_by_its_64(address: str | None, key: str) -> None:
    """One IPv6 host holds a whole /64: the throttle counts the /64."""
    assert source_key(address) == key


async def test_a_full_hashing_queue_turns_tries_away_at_once() -> None:
    """Beyond the checks running and the few waiting, a try gets no check and no wait."""
    gate, release = HashGate(concurrent=1, waiting=1), threading.Event()
    running = [asyncio.create_task(gate.run(release.wait, 10)) for _ in range(2)]
    await asyncio.sleep(0.05)
    assert await gate.run(lambda: True) is None
    release.set()
    assert await asyncio.gather(*running) == [True, True]
    assert await gate.run(lambda: True) is True
