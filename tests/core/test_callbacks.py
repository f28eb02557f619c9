"""The callbacks' pure rules: the retry schedule (never giving up), the signed target, the URL's host."""

from __future__ import annotations

import random

import pytest

from bridge.core.api_signing import signature_matches
from bridge.core.callbacks import EVERY_S, JITTER, callback_headers, retry_delay, url_host


@pytest.mark.parametrize(
    ("attempts", "base"),
    [(1, 5.0), (2, 15.0), (3, 60.0), (4, 300.0), (5, 900.0), (6, EVERY_S), (50, EVERY_S), (10_000, EVERY_S)],
)
def test_the_schedule_backs_off_then_tries_every_half_hour_for_ever(attempts: int, base: float) -> None:
    """After the n-th failure the next try waits the schedule's n-th step, then 30 minutes, jittered."""
    rng = random.Random(attempts)
    for _ in range(50):
        assert base * (1 - JITTER) <= retry_delay(attempts, rng) <= base * (1 + JITTER)


def test_the_delays_are_jittered() -> None:
    """Two callbacks failing together are not tried again at the same moment."""
    rng = random.Random(1)
    assert len({retry_delay(3, rng) for _ in range(10)}) == 10


@pytest.mark.parametrize(
    ("url", "signed"),
    [
        ("https://hall.example/hook", "/hook"),
        ("https://hall.example/hook?v=1&x=2", "/hook?v=1&x=2"),
        ("https://hall.example", "/"),
    ],
)
def test_the_signature_covers_the_path_with_its_query(url: str, signed: str) -> None:
    """The receiver checks the signature over the request target it was sent, as the API checks its own."""
    headers = callback_headers("hall-1", "s3cret", url, b'{"a":1}', 1765159200, "hall.H-1.1")
    assert signature_matches(
        "s3cret", "POST", signed, "1765159200", b'{"a":1}', headers["X-Bridge-Signature"]
    )
    assert headers["Idempotency-Key"] == "hall.H-1.1" and headers["X-Bridge-Key"] == "hall-1"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Hall.Example:8443/hook", "hall.example"),
        ("http://[::1]:80/x", "::1"),
        ("no url", ""),
        ("http://[bad", ""),
    ],
)
def test_a_url_s_host(url: str, host: str) -> None:
    """The host a callback URL names, lower case; none when the URL has none or is malformed."""
    assert url_host(url) == host
