"""The order API's rows (migration 0015_api_orders, role ``api_orders``), on both engines."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from bridge.core.api_orders import ApiOrderRecord
from bridge.store import SqlStore, open_store
from bridge.store.engine import create_engine_for

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
BODY = {"order_id": "H1", "paid_at": "2026-12-08T10:00:00+08:00", "lines": []}


def _order(
    order_id: str = "H1", client: str = "hall", paid_at: datetime = NOW, sha: str = "a"
) -> ApiOrderRecord:
    return ApiOrderRecord(
        client=client,
        order_id=order_id,
        body={**BODY, "order_id": order_id},
        body_sha256=hashlib.sha256(sha.encode()).hexdigest(),
        paid_at=paid_at,
        received_at=NOW,
        modified_at=NOW,
    )


async def test_an_order_is_stored_once_per_client_and_id(store: SqlStore) -> None:
    """A second add of a client's id stores nothing and hands back the first; another client's is its own."""
    assert await store.api_orders.add_order(_order(sha="first")) == (_order(sha="first"), True)
    stored, created = await store.api_orders.add_order(_order(sha="second"))
    assert (created, stored.body_sha256) == (False, _order(sha="first").body_sha256)
    assert (await store.api_orders.add_order(_order(client="app")))[1] is True


async def test_an_order_is_read_back_by_its_own_client_only(store: SqlStore) -> None:
    """Another client asking for the id finds nothing."""
    await store.api_orders.add_order(_order())
    found = await store.api_orders.order("hall", "H1")
    assert found is not None and (found.body, found.paid_at, found.delivered_at) == (BODY, NOW, None)
    assert await store.api_orders.order("app", "H1") is None


async def test_a_day_s_orders_come_paged_in_payment_order(store: SqlStore) -> None:
    """Paid in ``[start, end)``, earliest first, the page asked for, and the count of them all."""
    for n in range(5):
        await store.api_orders.add_order(_order(f"H{n}", paid_at=NOW + timedelta(minutes=5 - n)))
    await store.api_orders.add_order(_order("H9", paid_at=NOW + timedelta(days=1)))
    page, total = await store.api_orders.orders_paid("hall", NOW, NOW + timedelta(hours=1), 1, 2)
    assert ([o.order.order_id for o in page], total) == (["H3", "H2"], 5)


async def test_a_signature_is_accepted_once_and_forgotten_after_its_window(store: SqlStore) -> None:
    """The second sight of a signature is refused; once deleted as old it would be new again."""
    roles = store.api_orders
    assert await roles.remember_signature("ab" * 32, "hall", NOW) is True
    assert await roles.remember_signature("ab" * 32, "app", NOW) is False
    assert await roles.forget_signatures(NOW) == 0
    assert await roles.forget_signatures(NOW + timedelta(seconds=1)) == 1
    assert await roles.remember_signature("ab" * 32, "hall", NOW) is True


def _tables(conn: sa.Connection) -> set[str]:
    return set(sa.inspect(conn).get_table_names())


def _down_to_0014(conn: sa.Connection) -> set[str]:
    cfg = Config()
    cfg.set_main_option("script_location", "bridge.store:migrations")
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, "0014_own_states")
    return _tables(conn)


async def test_migration_0015_adds_the_api_tables_and_takes_them_away_again(database: str) -> None:
    """Downgraded to 0014 the tables are gone; upgraded again they are back and work."""
    await (await open_store(database)).close()
    engine = create_engine_for(database)
    try:
        async with engine.begin() as conn:
            left = await conn.run_sync(_down_to_0014)
        assert {"api_orders", "api_signatures"} & left == set()
        assert "lines" in left
    finally:
        await engine.dispose()
    store = await open_store(database, upgrade=True)
    try:
        assert (await store.api_orders.add_order(_order()))[1] is True
        assert await store.api_orders.remember_signature("cd" * 32, "hall", NOW) is True
    finally:
        await store.close()
