"""``bridge recover`` after a backup is restored, against a billing core that does not deduplicate.

Each test takes a marked backup (``bridge backup``'s), lets the bridge work on,
puts the backup back in place, and checks what the recovery makes of it: on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from adapters.billing_core.sandbox import BillingKnobs
from bridge.app import make_app
from bridge.core.states import LineState
from bridge.services.recovery import RestoredBackup, recover, refuse_restored
from bridge.store import backup_database, restore_database
from tests.rig import Rig, open_rig

S = LineState


@asynccontextmanager
async def _old_core_rig(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    """The rig on a billing core that applies a request_id again every time it is sent."""
    async with open_rig(tmp_path, database=database, billing_knobs=BillingKnobs(dedupe=False)) as rig:
        yield rig


async def _backup(rig: Rig, dsn: str, dest: Path) -> Path:
    await backup_database(dsn, dest, rig.deps.clock())
    return dest


async def _restore(rig: Rig, dsn: str, backup: Path) -> None:
    """Every daemon stopped (here: the rig's connections closed), the backup put back in place."""
    await rig.deps.store.close()  # the next call opens new connections, to the restored database
    await restore_database(dsn, backup)


async def _sends(rig: Rig, tid: str) -> int:
    """How many times the billing core applied an operation of trade ``tid`` (repeats included)."""
    return len(await rig.ledger(tid))


async def test_a_line_applied_after_the_backup_is_recorded_applied_not_sent_again(
    tmp_path: Path, database: str
) -> None:
    """A line READY in the backup and applied since is looked up by the recovery, never re-sent."""
    async with _old_core_rig(tmp_path, database) as rig:
        tid = await rig.planned()
        backup = await _backup(rig, database, tmp_path / "backup")
        await rig.cycle()
        assert await _sends(rig, tid) == 1
        await _restore(rig, database, backup)
        [before] = await rig.lines(tid)
        assert before.state is S.READY
        report = await recover(rig.deps)
        rig.later(600)  # past every settle time: nothing left to look up
        await rig.cycle()
        [after] = await rig.lines(tid)
        assert (after.state, await _sends(rig, tid)) == (S.DELIVERED, 1)
        assert report.found_applied == 1


async def test_a_trade_shipped_after_the_backup_is_stored_as_delivered(tmp_path: Path, database: str) -> None:
    """A trade paid and delivered after the backup is re-read, shipped as it is, and stored delivered."""
    async with _old_core_rig(tmp_path, database) as rig:
        backup = await _backup(rig, database, tmp_path / "backup")
        tid = await rig.order(message=(await rig.cards())[0])
        await rig.cycle()
        assert (await rig.market_trade(tid))["status"] == "WAIT_BUYER_CONFIRM_GOODS"
        await _restore(rig, database, backup)
        assert await rig.deps.store.views.find_trades(tid) == []
        report = await recover(rig.deps)
        [ln] = await rig.lines(tid)
        assert (ln.state, await _sends(rig, tid)) == (S.DELIVERED, 1)
        assert report.trades_delivered == 1


async def test_a_line_waiting_in_the_backup_is_looked_up_before_it_is_sent(
    tmp_path: Path, database: str
) -> None:
    """A line never sent is not sent by the recovery: the daemon sends it once the settle time has passed."""
    async with _old_core_rig(tmp_path, database) as rig:
        tid = await rig.planned()
        backup = await _backup(rig, database, tmp_path / "backup")
        await _restore(rig, database, backup)
        report = await recover(rig.deps)
        await rig.cycle()
        assert (report.waiting, await _sends(rig, tid)) == (1, 0)
        rig.later(rig.deps.settings.fulfilment.settle_s + 1)
        await rig.cycle()
        [ln] = await rig.lines(tid)
        assert (ln.state, await _sends(rig, tid)) == (S.DELIVERED, 1)


async def test_a_restored_backup_refuses_to_start_until_recovered(tmp_path: Path, database: str) -> None:
    """The daemon's start on a marked backup fails with ``RestoredBackup``; after the recovery it starts."""
    async with _old_core_rig(tmp_path, database) as rig:
        backup = await _backup(rig, database, tmp_path / "backup")
        await _restore(rig, database, backup)
        runner = web.AppRunner(make_app(rig.deps.settings))
        with pytest.raises(RestoredBackup, match="bridge recover"):
            await runner.setup()
        await runner.cleanup()
        await recover(rig.deps)
        await refuse_restored(rig.deps)  # no longer refused


async def test_a_trade_shipped_by_hand_is_put_before_a_person_never_sent(
    tmp_path: Path, database: str
) -> None:
    """Shipped in the marketplace yet unknown to the billing core: RESTORED_SHIPPED, nothing sent."""
    async with _old_core_rig(tmp_path, database) as rig:
        tid = await rig.planned()
        backup = await _backup(rig, database, tmp_path / "backup")
        await rig.deps.shops["main"].deliver(tid)  # the seller ships it by hand
        await _restore(rig, database, backup)
        report = await recover(rig.deps)
        rig.later(600)
        await rig.cycle()
        [ln] = await rig.lines(tid)
        assert (ln.state, ln.reason, await _sends(rig, tid)) == (S.EXCEPTION, "RESTORED_SHIPPED", 0)
        assert report.shipped_not_applied == 1


async def test_a_line_leased_by_a_daemon_at_the_backup_is_planned_by_the_recovery(
    tmp_path: Path, database: str
) -> None:
    """A line being planned when the backup was taken holds a lease of a daemon that is gone: the
    recovery takes it over at once, so no line is left RECEIVED (to be planned later, sent unasked)."""
    async with _old_core_rig(tmp_path, database) as rig:
        tid = await rig.order(message=(await rig.cards())[0])
        store = rig.deps.store
        trade = await rig.deps.shops["main"].get_trade(tid)
        await store.intake.save_trade("main", trade, rig.deps.clock(), "t")  # stored, not yet planned
        leased = await store.lines.claim_lines("gone:1", rig.deps.clock(), 7200, 5, states=(S.RECEIVED,))
        assert len(leased) == 1
        rig.later(3600)  # the backup an hour on: the trade is older than the recovery's re-read
        backup = await _backup(rig, database, tmp_path / "backup")
        await _restore(rig, database, backup)
        await recover(rig.deps)
        [ln] = await rig.lines(tid)
        assert (ln.state, ln.lease_owner) == (S.UNKNOWN, None)
