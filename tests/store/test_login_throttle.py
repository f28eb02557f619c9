"""The login throttle's claim: one compare-and-set, one winner among concurrent tries of any instance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bridge.services.login_guard import QUIET, account_delay_s
from bridge.store import SqlStore, open_store
from bridge.store.console_schema import login_throttle
from tests.store.test_store import NOW


@pytest.fixture
async def two_instances(database: str) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    """Two stores on one database, as two bridge instances have."""
    first = await open_store(database)
    second = await open_store(database)
    yield first, second
    await second.close()
    await first.close()


async def test_concurrent_claims_from_two_instances_let_one_try_through(
    two_instances: tuple[SqlStore, SqlStore],
) -> None:
    """Twenty tries of one account at once, half on each instance, after its wait ran out: one claims."""
    first, second = two_instances
    await first.accounts.claim_login_try("name:admin", NOW, account_delay_s, NOW - QUIET)
    later = NOW + timedelta(seconds=10)
    tries = [
        store.accounts.claim_login_try("name:admin", later, account_delay_s, later - QUIET)
        for store in (first, second) * 10
    ]
    claimed = [ok for ok, _ in await asyncio.gather(*tries)]
    assert claimed.count(True) == 1


async def test_a_claim_waits_for_the_delay_of_the_failures_so_far(
    two_instances: tuple[SqlStore, SqlStore],
) -> None:
    """Each claimed try counts as a failure: the next may start 1, 2, 4, then 5 s later."""
    accounts, now, waits = two_instances[0].accounts, NOW, []
    for _ in range(5):
        claimed, allowed = await accounts.claim_login_try("name:cs1", now, account_delay_s, now - QUIET)
        assert claimed
        waits.append((allowed - now).total_seconds())
        now = allowed
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_quiet_keys_are_deleted_when_a_new_key_comes(two_instances: tuple[SqlStore, SqlStore]) -> None:
    """Rows of keys quiet for longer than the window go when another key is first seen: the table
    holds only the keys of the window, however many names a spray tried."""
    accounts = two_instances[0].accounts
    for n in range(20):
        await accounts.claim_login_try(f"name:nobody{n}", NOW, account_delay_s, NOW - QUIET)
    later = NOW + QUIET + timedelta(seconds=1)
    await accounts.claim_login_try("name:someone", later, account_delay_s, later - QUIET)
    async with two_instances[0].engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(login_throttle))).scalar_one() == 1
