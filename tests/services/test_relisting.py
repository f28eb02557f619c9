"""Polling reads a trade in full again only when its state changed, not when ``modified`` moved."""

from __future__ import annotations

from bridge.core.states import LineState
from tests.rig import Rig, line

S = LineState


async def fullinfo_calls(rig: Rig) -> int:
    stats = await rig.get(f"{rig.sb.market_url}/sandbox/stats")
    return int(stats["calls"].get("taobao.trade.fullinfo.get", 0))


async def test_a_delivered_trade_relisted_after_our_own_writes_is_not_read_again(rig: Rig) -> None:
    """The write-back and a memo bump ``modified``; the next polls list the trade but skip its read."""
    cards = await rig.cards()
    tid = await rig.order(line(), message=cards[0])
    bad = await rig.order(line(), message="卡号 123")  # a red memo is written for this one
    await rig.cycle()
    assert [ln.state for ln in await rig.lines(tid)] == [S.DELIVERED]
    assert [ln.state for ln in await rig.lines(bad)] == [S.EXCEPTION]
    before = await fullinfo_calls(rig)
    for _ in range(2):
        rig.later(3)
        await rig.cycle()
    assert await fullinfo_calls(rig) == before


async def test_a_refund_on_a_delivered_trade_is_still_read_by_polling(rig: Rig) -> None:
    """A refund leaves the trade's status alone: the orders' refund status in the list shows it."""
    card = (await rig.cards())[1]
    tid = await rig.order(line(), message=card)
    await rig.cycle()
    oid = int((await rig.market_trade(tid))["lines"][0]["oid"])
    rig.later(3)
    await rig.cycle()  # re-listed after the write-back: skipped
    await rig.refund(tid, oid, "requested")
    assert (await rig.market_trade(tid))["status"] == "WAIT_BUYER_CONFIRM_GOODS"
    rig.later(3)
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert ln.state is S.REVERSAL_PENDING
