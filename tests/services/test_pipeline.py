"""The order bridge end to end through both sandboxes, one job pass at a time."""

from __future__ import annotations

import pytest

from bridge.core import request_ids
from bridge.core.states import LineState
from bridge.services.delivery import write_back_due
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from tests.rig import Rig, line

S = LineState


async def test_paid_order_is_credited_once_and_delivered(rig: Rig) -> None:
    """A paid 100-yuan card is credited to the buyer's card and the trade shows delivered."""
    card = (await rig.cards())[0]
    tid = await rig.order(line(), message=f"卡号{card}")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert ln.state is S.DELIVERED
    [op] = await rig.ledger(tid)
    assert (op["kind"], op["card_no"], op["amount_fen"]) == ("recharge", card, 10000)
    trade = await rig.market_trade(tid)
    assert trade["status"] == "WAIT_BUYER_CONFIRM_GOODS" and len(trade["deliveries"]) == 1


async def test_repeated_cycles_change_nothing(rig: Rig) -> None:
    """Polling the same trade again (overlap) applies nothing twice and ships once."""
    card = (await rig.cards())[1]
    tid = await rig.order(line(), message=card)
    for _ in range(3):
        await rig.cycle()
        rig.later(2)
    assert len(await rig.ledger(tid)) == 1
    assert len((await rig.market_trade(tid))["deliveries"]) == 1


async def test_big_recharge_is_split_at_the_cap(rig: Rig) -> None:
    """3 × 2000 yuan is 600000 fen: two operations (500000 + 100000), each with its own request_id."""
    card = (await rig.cards())[2]
    tid = await rig.order(line("TV-RC-2000", "2000.00", 3), message=card)
    await rig.cycle()
    ops = sorted(await rig.ledger(tid), key=lambda o: o["request_id"])
    assert [o["amount_fen"] for o in ops] == [500000, 100000]
    found = [request_ids.parse(o["request_id"]) for o in ops]
    assert [rid.part if rid else None for rid in found] == [0, 1]
    assert (await rig.lines(tid))[0].state is S.DELIVERED


async def test_channel_months_multiply_by_quantity(rig: Rig) -> None:
    card = (await rig.cards())[3]
    tid = await rig.order(line("TV-CH-FYZQ-3M", "6.00", 2), message=card)
    await rig.cycle()
    [op] = await rig.ledger(tid)
    assert (op["kind"], op["product_code"], op["months"]) == ("subscribe", "CH-FYZQ", 6)


async def test_card_delivery_sends_serial_and_pin_with_the_shipment(rig: Rig) -> None:
    """A card-delivery SKU needs no smart-card number; the issued codes go out with dummy.send."""
    tid = await rig.order(line("TV-CARD-0100", "100.00", 2), message="请发卡密")
    await rig.cycle()
    [op] = await rig.ledger(tid)
    assert (op["kind"], op["count"]) == ("issue_cards", 2)
    trade = await rig.market_trade(tid)
    oid = trade["lines"][0]["oid"]
    [delivery] = trade["deliveries"]
    assert delivery["feature"].startswith(f"identCode={oid}:")
    assert len(delivery["feature"].split(",")) == 2  # one serial:PIN per issued card


async def test_lost_answer_is_resolved_by_request_id(rig: Rig) -> None:
    """The billing core applies but the answer is lost: the bridge asks by request_id, never re-credits."""
    card = (await rig.cards())[4]
    rig.sb.billing.sandbox.set_knobs(lose_answer_rate=1.0)
    tid = await rig.order(line(), message=card)
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert ln.state is S.UNKNOWN
    rig.sb.billing.sandbox.set_knobs(lose_answer_rate=0.0)
    rig.later(5)
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert ln.state is S.DELIVERED
    assert len(await rig.ledger(tid)) == 1
    _, events = await rig.deps.store.views.trade_story((await rig.deps.store.views.find_trades(tid))[0])
    assert any(e.kind == "applied" and (e.detail or {}).get("how") == "reconciled" for e in events)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("没有卡号", "CARD_MISSING"),
        ("8371000000000001", "SUBSCRIBER_NOT_FOUND"),
        ("卡号 83710000", "CARD_WRONG_LENGTH"),
    ],
)
async def test_bad_card_goes_to_cs_with_one_red_memo(rig: Rig, message: str, reason: str) -> None:
    """An unprovisionable line is an EXCEPTION with its reason and one red seller memo."""
    tid = await rig.order(line(), message=message)
    await rig.cycle()
    rig.later(120)
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert (ln.state, ln.reason) == (S.EXCEPTION, reason)
    trade = await rig.market_trade(tid)
    assert trade["flag"] == 1 and "[自动发货]" in trade["memo"]
    assert len(trade["memo_history"]) == 1
    assert trade["status"] == "WAIT_SELLER_SEND_GOODS" and await rig.ledger(tid) == []


async def test_refund_before_provisioning_holds_then_cancels(rig: Rig) -> None:
    """A refund request stops provisioning; the completed refund cancels the line; nothing is credited."""
    card = (await rig.cards())[5]
    tid = await rig.order(line(), message=card)
    oid = int((await rig.market_trade(tid))["lines"][0]["oid"])
    await rig.refund(tid, oid, "requested")
    await rig.cycle()
    assert (await rig.lines(tid))[0].state is S.HELD
    await rig.refund(tid, oid, "success")
    rig.later(2)
    await rig.cycle()
    assert (await rig.lines(tid))[0].state is S.CANCELLED
    assert await rig.ledger(tid) == []


async def test_withdrawn_refund_resumes_provisioning(rig: Rig) -> None:
    card = (await rig.cards())[6]
    tid = await rig.order(line(), message=card)
    oid = int((await rig.market_trade(tid))["lines"][0]["oid"])
    await rig.refund(tid, oid, "requested")
    await rig.cycle()
    await rig.refund(tid, oid, "closed")
    rig.later(2)
    await rig.cycle()
    await rig.cycle()
    assert (await rig.lines(tid))[0].state is S.DELIVERED
    assert len(await rig.ledger(tid)) == 1


async def test_refund_after_delivery_goes_to_cs(rig: Rig) -> None:
    """A refund after provisioning goes to CS (REVERSAL_PENDING, yellow memo); nothing is reversed."""
    card = (await rig.cards())[7]
    tid = await rig.order(line(), message=card)
    await rig.cycle()
    oid = int((await rig.market_trade(tid))["lines"][0]["oid"])
    await rig.refund(tid, oid, "requested")
    rig.later(2)
    await rig.cycle()
    rig.later(60)
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert ln.state is S.REVERSAL_PENDING
    assert (await rig.market_trade(tid))["flag"] == 2
    assert [op["status"] for op in await rig.ledger(tid)] == ["applied"]


async def test_already_shipped_counts_as_delivered(rig: Rig) -> None:
    """If the trade was shipped by someone else first, the write-back records it delivered without error."""
    card = (await rig.cards())[8]
    tid = await rig.order(line(), message=card)
    await poll_all(rig.deps)
    await fulfil_due(rig.deps)
    await rig.deps.shops["main"].deliver(tid)  # shipped by hand between provisioning and write-back
    await write_back_due(rig.deps)
    [ln] = await rig.lines(tid)
    assert ln.state is S.DELIVERED
    assert len((await rig.market_trade(tid))["deliveries"]) == 1


async def test_maintenance_pauses_without_exceptions_or_attempts(rig: Rig) -> None:
    """While the billing core is closed lines wait (breaker open), no attempt is counted, work resumes."""
    card = (await rig.cards())[9]
    rig.sb.billing.sandbox.set_knobs(maintenance=True, maintenance_retry_after_s=30)
    tid = await rig.order(line(), message=card)
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert (ln.state, ln.attempts) == (S.READY, 0)
    assert rig.deps.runtime.breaker.is_open(rig.deps.clock())
    rig.sb.billing.sandbox.set_knobs(maintenance=False)
    rig.later(31)
    await rig.cycle()
    assert (await rig.lines(tid))[0].state is S.DELIVERED


async def test_multi_line_trade_ships_once_when_all_lines_applied(rig: Rig) -> None:
    card = (await rig.cards())[10]
    tid = await rig.order(line(), line("TV-CH-FYZQ-1M", "2.00"), line("TV-RC-0050", "50.00", 2), message=card)
    await rig.cycle()
    assert {ln.state for ln in await rig.lines(tid)} == {S.DELIVERED}
    assert len(await rig.ledger(tid)) == 3
    assert len((await rig.market_trade(tid))["deliveries"]) == 1


async def test_watermark_stops_at_the_poll_start(rig: Rig) -> None:
    before = rig.deps.clock()
    await rig.cycle()
    watermark = await rig.deps.store.intake.watermark("main")
    assert watermark is not None and before <= watermark <= rig.deps.clock()
