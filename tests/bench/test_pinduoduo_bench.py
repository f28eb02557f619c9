"""The bench's Pinduoduo shop: orders as a Pinduoduo buyer places them, and the verdict on its records."""

from __future__ import annotations

from typing import Any

from bench.pinduoduo import deliverable, order_body, stream
from bench.pinduoduo_verify import verify_pdd_run
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.lab.sandboxes import DEMO_MAPPINGS
from bridge.lab.scenario import OrderMaker, PlannedLine, PlannedOrder, Subscribers
from bridge.services.mappings import load_mapping_set
from bridge.wiring import mapping_files

CARD = "8376000000000001"
PAID, LATER = "2026-12-07T10:00:00+08:00", "2026-12-07T10:00:31+08:00"


def _line(expect: str | None = None, **kw: Any) -> PlannedLine:
    fields: dict[str, Any] = dict(
        outer_sku_id="TV-RC-0100", title="100元充值卡", price_fen=10000, quantity=1, payment_fen=10000
    )
    fields.update({"card_no": CARD, "credit_fen": 0 if expect else 10000, **kw})
    return PlannedLine(**fields, expect_reason=expect)


def _order(*lines: PlannedLine, tid: str = "261207-100000000000001") -> PlannedOrder:
    return PlannedOrder("topup", "tb1", f"卡号{CARD}", list(lines), tid, [f"9{n}" for n in range(len(lines))])


def _record(tid: str, oid: str, state: LineState) -> LineRecord:
    return LineRecord(1, 1, "pdd", tid, oid, "TV-RC-0100", "t", 1, 10000, 10000, "NONE", state, 0)


def _recharge(tid: str, oid: str, fen: int = 10000) -> dict[str, Any]:
    return {"request_id": f"pdd:{tid}:{oid}:0", "kind": "recharge", "amount_fen": fen, "card_no": CARD}


def _delivered(tid: str, times: int = 1) -> dict[str, Any]:
    return {"order_sn": tid, "pay_time": PAID, "deliveries": [{"at": LATER}] * times}


def test_the_card_travels_in_the_recharge_account_at_the_paid_price() -> None:
    """A line's unit price is what was paid for it (an amount mismatch shows as a lower price), and
    the card is the virtual order's recharge account, not a buyer's memo."""
    body = order_body(_order(_line(quantity=2, payment_fen=20000), _line(payment_fen=9900)))
    assert body == {
        "items": [
            {"outer_id": "TV-RC-0100", "goods_name": "100元充值卡", "price": "100.00", "quantity": 2},
            {"outer_id": "TV-RC-0100", "goods_name": "100元充值卡", "price": "99.00", "quantity": 1},
        ],
        "recharge_account": CARD,
    }


def test_an_order_without_a_card_keeps_the_buyers_words() -> None:
    """With no card anywhere, the buyer's message goes in the memo (the bridge finds no card there)."""
    order = _order(_line("CARD_MISSING", card_no=None))
    order.buyer_message = "请尽快充值，谢谢"
    assert order_body(order)["recharge_account"] is None
    assert order_body(order)["buyer_memo"] == "请尽快充值，谢谢"


def test_the_stream_leaves_out_orders_that_deliver_card_codes() -> None:
    """Pinduoduo's delivery carries no codes: the stream skips card-code orders and keeps the rest."""
    subs = Subscribers([f"83760000000000{n:02d}" for n in range(20)], [CARD[:-1] + "9"], [CARD[:-1] + "8"])
    maker = OrderMaker(load_mapping_set(mapping_files(DEMO_MAPPINGS)), subs, 7)
    orders = stream(maker, 60)
    assert len(orders) == 60 and all(deliverable(o) for o in orders)
    assert {o.kind for o in orders} >= {"topup", "multi_line", "unknown_card", "no_card"}
    assert "card_delivery" not in {o.kind for o in orders}


def test_a_good_line_delivered_and_credited_once_is_clean() -> None:
    """Delivered once, credited exactly its amount: no duplicate, nothing lost, its latency counted."""
    order = _order(_line())
    tid = order.tid or ""
    report = verify_pdd_run([order], {tid: _delivered(tid)}, [_recharge(tid, "90")], [], "pdd")
    assert (report["duplicates"], report["lost"]) == (0, 0)
    assert report["latency_ms"]["p99"] == 31000.0


def test_a_second_delivery_or_a_second_credit_is_a_duplicate() -> None:
    """An order delivered twice, or a line credited beyond what was paid, counts as a duplicate."""
    order = _order(_line())
    tid = order.tid or ""
    twice = verify_pdd_run([order], {tid: _delivered(tid, 2)}, [_recharge(tid, "90")], [], "pdd")
    credited_twice = [_recharge(tid, "90"), {**_recharge(tid, "90"), "request_id": f"pdd:{tid}:90:1"}]
    over = verify_pdd_run([order], {tid: _delivered(tid)}, credited_twice, [], "pdd")
    assert (twice["duplicates"], over["duplicates"]) == (1, 1)


def test_a_good_line_undelivered_or_uncredited_is_lost() -> None:
    """Credited but not delivered, or delivered without its credit: lost."""
    order = _order(_line())
    tid = order.tid or ""
    undelivered = verify_pdd_run([order], {tid: {"order_sn": tid}}, [_recharge(tid, "90")], [], "pdd")
    uncredited = verify_pdd_run([order], {tid: _delivered(tid)}, [], [], "pdd")
    assert (undelivered["lost"], uncredited["lost"]) == (1, 1)


def test_a_bad_line_must_rest_with_a_person_and_never_be_applied() -> None:
    """A bad line not in EXCEPTION is lost; one that was applied anyway is a duplicate."""
    order = _order(_line("SUBSCRIBER_NOT_FOUND"))
    tid = order.tid or ""
    waiting = verify_pdd_run([order], {}, [], [_record(tid, "90", LineState.READY)], "pdd")
    applied = verify_pdd_run(
        [order], {}, [_recharge(tid, "90")], [_record(tid, "90", LineState.EXCEPTION)], "pdd"
    )
    assert (waiting["lost"], waiting["duplicates"]) == (1, 0)
    assert (applied["lost"], applied["duplicates"]) == (0, 1)


def test_another_shops_operations_are_not_counted() -> None:
    """The ledger's operations of another shop neither credit nor duplicate this shop's lines."""
    order = _order(_line())
    tid = order.tid or ""
    other = {**_recharge(tid, "90"), "request_id": f"main:{tid}:90:0"}
    report = verify_pdd_run([order], {tid: _delivered(tid)}, [_recharge(tid, "90"), other], [], "pdd")
    assert (report["duplicates"], report["lost"]) == (0, 0)
