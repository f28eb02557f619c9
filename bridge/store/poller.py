"""One poller per shop: a lease on the shop's cursor row, with a fencing token.

``take_poller`` is one compare-and-set: the lease is taken when it is free,
ran out, or is already the caller's; every take bumps ``poller_token`` (the
lease's generation), which the caller keeps and hands back when it saves the
watermark (``IntakeRepository.save_watermark`` checks owner and token). So a
poller paused past its lease, whose lease another instance took meanwhile,
cannot move the watermark; the window is simply read again. A poll that takes
longer than a third of the lease renews it as it goes (``renew_poller``,
fenced the same way), so a long first poll of a backlog is not taken over
half-way. Lease times come from the caller's clock, the database's in a
running bridge; even so only the token decides what the watermark becomes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.records import PollerLease
from bridge.store.schema import cursors, insert_ignore


class PollerRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def take_poller(self, shop: str, owner: str, *, now: datetime, until: datetime) -> PollerLease:
        """Take (or keep) the shop's poller lease; the lease as it stands afterwards.

        The caller holds it when the answer's ``owner`` is the caller; its ``token``
        is then the one to fence the watermark with.
        """
        takeable = or_(cursors.c.poller.is_(None), cursors.c.poller_until < now, cursors.c.poller == owner)
        async with self._engine.begin() as conn:
            await conn.execute(insert_ignore(conn, cursors, ["shop"]).values(shop=shop, poller_token=0))
            await conn.execute(
                cursors.update()
                .where(and_(cursors.c.shop == shop, takeable))
                .values(poller=owner, poller_until=until, poller_token=cursors.c.poller_token + 1)
            )
            row = (
                await conn.execute(
                    select(cursors.c.poller, cursors.c.poller_until, cursors.c.poller_token).where(
                        cursors.c.shop == shop
                    )
                )
            ).one()
        return PollerLease(shop, row.poller, row.poller_until, int(row.poller_token))

    async def renew_poller(
        self, shop: str, owner: str, token: int, *, now: datetime, until: datetime
    ) -> bool:
        """Extend the lease to ``until`` while ``owner`` holds it with ``token`` and it has not run out."""
        held = and_(
            cursors.c.shop == shop,
            cursors.c.poller == owner,
            cursors.c.poller_token == token,
            cursors.c.poller_until >= now,
        )
        async with self._engine.begin() as conn:
            renewed = await conn.execute(cursors.update().where(held).values(poller_until=until))
        return bool(renewed.rowcount)

    async def release_poller(self, shop: str, owner: str) -> bool:
        """Give the lease up (graceful shutdown) so another instance polls at once; the token stays."""
        async with self._engine.begin() as conn:
            released = await conn.execute(
                cursors.update()
                .where(and_(cursors.c.shop == shop, cursors.c.poller == owner))
                .values(poller=None, poller_until=None)
            )
        return bool(released.rowcount)
