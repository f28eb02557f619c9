"""The message service's HTTP pair: ``TaobaoClient`` consume/confirm against the sandbox, and its knobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import aiohttp
import pytest
from structlog.testing import capture_logs

from adapters.taobao import TaobaoClient
from adapters.taobao.messages import parse_consumed
from adapters.taobao.sandbox import RunningSandbox, TaobaoSandbox
from bridge.core.errors import Permanent
from bridge.core.models import CST
from bridge.core.trades import PushMessage

from .helpers import OffsetClock, Shopper, raw_call

MakeClient = Callable[..., TaobaoClient]
SELLER = "sandbox_c_1"


async def _paid(shopper: Shopper, count: int) -> list[str]:
    return [str((await shopper.paid_trade())["tid"]) for _ in range(count)]


async def test_a_payment_queues_a_message_carrying_only_ids(client: TaobaoClient, shopper: Shopper) -> None:
    """TradeBuyerPay with the tid, the first oid and the seller; no buyer text, no money as data."""
    before = datetime.now(CST).replace(microsecond=0)
    placed = await shopper.paid_trade()
    batch = await client.consume_messages("default", 10)
    published = batch.messages[0].published
    assert published is not None and before <= published <= datetime.now(CST)
    assert batch.messages == (
        PushMessage(
            message_id=batch.messages[0].message_id,
            topic="taobao_trade_TradeBuyerPay",
            tid=str(placed["tid"]),
            oid=str(placed["oids"][0]),
            shop_account=SELLER,
            published=published,
        ),
    )
    assert int(batch.messages[0].message_id) > 2**53
    assert batch.unreadable == ()


async def test_a_confirmed_message_never_comes_back(
    client: TaobaoClient, shopper: Shopper, sandbox: TaobaoSandbox, clock: OffsetClock
) -> None:
    await _paid(shopper, 3)
    batch = await client.consume_messages("default", 10)
    await client.confirm_messages("default", [m.message_id for m in batch.messages])
    clock.advance(sandbox.knobs.tmc_redelivery_s + 1)
    assert len(await client.consume_messages("default", 10)) == 0
    assert sandbox.messages.pending() == []
    assert sandbox.stats.messages["confirmed"] == 3


async def test_an_unconfirmed_message_comes_back_after_the_redelivery_timeout_only(
    client: TaobaoClient, shopper: Shopper, sandbox: TaobaoSandbox, clock: OffsetClock
) -> None:
    """While out it is not handed out again; after ``tmc_redelivery_s`` it is, under the same id."""
    sandbox.update_knobs(tmc_redelivery_s=10)
    await _paid(shopper, 2)
    first = await client.consume_messages("default", 10)
    await client.confirm_messages("default", [first.messages[0].message_id])
    clock.advance(9)
    assert len(await client.consume_messages("default", 10)) == 0
    clock.advance(2)
    again = await client.consume_messages("default", 10)
    assert again.messages == first.messages[1:]
    assert sandbox.stats.messages["redelivered"] == 1


async def test_refunds_and_closing_queue_their_topics_with_the_refund_id(
    client: TaobaoClient, shopper: Shopper
) -> None:
    placed = await shopper.paid_trade()
    tid, oid = str(placed["tid"]), placed["oids"][0]
    for outcome in ("requested", "closed", "requested", "success"):
        status, data = await shopper.request(
            "POST", f"/sandbox/trades/{tid}/refund", {"oid": oid, "outcome": outcome}
        )
        assert status == 200, data
    batch = await client.consume_messages("default", 10)
    assert [m.topic for m in batch.messages] == [
        "taobao_trade_TradeBuyerPay",
        "taobao_refund_RefundCreated",
        "taobao_refund_RefundClosed",
        "taobao_refund_RefundCreated",
        "taobao_refund_RefundSuccess",
        "taobao_trade_TradeClose",
    ]
    assert {m.tid for m in batch.messages} == {tid}
    refund_ids = [m.refund_id for m in batch.messages[1:5]]
    assert None not in refund_ids and refund_ids[0] == refund_ids[1] != refund_ids[2] == refund_ids[3]


async def test_consume_hands_out_at_most_quantity_oldest_first(
    client: TaobaoClient, shopper: Shopper
) -> None:
    tids = await _paid(shopper, 12)
    first = await client.consume_messages("default", 10)
    rest = await client.consume_messages("default", 10)
    assert [m.tid for m in first.messages] + [m.tid for m in rest.messages] == tids


async def test_each_group_is_its_own_queue(
    client: TaobaoClient, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    sandbox.messages.assign(SELLER, "bridge")
    [tid] = await _paid(shopper, 1)
    assert len(await client.consume_messages("default", 10)) == 0
    assert [m.tid for m in (await client.consume_messages("bridge", 10)).messages] == [tid]


async def test_confirm_sends_at_most_200_ids_a_call(
    client: TaobaoClient, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    await _paid(shopper, 1)
    [message] = (await client.consume_messages("default", 10)).messages
    await client.confirm_messages("default", [*(str(n) for n in range(1, 401)), message.message_id])
    assert sandbox.stats.calls["taobao.tmc.messages.confirm"] == 3
    assert sandbox.messages.pending() == []


async def test_the_gateway_checks_quantity_and_ids(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    low = await raw_call(http, running.router_url, {"method": "taobao.tmc.messages.consume", "quantity": "5"})
    assert low["error_response"]["sub_code"] == "isv.invalid-parameter:quantity"
    bad = await raw_call(
        http, running.router_url, {"method": "taobao.tmc.messages.confirm", "s_message_ids": "1,x"}
    )
    assert bad["error_response"]["sub_code"] == "isv.invalid-parameter:s_message_ids"


async def test_the_client_refuses_a_quantity_outside_10_to_200(client: TaobaoClient) -> None:
    with pytest.raises(ValueError, match=r"10\.\.200"):
        await client.consume_messages("default", 201)


async def test_a_malformed_content_is_reported_not_fatal(
    client: TaobaoClient, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    """The good message arrives; the bad one is listed with its id (to confirm) and logged."""
    bad = sandbox.messages.publish("taobao_trade_TradeBuyerPay", {"tid": "12ab"}, SELLER, 1)
    [tid] = await _paid(shopper, 1)
    with capture_logs() as logs:
        batch = await client.consume_messages("default", 10)
    assert [m.tid for m in batch.messages] == [tid]
    [(message_id, problem)] = batch.unreadable
    assert message_id == str(bad.id) and "content" in problem and "tid" in problem
    assert [e["message_id"] for e in logs if e["event"] == "taobao_message_unreadable"] == [str(bad.id)]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ({"id": 5, "topic": "t", "content": "{not json"}, "not a JSON text"),
        ({"id": 5, "topic": "t", "content": '{"tid": -3}'}, "content: field tid"),
        ({"id": "x", "topic": "t", "content": "{}"}, "message ?: field id"),
        ({"id": 5, "content": "{}"}, "field topic"),
        ("not an object", "message ?"),
    ],
)
def test_the_parser_lists_each_unreadable_message_with_why(raw: object, why: str) -> None:
    good = {
        "id": "9007199254740993",
        "topic": "taobao_trade_TradeClose",
        "content": '{"tid": "9007199254740995"}',
    }
    batch = parse_consumed({"messages": {"tmc_message": [raw, good]}})
    assert batch.messages == (
        PushMessage("9007199254740993", "taobao_trade_TradeClose", tid="9007199254740995"),
    )
    [(_, problem)] = batch.unreadable
    assert why in problem


def test_the_parser_reads_an_empty_answer_and_refuses_a_non_list() -> None:
    assert len(parse_consumed({})) == 0
    with pytest.raises(Permanent, match="field messages"):
        parse_consumed({"messages": "oops"})


async def test_knob_drop_loses_messages_outright(
    client: TaobaoClient, shopper: Shopper, sandbox: TaobaoSandbox, clock: OffsetClock
) -> None:
    sandbox.update_knobs(tmc_drop_rate=1.0)
    await _paid(shopper, 4)
    assert len(await client.consume_messages("default", 10)) == 0
    clock.advance(sandbox.knobs.tmc_redelivery_s + 1)
    assert len(await client.consume_messages("default", 10)) == 0
    assert sandbox.stats.messages["dropped"] == 4


async def test_knob_duplicate_queues_a_second_message_for_the_same_trade(
    client: TaobaoClient, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    sandbox.update_knobs(tmc_duplicate_rate=1.0)
    tids = await _paid(shopper, 3)
    first = await client.consume_messages("default", 10)
    twins = await client.consume_messages("default", 10)
    assert [m.tid for m in first.messages] == [m.tid for m in twins.messages] == tids
    assert not {m.message_id for m in first.messages} & {m.message_id for m in twins.messages}
    assert sandbox.stats.messages["duplicated"] == 3


async def test_knob_reorder_hands_messages_out_of_order(
    client: TaobaoClient, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    sandbox.update_knobs(tmc_reorder_rate=1.0)
    tids = await _paid(shopper, 12)
    batch = await client.consume_messages("default", 200)
    assert sorted(m.tid for m in batch.messages) == sorted(tids)
    assert [m.tid for m in batch.messages] != tids


async def test_knobs_are_set_over_http_and_refused_when_bad(shopper: Shopper, sandbox: TaobaoSandbox) -> None:
    status, knobs = await shopper.request(
        "POST", "/sandbox/knobs", {"tmc_drop_rate": 0.25, "tmc_redelivery_s": 2}
    )
    assert status == 200 and (knobs["tmc_drop_rate"], knobs["tmc_redelivery_s"]) == (0.25, 2.0)
    status, error = await shopper.request("POST", "/sandbox/knobs", {"tmc_duplicate_rate": 1.5})
    assert status == 400 and "tmc_duplicate_rate" in error["error"]
    assert sandbox.knobs.tmc_duplicate_rate == 0.0


async def test_stats_count_what_the_message_service_did(client: TaobaoClient, shopper: Shopper) -> None:
    await _paid(shopper, 2)
    batch = await client.consume_messages("default", 10)
    await client.confirm_messages("default", [batch.messages[0].message_id])
    status, stats = await shopper.request("GET", "/sandbox/stats")
    assert status == 200
    assert stats["messages"] == {
        "published": 2,
        "handed_out": 2,
        "redelivered": 0,
        "confirmed": 1,
        "dropped": 0,
        "duplicated": 0,
    }
