"""``TaobaoClient`` against the sandbox over real HTTP on a free port."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from adapters.taobao import TaobaoClient, truncate_utf8
from adapters.taobao.sandbox import TaobaoSandbox
from bridge.core.errors import Permanent
from bridge.core.models import CST
from bridge.core.trades import DeliveryOutcome, OrderState, Severity
from bridge.services.listing import list_window

from .helpers import OffsetClock, Shopper

MakeClient = Callable[..., TaobaoClient]


def _window(clock: OffsetClock, before_s: float = 3600, after_s: float = 0) -> tuple[datetime, datetime]:
    now = clock()
    return now - timedelta(seconds=before_s), now + timedelta(seconds=after_s)


async def test_list_reads_every_page_backwards(
    make_client: MakeClient, shopper: Shopper, sandbox: TaobaoSandbox, clock: OffsetClock
) -> None:
    """10 trades at page_size 3: a count call then pages 4,3,2,1, twice (the second pass, finding
    nothing new, confirms the first); each tid once, oldest first."""
    tids = [str((await shopper.place())["tid"]) for _ in range(10)]
    clock.advance(2)
    summaries = await list_window(make_client(page_size=3), *_window(clock))
    assert sorted(s.tid for s in summaries) == sorted(tids)
    assert [s.modified for s in summaries] == sorted(s.modified for s in summaries)
    assert sandbox.stats.calls["taobao.trades.sold.increment.get"] == 10


async def test_list_survives_shifting_pages(
    make_client: MakeClient, shopper: Shopper, sandbox: TaobaoSandbox, clock: OffsetClock
) -> None:
    """With trades modified between page calls, backward paging still sees every trade."""
    tids = [str((await shopper.place())["tid"]) for _ in range(10)]
    start, end = _window(clock)
    clock.advance(2)  # bumps now land after the window's end, as in a real poll
    sandbox.update_knobs(shift_pages=True)
    summaries = await list_window(make_client(page_size=3), start, end)
    assert sorted(s.tid for s in summaries) == sorted(tids)
    assert sandbox.stats.pages_shifted >= 4


async def test_list_of_an_empty_window_is_one_call(make_client: MakeClient, sandbox: TaobaoSandbox) -> None:
    """Nothing modified: the count call says 0 and no page is read."""
    now = datetime.now(CST)
    assert await list_window(make_client(), now - timedelta(hours=2), now - timedelta(hours=1)) == []
    assert sandbox.stats.calls["taobao.trades.sold.increment.get"] == 1


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [
        (datetime(2024, 5, 1, tzinfo=CST), datetime(2024, 5, 2, 0, 0, 1, tzinfo=CST), "longer than one day"),
        (datetime(2024, 5, 2, tzinfo=CST), datetime(2024, 5, 1, tzinfo=CST), "before it starts"),
        (datetime(2024, 5, 1), datetime(2024, 5, 1, 1), "timezone-aware"),
    ],
)
async def test_bad_windows_are_rejected_before_any_call(
    client: TaobaoClient, sandbox: TaobaoSandbox, start: datetime, end: datetime, why: str
) -> None:
    """Windows over one day, reversed or naive raise ValueError and call nothing."""
    with pytest.raises(ValueError, match=why):
        await list_window(client, start, end)
    assert sum(sandbox.stats.calls.values()) == 0


async def test_get_trade_reads_every_field_the_bridge_needs(client: TaobaoClient, shopper: Shopper) -> None:
    """fullinfo gives message, lines, SKUs, money, customization and big ids exactly."""
    placed = await shopper.place(lines=2, buyer_message="请充值到 8888000011112222")
    await shopper.pay(placed["tid"])
    await client.annotate(str(placed["tid"]), "已读", Severity.WATCH)
    trade = await client.get_trade(str(placed["tid"]))
    assert trade.tid == str(placed["tid"])
    assert [line.oid for line in trade.lines] == [str(o) for o in placed["oids"]]
    assert (trade.state, trade.platform_status) == (OrderState.PAID, "WAIT_SELLER_SEND_GOODS")
    assert trade.buyer_message == "请充值到 8888000011112222"
    assert (trade.note, trade.note_severity) == ("已读", Severity.WATCH)
    assert trade.payment_fen == 30000 and trade.paid_at is not None
    assert [(x.sku_code, x.quantity, x.price_fen, x.payment_fen) for x in trade.lines] == [
        ("RC-0050", 3, 5000, 15000),
        ("RC-0051", 3, 5000, 15000),
    ]


async def test_get_unknown_trade_is_permanent(client: TaobaoClient) -> None:
    """A tid the shop does not have is a Permanent ``isv.trade-not-exist``."""
    with pytest.raises(Permanent) as caught:
        await client.get_trade("1234567890123456789")
    assert caught.value.code == "isv.trade-not-exist"


async def test_deliver_then_deliver_again(client: TaobaoClient, shopper: Shopper) -> None:
    """The first dummy.send ships; the second answers B27 and counts as already shipped."""
    placed = await shopper.paid_trade()
    assert await client.deliver(str(placed["tid"])) is DeliveryOutcome.SHIPPED
    assert await client.deliver(str(placed["tid"])) is DeliveryOutcome.ALREADY_SHIPPED
    seen = await shopper.inspect(placed["tid"])
    assert seen["status"] == "WAIT_BUYER_CONFIRM_GOODS" and seen["consigned_at"]
    assert (len(seen["deliveries"]), seen["dummy_send_calls"]) == (1, 2)


async def test_deliver_with_card_serials_sends_ident_codes(client: TaobaoClient, shopper: Shopper) -> None:
    """Codes per oid travel as ``feature=identCode=<oid>:<code>,<code>``; ``serial:PIN`` is kept whole."""
    placed = await shopper.paid_trade()
    oid = placed["oids"][0]
    await client.deliver(str(placed["tid"]), {str(oid): ["SN0001:4821", "SN0002:9377"]})
    seen = await shopper.inspect(placed["tid"])
    assert seen["deliveries"][0]["feature"] == f"identCode={oid}:SN0001:4821,SN0002:9377"


@pytest.mark.parametrize("code", ["A|B", "A,B", "A;B", "A B", ""])
async def test_bad_card_serial_is_refused_locally(
    client: TaobaoClient, sandbox: TaobaoSandbox, code: str
) -> None:
    """A code holding a feature separator is Permanent before any call, and not echoed."""
    with pytest.raises(Permanent) as caught:
        await client.deliver("1", {"2": ["SN0001:1111", code]})
    assert caught.value.code == "TAOBAO_DELIVERY_CODE_INVALID" and "1111" not in str(caught.value)
    assert sum(sandbox.stats.calls.values()) == 0


async def test_delivering_unpaid_or_closed_trades_is_permanent(
    client: TaobaoClient, shopper: Shopper
) -> None:
    """B04 is re-checked: an unpaid or refunded-and-closed trade is not "already shipped"."""
    unpaid = await shopper.place()
    closed = await shopper.paid_trade()
    await shopper.request(
        "POST", f"/sandbox/trades/{closed['tid']}/refund", {"oid": closed["oids"][0], "outcome": "success"}
    )
    for tid, status in ((unpaid["tid"], "WAIT_BUYER_PAY"), (closed["tid"], "TRADE_CLOSED")):
        with pytest.raises(Permanent, match=status) as caught:
            await client.deliver(str(tid))
        assert caught.value.code == "isv.logistics-dummy-service-error:B04"


async def test_delivering_an_unknown_trade_is_b01(client: TaobaoClient) -> None:
    """An unknown tid is Permanent B01."""
    with pytest.raises(Permanent) as caught:
        await client.deliver("1234567890123456789")
    assert caught.value.code == "isv.logistics-dummy-service-error:B01"


async def test_memo_is_cut_to_1000_utf8_bytes(client: TaobaoClient, shopper: Shopper) -> None:
    """A 1201-byte memo arrives as its longest whole-character prefix within 1000 bytes."""
    placed = await shopper.paid_trade()
    await client.annotate(str(placed["tid"]), "a" + "已" * 400, Severity.ACT)
    seen = await shopper.inspect(placed["tid"])
    assert seen["memo"] == "a" + "已" * 333
    assert seen["flag"] == 1
    assert seen["memo_history"][-1]["memo"] == seen["memo"]


async def test_empty_memo_clears_it(client: TaobaoClient, shopper: Shopper) -> None:
    """An empty memo resets it (memo.update would otherwise keep the old one)."""
    placed = await shopper.paid_trade()
    await client.annotate(str(placed["tid"]), "note", Severity.DONE)
    await client.annotate(str(placed["tid"]), "", Severity.NONE)
    seen = await shopper.inspect(placed["tid"])
    assert (seen["memo"], seen["flag"]) == (None, 0)


async def test_a_persons_flag_is_sent_back_as_it_is(
    client: TaobaoClient, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    """No severity: the memo is written and the flag a person set (blue) sent back unchanged, not
    left out (memo.update documents a left-out flag as grey)."""
    placed = await shopper.paid_trade()
    sandbox.book.update_memo(sandbox.book.get(placed["tid"]), "客服备注", 4, reset=False)
    await client.annotate(str(placed["tid"]), "客服备注\n[自动发货]…", None)
    seen = await shopper.inspect(placed["tid"])
    assert (seen["memo"], seen["flag"]) == ("客服备注\n[自动发货]…", 4)
    assert seen["memo_history"][-1]["flag"] == 4


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("abc", 2, "ab"), ("已已", 5, "已"), ("已已", 6, "已已"), ("a已", 3, "a"), ("", 10, "")],
)
def test_truncate_utf8(text: str, limit: int, expected: str) -> None:
    """Never more than ``limit`` bytes, never half a character."""
    assert truncate_utf8(text, limit) == expected


async def test_server_time_is_gmt8_now(client: TaobaoClient) -> None:
    """``taobao.time.get`` is the sandbox clock, aware, GMT+8."""
    server = await client.server_time()
    assert server.utcoffset() == timedelta(hours=8)
    assert abs(server - datetime.now(CST)) < timedelta(seconds=5)


async def test_visibility_delay_hides_changes_from_the_list_only(
    make_client: MakeClient, shopper: Shopper, sandbox: TaobaoSandbox, clock: OffsetClock
) -> None:
    """A change shows in increment.get only after the delay; fullinfo sees it at once."""
    sandbox.update_knobs(visibility_delay_s=5)
    client = make_client()
    placed = await shopper.place()
    assert await list_window(client, *_window(clock, after_s=60)) == []
    clock.advance(6)
    await shopper.pay(placed["tid"])
    (listed,) = await list_window(client, *_window(clock, after_s=60))
    assert listed.state is OrderState.UNPAID
    assert (await client.get_trade(str(placed["tid"]))).state is OrderState.PAID
    clock.advance(6)
    (listed,) = await list_window(client, *_window(clock, after_s=60))
    assert listed.state is OrderState.PAID
