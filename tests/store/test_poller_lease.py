"""One poller per shop: the lease on the cursor row is a compare-and-set, its token fences the watermark."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta, timezone

import pytest

from bridge.store import SqlStore, open_store
from tests.store.test_store import NOW

_LEASE = timedelta(seconds=120)


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    s = await open_store(database)
    yield s
    await s.close()


async def test_a_live_lease_is_not_taken_by_another(store: SqlStore) -> None:
    """The first taker holds it (the row made on the way); another sees who holds it and until when."""
    first = await store.pollers.take_poller("main", "a", now=NOW, until=NOW + _LEASE)
    second = await store.pollers.take_poller(
        "main", "b", now=NOW + timedelta(seconds=60), until=NOW + 2 * _LEASE
    )
    assert (first.owner, second.owner, second.until, second.token) == ("a", "a", NOW + _LEASE, first.token)
    assert await store.intake.watermark("main") is None


async def test_an_expired_lease_is_taken_with_a_new_token(store: SqlStore) -> None:
    first = await store.pollers.take_poller("main", "a", now=NOW, until=NOW + _LEASE)
    later = NOW + _LEASE + timedelta(seconds=1)
    second = await store.pollers.take_poller("main", "b", now=later, until=later + _LEASE)
    assert second.owner == "b" and second.token > first.token


async def test_the_holder_takes_its_own_lease_again(store: SqlStore) -> None:
    first = await store.pollers.take_poller("main", "a", now=NOW, until=NOW + _LEASE)
    again = await store.pollers.take_poller(
        "main", "a", now=NOW + timedelta(seconds=30), until=NOW + 2 * _LEASE
    )
    assert again.owner == "a" and again.until == NOW + 2 * _LEASE and again.token > first.token


async def test_a_save_with_a_lost_lease_changes_nothing(store: SqlStore) -> None:
    """The watermark save is a compare-and-set on owner and token: the old holder's is refused."""
    old = await store.pollers.take_poller("main", "a", now=NOW, until=NOW + _LEASE)
    later = NOW + _LEASE + timedelta(seconds=1)
    new = await store.pollers.take_poller("main", "b", now=later, until=later + _LEASE)
    assert not await store.intake.save_watermark(
        "main", later, owner="a", token=old.token, started=later, now=later, until=later + _LEASE
    )
    assert await store.intake.watermark("main") is None
    assert await store.intake.save_watermark(
        "main", NOW, owner="b", token=new.token, started=NOW, now=later, until=later + 2 * _LEASE
    )
    assert await store.intake.watermark("main") == NOW
    [row] = await store.views.cursor_rows()
    assert (row["poller"], row["poller_until"]) == ("b", later + 2 * _LEASE)  # extended by the save


async def test_a_released_lease_is_free_at_once(store: SqlStore) -> None:
    await store.pollers.take_poller("main", "a", now=NOW, until=NOW + _LEASE)
    assert not await store.pollers.release_poller("main", "b")
    assert await store.pollers.release_poller("main", "a")
    taken = await store.pollers.take_poller("main", "b", now=NOW, until=NOW + _LEASE)
    assert taken.owner == "b"


async def test_a_watermark_in_another_time_zone_is_stored_as_the_same_instant(store: SqlStore) -> None:
    """Marketplace times carry +08:00; the fenced save stores the instant (UTC), not the wall time."""
    lease = await store.pollers.take_poller("main", "a", now=NOW, until=NOW + _LEASE)
    beijing = NOW.astimezone(timezone(timedelta(hours=8)))
    assert await store.intake.save_watermark(
        "main", beijing, owner="a", token=lease.token, started=NOW, now=NOW, until=NOW + _LEASE
    )
    assert await store.intake.watermark("main") == NOW


async def test_takes_racing_for_a_new_shop_leave_one_holder(store: SqlStore) -> None:
    """Five instances start at once on a shop with no cursor row yet: one lease, one holder."""
    takes = [store.pollers.take_poller("main", f"i{n}", now=NOW, until=NOW + _LEASE) for n in range(5)]
    answers = await asyncio.gather(*takes)
    holders = {a.owner for a in answers}
    assert len(holders) == 1 and sum(a.owner == f"i{n}" for n, a in enumerate(answers)) == 1


async def test_a_renewal_extends_only_the_holders_live_lease(store: SqlStore) -> None:
    """The holder renews with its token before the lease ends; a stale token or a late renewal is refused."""
    held = await store.pollers.take_poller("main", "a", now=NOW, until=NOW + _LEASE)
    half = NOW + _LEASE / 2
    assert await store.pollers.renew_poller("main", "a", held.token, now=half, until=half + _LEASE)
    taken = await store.pollers.take_poller(
        "main", "b", now=NOW + _LEASE + timedelta(seconds=1), until=NOW + 3 * _LEASE
    )
    assert taken.owner == "a"  # the renewal kept it
    assert not await store.pollers.renew_poller("main", "a", held.token - 1, now=half, until=half + _LEASE)
    late = half + _LEASE + timedelta(seconds=1)
    assert not await store.pollers.renew_poller("main", "a", held.token, now=late, until=late + _LEASE)
