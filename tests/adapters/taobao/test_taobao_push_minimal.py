"""Messages as bare as the documentation allows still read as "read this trade again".

Each topic's content below holds only the fields its documentation does not
mark optional (docs/storefronts/taobao-push.md), and each message only
``id``, ``topic`` and ``content``: no ``user_nick``, ``user_id``,
``pub_time`` or ``pub_app_key``. The bridge needs the trade's id alone; the
rest may be missing without a message becoming unreadable.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from adapters.taobao.messages import parse_consumed, parse_message
from bridge.core.models import CST
from bridge.core.records import KnownTrade
from bridge.core.relisting import read_since

TID = 2**53 + 101
OID = 2**53 + 202
SELLER = "sandbox_c_1"
_TRADE = {"buyer_nick": "tb_buyer", "seller_nick": SELLER, "tid": TID, "type": "fixed"}
_REFUND = {
    "bill_type": "refund_bill",
    "buyer_nick": "tb_buyer",
    "refund_fee": "150.00",
    "refund_id": 2**54 + 1,
    "refund_phase": "onsale",
    "seller_nick": SELLER,
    "tid": TID,
}
_REFUND_TOPICS = [
    "RefundSuccess",
    "RefundClosed",
    "RefundSellerAgreeAgreement",
    "RefundSellerRefuseAgreement",
    "RefundBuyerModifyAgreement",
    "RefundBuyerReturnGoods",
]
BARE: dict[str, dict[str, object]] = {
    "taobao_trade_TradeBuyerPay": {**_TRADE, "oid": OID, "fenxiao_id": 0},
    "taobao_trade_TradeChanged": {**_TRADE, "oid": OID},
    "taobao_trade_TradeSuccess": {**_TRADE, "oid": OID},
    "taobao_trade_TradeSellerShip": _TRADE,
    "taobao_trade_TradeClose": {**_TRADE, "num_iid": 500_000_000_001},
    "taobao_trade_TradePartlyRefund": {**_TRADE, "oid": OID},
    "taobao_trade_TradeMemoModified": {**_TRADE, "oid": OID, "action_type": "modify"},
    "taobao_trade_TradeCloseAndModifyDetailOrder": {"buyer_nick": "tb_buyer", "tid": TID},
    "taobao_refund_RefundCreated": {k: _REFUND[k] for k in _REFUND.keys() - {"bill_type", "refund_phase"}},
    **{f"taobao_refund_{name}": _REFUND for name in _REFUND_TOPICS},
}
"""Each topic's content with only the fields its documentation does not mark optional."""


def _bare_message(message_id: int, topic: str, content: dict[str, object]) -> dict[str, object]:
    return {"id": message_id, "topic": topic, "content": json.dumps(content)}


def _read_just_now() -> KnownTrade:
    now = datetime.now(CST)
    return KnownTrade("WAIT_SELLER_SEND_GOODS", now - timedelta(minutes=1), now, False, ())


@pytest.mark.parametrize("topic", sorted(BARE))
def test_a_bare_message_names_its_trade_and_is_read_again(topic: str) -> None:
    """The trade's id comes through; with no publication time even a fresh stored read is read again."""
    message = parse_message(_bare_message(7, topic, BARE[topic]))
    assert (message.message_id, message.topic, message.tid) == ("7", topic, str(TID))
    assert message.published is None
    oid = BARE[topic].get("oid")
    assert message.oid == (None if oid is None else str(oid))
    assert not read_since(_read_just_now(), message.published)


@pytest.mark.parametrize("topic", sorted(BARE))
def test_the_seller_comes_from_the_content_when_the_message_names_none(topic: str) -> None:
    """No ``user_nick``: the content's ``seller_nick`` says whose trade it is, where the topic has one."""
    message = parse_message(_bare_message(7, topic, BARE[topic]))
    assert message.shop_account == BARE[topic].get("seller_nick")


def test_a_message_carrying_the_trade_id_alone_is_read() -> None:
    """Not even the fields the documentation calls required: the tid is enough."""
    message = parse_message(_bare_message(8, "taobao_trade_TradeChanged", {"tid": str(TID)}))
    assert (message.tid, message.oid, message.refund_id, message.shop_account) == (str(TID), None, None, None)


def test_a_batch_of_bare_messages_has_nothing_unreadable() -> None:
    """Every bare message of every topic arrives readable in one consume answer."""
    items = [_bare_message(i + 1, topic, content) for i, (topic, content) in enumerate(BARE.items())]
    batch = parse_consumed({"messages": {"tmc_message": items}})
    assert batch.unreadable == ()
    assert {m.tid for m in batch.messages} == {str(TID)}
    assert len(batch.messages) == len(BARE)
