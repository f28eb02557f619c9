"""Reading the platform's answers into the bridge's trades, and refusing what cannot be read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.pinduoduo.wire import (
    DATA_INVALID,
    parse_list_page,
    parse_note_updated,
    parse_order,
    parse_server_time,
    parse_shipped,
    parse_virtual,
)
from bridge.core.errors import Permanent
from bridge.core.records import KnownTrade
from bridge.core.relisting import needs_read
from bridge.core.trades import OrderState, RefundState, Severity

from .helpers import T0, row

SN = "261207-100000000000001"


def _info(**changes: object) -> dict[str, object]:
    return {"order_info_get_response": {"order_info": row(SN, **changes)}}


def test_an_order_reads_as_a_trade_with_text_ids() -> None:
    """order_sn and sku_id are text; 商家编码 (outer_id) is the SKU code; yuan become fen."""
    trade = parse_order(SN, _info()).trade(None)
    assert (trade.tid, trade.state, trade.payment_fen, trade.modified) == (SN, OrderState.PAID, 5000, T0)
    (line,) = trade.lines
    assert (line.oid, line.sku_code, line.platform_sku_id) == ("1234567890", "RC-50", "1234567890")
    assert (line.price_fen, line.payment_fen, line.quantity, line.refund) == (5000, 5000, 1, RefundState.NONE)


def test_the_goods_code_stands_in_when_the_sku_has_none() -> None:
    """Without outer_id, outer_goods_id (the goods' 商家编码) is the SKU code."""
    item = {
        "sku_id": "77",
        "goods_name": "x",
        "goods_count": 1,
        "goods_price": "50.00",
        "outer_goods_id": "RC",
    }
    assert parse_order(SN, _info(item_list=[item])).trade(None).lines[0].sku_code == "RC"


def test_repeated_skus_get_distinct_line_ids_and_share_the_payment() -> None:
    """A SKU twice in one order: ``sku``, ``sku-2``; the paid amount split by price, none lost."""
    item = {"sku_id": 5, "goods_name": "x", "goods_count": 1, "goods_price": 10}
    trade = parse_order(
        SN, _info(item_list=[item, item, {**item, "goods_price": 20}], pay_amount=39.99)
    ).trade(None)
    assert [line.oid for line in trade.lines] == ["5", "5-2", "5-3"]
    assert [line.payment_fen for line in trade.lines] == [999, 999, 2001]


def test_a_listed_orders_refunds_come_by_oid_whatever_the_item_order() -> None:
    """Each line's refund state by oid, as the store keeps them: an unchanged order of several SKUs
    listed again is not read in full again."""
    item = {"goods_name": "x", "goods_count": 1, "goods_price": 10}
    skus = [{**item, "sku_id": sku} for sku in ("9", "10", "5")]
    summary = parse_order(SN, _info(item_list=skus, pay_amount=30)).summary()
    assert summary.refunds == (("10", RefundState.NONE), ("5", RefundState.NONE), ("9", RefundState.NONE))
    stored = tuple((oid, RefundState.NONE.value) for oid in ("10", "5", "9"))  # as known_versions reads them
    known = KnownTrade(OrderState.PAID.value, T0, T0 + timedelta(minutes=1), False, stored)
    assert not needs_read(known, summary)


def test_the_virtual_fields_become_the_customization_of_every_line() -> None:
    """The buyer's number and contact phone, labelled, are what the card rule reads."""
    virtual = {
        "order_virtual_information_response": {
            "phone_number_chosen_by_user": "8371000011112222",
            "contact_phone": "",
        }
    }
    text = parse_virtual(SN, virtual).customization()
    assert text == "选号卡号：8371000011112222"
    assert parse_order(SN, _info()).trade(text).lines[0].customization == text


def test_empty_virtual_fields_are_no_customization() -> None:
    """Nothing given is ``None``, not an empty string."""
    assert parse_virtual(SN, {"order_virtual_information_response": {}}).customization() is None


def test_note_and_tag_read_back_as_note_and_severity() -> None:
    """remark → note, remark_tag → severity (blue: a person's mark, ``None``)."""
    trade = parse_order(SN, _info(remark="已充值", remark_tag=3)).trade(None)
    assert (trade.note, trade.note_severity) == ("已充值", Severity.DONE)
    assert parse_order(SN, _info(remark_tag=4)).trade(None).note_severity is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pay_amount": 50.001}, "pay_amount"),
        ({"pay_amount": -1}, "pay_amount"),
        ({"order_sn": "261207 1"}, "order_sn"),
        ({"order_sn": "x" * 65}, "order_sn"),
        ({"updated_at": "2026/12/07"}, "updated_at"),
        ({"item_list": []}, "item_list"),
    ],
)
def test_malformed_answers_are_permanent_and_name_the_field(changes: dict[str, object], field: str) -> None:
    """A bad field is ``MARKETPLACE_DATA_INVALID`` naming the order and the field."""
    asked = str(changes.get("order_sn", SN))  # asked for the very order the answer names
    with pytest.raises(Permanent) as caught:
        parse_order(asked, _info(**changes))
    assert caught.value.code == DATA_INVALID and f"field {field}:" in caught.value.message
    assert "the answer is for" not in caught.value.message


def test_an_answer_for_another_order_is_refused() -> None:
    """The detail must be of the order asked for."""
    with pytest.raises(Permanent, match="the answer is for"):
        parse_order("261207-999", _info())


def test_a_bad_list_row_is_a_problem_not_the_end_of_the_page() -> None:
    """Readable rows are kept; the unreadable one is reported by name."""
    payload = {
        "order_sn_increment_get_response": {
            "total_count": 2,
            "order_sn_list": [row(SN), row("261207-2", pay_amount="x")],
        }
    }
    total, _, orders, problems = parse_list_page(payload)
    assert (total, [o.order_sn for o in orders]) == (2, [SN])
    assert len(problems) == 1 and "261207-2" in problems[0]


def test_small_answers_read_as_the_platform_writes_them() -> None:
    """Delivery's is_success, the note's success, the clock's text."""
    assert parse_shipped(SN, {"logistics_online_send_response": {"is_success": True}}) is True
    assert parse_note_updated(SN, {"response": {"success": False, "error_code": 1, "error_msg": "no"}}) == (
        False,
        "1 no",
    )
    assert parse_server_time({"time_get_response": {"time": "2026-12-07 12:00:00"}}) == T0
    with pytest.raises(Permanent):
        parse_server_time({"time_get_response": {"time": 1}})
