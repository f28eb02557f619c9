"""What a channel reads of its order once the pipeline has it, and its refund request.

The order is POSTed through the signed API, then taken into the pipeline as the API storefront
does (a trade of shop = client, tid = order id, oids the line numbers) and its lines moved in the
store directly; every answer is checked against the OpenAPI document (``tests/api/channel.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from jsonschema import Draft202012Validator

from bridge.core.api_orders import ApiOrderRecord
from bridge.core.api_status import LINE_STATES, RECEIVED, SETTLED_MIX, ApiOrderView, PipelineLine
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.store.api_schema import api_orders
from bridge.store.api_settle import callback_body
from bridge.store.transitions import move_line
from tests.api.channel import DOC, NOW, line, order
from tests.api.conftest import Api
from tests.factories import order_line, trade

S = LineState
ID = "H20261208001"
TARGET = f"/api/v1/orders/{ID}"


async def _taken(api: Api, lines: int = 1) -> list[LineRecord]:
    """The order POSTed, then stored as the pipeline's trade with ``lines`` lines."""
    assert (await api.channel().post(order(ID, *[line()] * lines))).status == 201
    oids = [order_line(str(n)) for n in range(1, lines + 1)]
    return await api.store.intake.save_trade("hall", trade(ID, *oids), NOW, "test")


async def _move(api: Api, record: LineRecord, *path: LineState, reason: str | None = None) -> None:
    current = record.state
    for to in path:
        async with api.store.engine.begin() as conn:
            assert await move_line(conn, record, to, now=NOW, actor="test", frm=[current], reason=reason)
        current = to


async def test_a_stored_line_reads_pending(api: Api) -> None:
    """Taken into the pipeline and planned, not yet credited: the line and the order are pending."""
    [first] = await _taken(api)
    await _move(api, first, S.READY)
    answer = await api.channel().get(TARGET)
    assert (answer.body["state"], answer.body["lines"][0]["state"]) == ("pending", "pending")


async def test_a_line_that_needs_attention_says_why(api: Api) -> None:
    """The order needs attention; the line names its reason and the Chinese text for it."""
    first, second = await _taken(api, lines=2)
    await _move(api, first, S.EXCEPTION, reason="SUBSCRIBER_NOT_FOUND")
    await _move(api, second, S.READY)
    answer = await api.channel().get(TARGET)
    assert answer.body["state"] == "needs_attention"
    assert [(x["state"], x["reason"], x["reason_text"]) for x in answer.body["lines"]] == [
        ("needs_attention", "SUBSCRIBER_NOT_FOUND", "智能卡号不存在，请联系买家核对卡号"),
        ("pending", None, None),
    ]


async def test_a_delivered_line_carries_its_card_codes(api: Api) -> None:
    """The codes the API storefront stored at delivery (by oid) come with the delivered line."""
    [first] = await _taken(api)
    await _move(api, first, S.READY, S.SUBMITTED, S.APPLIED, S.DELIVERED)
    async with api.store.engine.begin() as conn:
        await conn.execute(sa.update(api_orders).values(codes={"1": ["SN1:PIN1"]}))
    answer = await api.channel().get(TARGET)
    assert (answer.body["state"], answer.body["lines"][0]["codes"]) == ("delivered", ["SN1:PIN1"])


async def test_the_day_s_listing_shows_each_order_s_state(api: Api) -> None:
    """``GET /orders?date=D`` answers the same view as one order's GET."""
    [first] = await _taken(api)
    await _move(api, first, S.CANCELLED)
    listing = await api.channel().get("/api/v1/orders?date=2026-12-08")
    one = await api.channel().get(TARGET)
    assert (listing.body["orders"], one.body["state"]) == ([one.body], "refunded")


async def test_a_refund_is_recorded_and_the_pipeline_woken(api: Api) -> None:
    """202 with the order as it stands and when the refund was asked; the order is taken in again."""
    await api.channel().post(order(ID))
    api.woken.clear()  # the order's own intake
    api.clock.later(60)
    answer = await api.channel().send("POST", f"{TARGET}/refund")
    assert (answer.status, answer.body["state"]) == (202, "received")
    assert answer.body["refund_requested_at"] == answer.body["modified_at"] == "2026-12-08T10:01:00+08:00"
    assert api.woken == [("hall", ID)]


async def test_a_second_refund_request_changes_nothing(api: Api) -> None:
    """Asked again later, the first request's time stays, and the answer is the same."""
    await api.channel().post(order(ID))
    first = await api.channel().send("POST", f"{TARGET}/refund")
    api.clock.later(60)
    again = await api.channel().send("POST", f"{TARGET}/refund")
    assert (again.status, again.body) == (202, first.body)


async def test_a_refund_of_an_order_being_provisioned_reports_where_it_is(api: Api) -> None:
    """The refund is recorded; the answer shows the lines as they stand (the pipeline acts next)."""
    [first] = await _taken(api)
    await _move(api, first, S.READY, S.SUBMITTED, S.APPLIED)
    answer = await api.channel().send("POST", f"{TARGET}/refund")
    states = (answer.body["state"], answer.body["lines"][0]["state"])
    assert (answer.status, states) == (202, ("pending", "pending"))


async def test_a_refund_of_another_client_s_order_is_a_plain_404(api: Api) -> None:
    """Another client's id reads word for word as a missing one, and nothing is marked."""
    await api.channel("hall").post(order(ID))
    api.woken.clear()  # the order's own intake
    theirs = await api.channel("app").send("POST", f"{TARGET}/refund")
    missing = await api.channel("app").send("POST", "/api/v1/orders/NOPE/refund")
    assert (theirs.status, theirs.body) == (404, missing.body)
    assert theirs.code == "API_NOT_FOUND"
    stored = await api.store.api_orders.order("hall", ID)
    assert stored is not None and stored.refund_requested_at is None
    assert api.woken == []


def test_the_document_lists_every_state() -> None:
    """The OpenAPI document's ``LineState`` and ``OrderState`` are ``bridge.core.api_status``'s words."""
    words = [RECEIVED, *dict.fromkeys(LINE_STATES.values())]
    schemas = DOC["components"]["schemas"]
    assert (schemas["LineState"]["enum"], schemas["OrderState"]["enum"]) == (words, [*words, SETTLED_MIX])


def test_the_docs_table_gives_each_pipeline_state_its_word() -> None:
    """docs/api.md's "Order states" table names each ``LineState`` in the row of its word."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| ([A-Z_, ]+) \|", text, flags=re.MULTILINE))
    listed = {LineState(state): word for word, states in rows.items() for state in states.split(", ")}
    assert listed == LINE_STATES


def test_a_callback_s_body_is_the_document_s_callback() -> None:
    """The body queued for a settled order matches the document's ``Callback`` schema."""
    body = order(
        ID, line(), line(product_code="CARD-100", sku=None, card_no=None), callback_url="https://h.example/cb"
    )
    record = ApiOrderRecord("hall", ID, body, "0" * 64, NOW, NOW, NOW)
    lines = {"1": PipelineLine("1", S.EXCEPTION, "CARD_MISSING"), "2": PipelineLine("2", S.DELIVERED)}
    view = ApiOrderView(record, lines, {"2": ["SN1:PIN1"]})
    schema = {**DOC, **DOC["components"]["schemas"]["Callback"]}
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        callback_body(view, NOW)
    )
