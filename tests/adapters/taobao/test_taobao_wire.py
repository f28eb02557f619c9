"""Wire parsing: both envelope shapes, ids as numbers or strings, and malformed data named."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from adapters.taobao.wire import (
    DATA_INVALID,
    parse_list_page,
    parse_shipping,
    parse_time,
    parse_trade,
    unwrap,
)
from bridge.core.errors import Permanent
from bridge.core.models import CST
from bridge.core.trades import OrderState, Severity

BIG_TID = 2**53 + 1  # 9007199254740993: a float would read it as ...992


def _order(**changes: Any) -> dict[str, Any]:
    order = {
        "oid": 289749893210214687,
        "oid_str": "289749893210214687",
        "sku_id": "5012345678",
        "outer_sku_id": "RC-0050",
        "title": "数字电视缴费卡 50元",
        "num": 3,
        "price": "50.00",
        "payment": "150.00",
        "status": "WAIT_SELLER_SEND_GOODS",
        "refund_status": "NO_REFUND",
        "customization": "8888000011112222",
    }
    order.update(changes)
    return order


def _trade(*, simplify: bool = True, **changes: Any) -> dict[str, Any]:
    orders = [_order()]
    trade = {
        "tid": BIG_TID,
        "tid_str": str(BIG_TID),
        "status": "WAIT_SELLER_SEND_GOODS",
        "type": "fixed",
        "buyer_nick": "t**1",
        "created": "2024-05-01 11:40:00",
        "modified": "2024-05-01 11:45:10",
        "pay_time": "2024-05-01 11:41:00",
        "payment": "150.00",
        "buyer_message": "卡号 8888000011112222",
        "seller_memo": "CS: checked",
        "seller_flag": 3,
        "orders": orders if simplify else {"order": orders},
    }
    trade.update(changes)
    return trade


@pytest.mark.parametrize("simplify", [True, False])
def test_fullinfo_both_shapes_give_the_same_trade(simplify: bool) -> None:
    """``orders`` as a list or as ``{"order": [...]}`` parse alike, money in fen, times GMT+8."""
    trade = parse_trade({"trade": _trade(simplify=simplify)})
    assert trade.tid == str(BIG_TID)
    assert trade.payment_fen == 15000
    assert trade.modified == datetime(2024, 5, 1, 11, 45, 10, tzinfo=CST)
    assert trade.paid_at == datetime(2024, 5, 1, 11, 41, tzinfo=CST)
    assert (trade.buyer_message, trade.note, trade.note_severity) == (
        "卡号 8888000011112222",
        "CS: checked",
        Severity.DONE,
    )
    (line,) = trade.lines
    assert (line.oid, line.sku_code, line.quantity) == ("289749893210214687", "RC-0050", 3)
    assert (line.price_fen, line.payment_fen, line.customization) == (5000, 15000, "8888000011112222")


def test_string_ids_are_read_exactly() -> None:
    """Ids sent as strings (PHP-style big ints) parse to the same int."""
    raw = _trade(tid=str(BIG_TID), orders=[_order(oid="289749893210214687", oid_str=None, sku_id=123)])
    del raw["tid_str"]
    trade = parse_trade({"trade": raw})
    assert trade.tid == str(BIG_TID)
    assert trade.lines[0].oid == "289749893210214687"
    assert trade.lines[0].platform_sku_id == "123"


def test_tid_str_wins_over_a_lossy_number() -> None:
    """When a decoder already rounded ``tid``, ``tid_str``/``oid_str`` still give the true id."""
    raw = _trade(tid=float(BIG_TID), orders=[_order(oid=1.0, oid_str="289749893210214687")])
    trade = parse_trade({"trade": raw})
    assert trade.tid == str(BIG_TID)
    assert trade.lines[0].oid == "289749893210214687"


def test_absent_optional_fields_become_none() -> None:
    """An unpaid trade without message, memo or flag parses with defaults."""
    raw = _trade()
    for key in ("pay_time", "buyer_message", "seller_memo", "seller_flag"):
        del raw[key]
    trade = parse_trade({"trade": raw})
    assert (trade.paid_at, trade.buyer_message, trade.note, trade.note_severity) == (
        None,
        None,
        None,
        Severity.NONE,
    )


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("modified",), None, "modified"),
        (("modified",), "2024-05-01T11:45:10", "modified"),
        (("payment",), "150.0.0", "payment"),
        (("payment",), 150.0, "payment"),
        (("status",), None, "status"),
        (("orders",), [], "orders"),
        (("orders", 0, "payment"), "abc", "orders.0.payment"),
        (("orders", 0, "num"), 0, "orders.0.num"),
        (("orders", 0, "title"), None, "orders.0.title"),
    ],
)
def test_malformed_trade_is_permanent_naming_tid_and_field(
    path: tuple[Any, ...], value: Any, field: str
) -> None:
    """Missing or wrong data raises ``Permanent(MARKETPLACE_DATA_INVALID)`` naming the tid and field."""
    raw = copy.deepcopy(_trade())
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(Permanent) as caught:
        parse_trade({"trade": raw})
    assert caught.value.code == DATA_INVALID
    assert str(BIG_TID) in caught.value.message
    assert f"field {field}" in caught.value.message


@pytest.mark.parametrize("bad_tid", [-5, 0, True, "12ab", 1.5e18])
def test_bad_ids_are_refused(bad_tid: object) -> None:
    """Negative, zero, boolean, non-digit and float ids are data errors."""
    raw = _trade(tid=bad_tid)
    del raw["tid_str"]
    with pytest.raises(Permanent, match="field tid"):
        parse_trade({"trade": raw})


def test_missing_trade_object_is_named() -> None:
    """A fullinfo answer without ``trade`` is a data error."""
    with pytest.raises(Permanent, match="field trade"):
        parse_trade({})


@pytest.mark.parametrize("simplify", [True, False])
def test_list_page_both_shapes(simplify: bool) -> None:
    """``trades`` as a list or ``{"trade": [...]}``, ids as number or string."""
    items = [
        {"tid": BIG_TID, "status": "WAIT_BUYER_PAY", "modified": "2024-05-01 11:45:10"},
        {"tid": "1000000000000001", "status": "TRADE_CLOSED", "modified": "2024-05-01 11:40:00"},
    ]
    page = parse_list_page({"total_results": 2, "trades": items if simplify else {"trade": items}})
    assert page.total_results == 2
    assert [s.tid for s in page.trades] == [str(BIG_TID), "1000000000000001"]
    assert page.trades[1].modified == datetime(2024, 5, 1, 11, 40, tzinfo=CST)


def test_empty_list_page_without_trades_key() -> None:
    """The gateway leaves ``trades`` out when nothing matched."""
    page = parse_list_page({"total_results": 0, "has_next": False})
    assert (page.total_results, page.has_next, page.trades) == (0, False, [])


def test_malformed_list_item_names_its_tid_and_is_kept_for_a_full_read() -> None:
    """A bad row is reported naming the trade and the field, and listed with an unknown state."""
    page = parse_list_page({"trades": [{"tid": 1000000000000001, "status": "X", "modified": "soon"}]})
    assert [(s.tid, s.state) for s in page.trades] == [("1000000000000001", OrderState.OTHER)]
    assert "trade 1000000000000001: field modified" in page.problems[0]


def test_list_item_without_a_readable_tid_is_reported_and_skipped() -> None:
    page = parse_list_page(
        {"trades": [{"tid": "12ab", "status": 7}, {"tid": 5, "status": "X", "modified": "x"}]}
    )
    assert [s.tid for s in page.trades] == ["5"]
    assert "trade 12ab" in page.problems[0]


def test_unwrap_accepts_both_envelopes() -> None:
    """With or without ``<method>_response`` the payload is the same."""
    inner = {"time": "2024-05-01 12:00:00", "request_id": "x"}
    assert unwrap("taobao.time.get", {"time_get_response": inner}) == inner
    assert unwrap("taobao.time.get", inner) == inner
    with pytest.raises(Permanent):
        unwrap("taobao.time.get", ["not", "an", "object"])


def test_time_and_shipping_payloads() -> None:
    """``time.get`` and ``dummy.send`` answers parse, and a bad one is named."""
    assert parse_time({"time": "2024-05-01 12:00:00"}) == datetime(2024, 5, 1, 12, tzinfo=CST)
    assert parse_shipping("7", {"shipping": {"is_success": True}}) is True
    with pytest.raises(Permanent, match=r"trade 7: field shipping\.is_success"):
        parse_shipping("7", {"shipping": {}})
    with pytest.raises(Permanent, match="field time"):
        parse_time({})
