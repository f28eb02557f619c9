"""The order API's signatures: kept for twice the skew, deleted by each instance at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.services.api_orders import SignatureBook, remember_signature
from bridge.store import SqlStore

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
SKEW = timedelta(seconds=300)


async def _remember(store: SqlStore, book: SignatureBook, signature: str, at: datetime) -> bool:
    return await remember_signature(store.api_orders, book, signature, "hall", at, SKEW)


async def test_a_signature_past_twice_the_skew_is_forgotten(store: SqlStore) -> None:
    """Seen more than 2 × skew ago, a signature's row is deleted by the next request."""
    book = SignatureBook()
    await _remember(store, book, "a" * 64, NOW)
    assert await _remember(store, book, "b" * 64, NOW + 2 * SKEW + timedelta(seconds=1))
    assert await store.api_orders.remember_signature("a" * 64, "hall", NOW) is True  # its row was gone


async def test_a_signature_within_twice_the_skew_is_kept(store: SqlStore) -> None:
    """Its timestamp may still be accepted: the row stays, the replay is refused."""
    book = SignatureBook()
    await _remember(store, book, "a" * 64, NOW)
    assert await _remember(store, book, "a" * 64, NOW + 2 * SKEW) is False


async def test_old_signatures_are_looked_for_at_most_once_a_minute(store: SqlStore) -> None:
    """Within a minute of its last clean-up an instance deletes nothing (no DELETE per request)."""
    await store.api_orders.remember_signature("o" * 64, "hall", NOW - 2 * SKEW + timedelta(seconds=30))
    book = SignatureBook()
    await _remember(store, book, "a" * 64, NOW)  # cleans up first: the old row is not old enough yet
    await _remember(store, book, "b" * 64, NOW + timedelta(seconds=59))  # it is now, but no clean-up yet
    assert await store.api_orders.remember_signature("o" * 64, "hall", NOW) is False  # still there
