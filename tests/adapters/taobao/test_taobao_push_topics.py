"""The sandbox's message service against the documented topics (docs/storefronts/taobao-push.md).

Refund topics carry the refund's amount as yuan text, its bill type and its
phase; the trade-close topic names the item (``num_iid``); consuming a group
the app has not set up is refused, while ``default`` always may be consumed.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from adapters.taobao import TaobaoClient
from adapters.taobao.sandbox import NewLine, RunningSandbox, TaobaoSandbox
from adapters.taobao.sandbox.statuses import TradeStatus
from bridge.core.errors import Permanent

from .helpers import Shopper, raw_call

_CONSUME = "taobao.tmc.messages.consume"


async def _consume(http: aiohttp.ClientSession, running: RunningSandbox, **params: str) -> dict[str, Any]:
    return await raw_call(http, running.router_url, {"method": _CONSUME, **params})


async def _contents(http: aiohttp.ClientSession, running: RunningSandbox) -> dict[str, dict[str, Any]]:
    """Each consumed message's content as it travels (a JSON text), by topic."""
    answer = await _consume(http, running, quantity="100")
    messages = answer["tmc_messages_consume_response"]["messages"]["tmc_message"]
    return {m["topic"]: json.loads(m["content"]) for m in messages}


async def _refund(shopper: Shopper, tid: int, oid: int, outcome: str) -> None:
    body = {"oid": oid, "outcome": outcome}
    status, data = await shopper.request("POST", f"/sandbox/trades/{tid}/refund", body)
    assert status == 200, data


@pytest.mark.parametrize("outcome", ["requested", "success", "closed"])
async def test_a_refund_topic_carries_its_amount_bill_type_and_phase(
    http: aiohttp.ClientSession, running: RunningSandbox, shopper: Shopper, outcome: str
) -> None:
    """Created, success and closed: refund_fee in yuan (two decimals), a refund bill, on sale."""
    placed = await shopper.paid_trade()  # one line: 3 × 50.00
    tid, oid = placed["tid"], placed["oids"][0]
    await _refund(shopper, tid, oid, outcome)
    topic = {
        "requested": "taobao_refund_RefundCreated",
        "success": "taobao_refund_RefundSuccess",
        "closed": "taobao_refund_RefundClosed",
    }[outcome]
    content = (await _contents(http, running))[topic]
    assert (content["tid"], content["oid"]) == (tid, oid)
    assert isinstance(content["refund_id"], int)
    assert (content["refund_fee"], content["bill_type"], content["refund_phase"]) == (
        "150.00",
        "refund_bill",
        "onsale",
    )
    assert "payment" not in content  # a refund topic documents the refund's amount, not the trade's


async def test_a_refund_after_the_trade_succeeded_is_after_sale(
    http: aiohttp.ClientSession, running: RunningSandbox, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    """refund_phase is aftersale once the trade is TRADE_FINISHED."""
    placed = await shopper.paid_trade()
    sandbox.book.get(placed["tid"]).status = TradeStatus.TRADE_FINISHED.value
    await _refund(shopper, placed["tid"], placed["oids"][0], "requested")
    assert (await _contents(http, running))["taobao_refund_RefundCreated"]["refund_phase"] == "aftersale"


async def test_a_trade_close_names_the_item_of_its_line(
    http: aiohttp.ClientSession, running: RunningSandbox, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    """TradeClose carries num_iid: the same item for the same outer SKU id, in every sandbox."""
    placed = await shopper.paid_trade()
    tid, oid = placed["tid"], placed["oids"][0]
    await _refund(shopper, tid, oid, "success")
    content = (await _contents(http, running))["taobao_trade_TradeClose"]
    line = sandbox.book.get(tid).line(oid)
    assert content["num_iid"] == line.num_iid
    assert isinstance(line.num_iid, int) and line.num_iid > 0
    again = TaobaoSandbox().create_trade("tb_other", [NewLine(line.outer_sku_id, "另一件", 100, 1, 100)])
    assert again.lines[0].num_iid == line.num_iid
    assert (content["tid"], content["oid"], content["status"]) == (tid, oid, "TRADE_CLOSED")


async def test_consuming_a_group_the_app_has_not_set_up_is_refused(
    http: aiohttp.ClientSession, running: RunningSandbox, shopper: Shopper
) -> None:
    """The consume method's documented error: an unknown group_name is an isv refusal, not an empty queue."""
    await shopper.paid_trade()
    answer = await _consume(http, running, group_name="vip_user", quantity="10")
    assert answer["error_response"]["sub_code"] == "isv.invalid-parameter:group_name"
    assert "vip_user" in answer["error_response"]["sub_msg"]


async def test_the_client_reads_the_refusal_as_permanent(client: TaobaoClient) -> None:
    """A person must set the group up: the bridge's client does not retry it."""
    with pytest.raises(Permanent, match="group_name"):
        await client.consume_messages("vip_user", 10)


async def test_default_needs_no_set_up_and_is_what_no_group_name_means(
    http: aiohttp.ClientSession, running: RunningSandbox, shopper: Shopper, client: TaobaoClient
) -> None:
    """The system's group: consumed by name or by leaving group_name out."""
    placed = await shopper.paid_trade()
    unnamed = await _consume(http, running, quantity="10")
    [message] = unnamed["tmc_messages_consume_response"]["messages"]["tmc_message"]
    assert json.loads(message["content"])["tid"] == placed["tid"]
    assert len(await client.consume_messages("default", 10)) == 0  # out: handed over above


async def test_a_group_once_set_up_may_be_consumed(client: TaobaoClient, sandbox: TaobaoSandbox) -> None:
    """``set_up`` (taobao.tmc.group.add) makes a group consumable, empty until a seller is assigned to it."""
    sandbox.messages.set_up("vip_user")
    assert len(await client.consume_messages("vip_user", 10)) == 0
