"""When a sent part may have landed, and when a "not found" is trusted: tables of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bridge.core.inflight import (
    MAYBE_APPLIED,
    gave_up_marker,
    may_be_applied,
    not_found_is_trusted,
    sent_at,
    sent_marker,
    settles_at,
)

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_the_settle_time_counts_from_giving_up_when_that_came_later() -> None:
    """A request that left late (a busy host) is waited for from when the bridge stopped waiting."""
    sent = sent_marker(None, T0)
    gave_up = gave_up_marker(sent, T0 + timedelta(seconds=4))
    assert settles_at(sent, 6) == T0 + timedelta(seconds=6)
    assert settles_at(gave_up, 6) == T0 + timedelta(seconds=10)
    assert not not_found_is_trusted(gave_up, 6, T0 + timedelta(seconds=8))
    resent = sent_marker(gave_up, T0 + timedelta(seconds=20))  # a new send starts afresh
    assert settles_at(resent, 6) == T0 + timedelta(seconds=26)


@pytest.mark.parametrize(
    ("state", "maybe"), [("PENDING", False), ("SENT", True), ("UNKNOWN", True), ("APPLIED", True)]
)
def test_only_a_part_never_sent_is_surely_not_applied(state: str, maybe: bool) -> None:
    assert may_be_applied(state) is maybe


def test_sent_and_unknown_parts_are_looked_up_first() -> None:
    assert frozenset({"SENT", "UNKNOWN"}) == MAYBE_APPLIED


def test_the_marker_keeps_the_last_send_and_counts_the_sends() -> None:
    first = sent_marker(None, T0)
    second = sent_marker(first, T0 + timedelta(seconds=30))
    assert (sent_at(first), first["sends"]) == (T0, 1)
    assert (sent_at(second), second["sends"]) == (T0 + timedelta(seconds=30), 2)


@pytest.mark.parametrize(
    ("result", "asked_after_s", "trusted"),
    [
        (sent_marker(None, T0), 0, False),  # just sent: a slow apply may still land
        (sent_marker(None, T0), 59.9, False),
        (sent_marker(None, T0), 60, True),  # the settle time has passed
        (sent_marker(None, T0), 600, True),
        (None, 0, True),  # no send time kept (an older version): long settled
        ({"sent_at": "not a time"}, 0, True),
        ({"sent_at": "2026-11-24T02:00:00"}, 0, True),  # naive: refused, as if unknown
    ],
)
def test_a_not_found_is_trusted_only_after_the_settle_time(
    result: dict[str, Any] | None, asked_after_s: float, trusted: bool
) -> None:
    asked_at = T0 + timedelta(seconds=asked_after_s)
    assert not_found_is_trusted(result, 60.0, asked_at) is trusted


def test_settles_at_is_the_last_send_plus_the_settle_time() -> None:
    assert settles_at(sent_marker(None, T0), 60.0) == T0 + timedelta(seconds=60)
    assert settles_at(None, 60.0) is None
