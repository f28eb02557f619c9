"""The figures monitoring reads (``bridge.store.figures``): what counts as waiting for the bridge, each shop's
newest payment."""

from __future__ import annotations

from datetime import timedelta

from bridge.core.states import DeliveryState, LineState
from bridge.store.schema import lines, trades
from tests.rig import Rig, line


async def _delivered(rig: Rig) -> int:
    tid = await rig.order(line(), message=f"卡号 {(await rig.cards())[0]}")
    for _ in range(3):
        await rig.cycle()
    return tid


async def test_an_applied_line_whose_trade_is_due_for_write_back_is_waiting(rig: Rig) -> None:
    """Credited but not yet marked delivered: the oldest line due is that line, from its payment."""
    tid = await _delivered(rig)
    assert (await rig.deps.store.monitoring.figures()).oldest_due is None
    async with rig.deps.store.engine.begin() as conn:
        await conn.execute(
            trades.update().where(trades.c.tid == tid).values(delivery_state=DeliveryState.DUE.value)
        )
        await conn.execute(lines.update().where(lines.c.tid == tid).values(state=LineState.APPLIED.value))
    [paid] = [ln.paid_at for ln in await rig.lines(tid)]
    assert (await rig.deps.store.monitoring.figures()).oldest_due == paid


async def test_each_shop_s_newest_payment_is_read(rig: Rig) -> None:
    """Two orders of the shop: the newer one's payment time is the shop's last paid."""
    await _delivered(rig)
    newer = await _delivered(rig)
    later = rig.deps.clock() + timedelta(minutes=5)
    async with rig.deps.store.engine.begin() as conn:
        await conn.execute(lines.update().where(lines.c.tid == newer).values(paid_at=later))
    [shop] = (await rig.deps.store.monitoring.figures()).shops
    assert shop.last_paid == later
