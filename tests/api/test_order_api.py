"""The order API's orders: stored once per client and id, read back by their client only, listed by day."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.api_orders import ApiOrderRecord
from bridge.core.errors import StoreUnavailable
from tests.api.channel import line, order
from tests.api.conftest import Api


async def test_an_order_is_stored_before_it_is_acknowledged(api: Api) -> None:
    """201 with the receipt; the order is in the store, its body as sent."""
    answer = await api.channel().post(order())
    assert answer.status == 201
    assert answer.body["href"] == "/api/v1/orders/H20261208001"
    stored = await api.store.api_orders.order("hall", "H20261208001")
    assert stored is not None and stored.body == order()


async def test_an_order_reads_back_as_received_with_its_card_masked(api: Api) -> None:
    """``GET /orders/{id}``: state ``received``, each line's fields, the card's last four digits only."""
    await api.channel().post(order())
    answer = await api.channel().get("/api/v1/orders/H20261208001")
    assert (answer.status, answer.body["state"], answer.body["paid_at"]) == (
        200,
        "received",
        "2026-12-08T09:58:00+08:00",
    )
    assert answer.body["lines"] == [
        {
            "sku": "TV-RC-0100",
            "product_code": None,
            "quantity": 1,
            "amount_fen": 10000,
            "card_no": "************5678",
            "state": "received",
            "reason": None,
            "reason_text": None,
            "codes": [],
        }
    ]


async def test_the_same_order_again_gets_the_first_answer(api: Api) -> None:
    """Sent again later (signed afresh, written otherwise), the same status and body as the first time."""
    channel = api.channel()
    first = await channel.post(order())
    api.clock.later(30)
    again = json.dumps(order(), indent=2, sort_keys=True).encode()
    second = await channel.send("POST", "/api/v1/orders", again)
    assert (second.status, second.body) == (first.status, first.body)


async def test_one_order_sent_at_once_from_many_retries_is_stored_once(api: Api) -> None:
    """Ten sends of one order racing (each signed afresh) store one row, and all get one answer."""
    channel = api.channel()
    bodies = [json.dumps(order()).encode() + b" " * n for n in range(10)]  # ten signatures
    answers = await asyncio.gather(*(channel.send("POST", "/api/v1/orders", b) for b in bodies))
    assert {(a.status, json.dumps(a.body)) for a in answers} == {(201, json.dumps(answers[0].body))}
    listed = await channel.get("/api/v1/orders?date=2026-12-08")
    assert listed.body["total"] == 1


async def test_another_order_under_the_same_id_is_a_conflict_naming_the_field(api: Api) -> None:
    """409 API_ORDER_CONFLICT with the first field that differs; the first order stays."""
    channel = api.channel()
    await channel.post(order("H1", line(), line()))
    answer = await channel.post(order("H1", line(), line(amount_fen=9000)))
    assert (answer.status, answer.code, answer.body["error"]["field"]) == (
        409,
        "API_ORDER_CONFLICT",
        "lines[1].amount_fen",
    )


async def test_a_field_that_breaks_a_rule_is_named(api: Api) -> None:
    """422 API_INVALID naming the field as the body writes it."""
    answer = await api.channel().post(order("H1", line(), line(quantity=0)))
    assert (answer.status, answer.code, answer.body["error"]["field"]) == (
        422,
        "API_INVALID",
        "lines[1].quantity",
    )


async def test_a_body_that_is_not_a_json_object_is_refused(api: Api) -> None:
    """400 API_BAD_JSON."""
    answer = await api.channel().send("POST", "/api/v1/orders", b"[1, 2]")
    assert (answer.status, answer.code) == (400, "API_BAD_JSON")


async def test_another_client_s_order_is_a_plain_404(api: Api) -> None:
    """Another client's order id answers word for word what a missing one does."""
    await api.channel("hall").post(order("H1"))
    theirs = await api.channel("app").get("/api/v1/orders/H1")
    missing = await api.channel("app").get("/api/v1/orders/H404")
    assert (theirs.status, theirs.body) == (404, missing.body)


async def test_the_same_id_from_two_clients_is_two_orders(api: Api) -> None:
    """Ids are scoped by client: another client's order under the id is its own, no conflict."""
    await api.channel("hall").post(order("H1"))
    answer = await api.channel("app").post(order("H1", line(amount_fen=1)))
    assert answer.status == 201


def _paid(order_id: str, paid_at: datetime) -> ApiOrderRecord:
    body = order(order_id, paid_at=paid_at.isoformat())
    return ApiOrderRecord("hall", order_id, body, "0" * 64, paid_at, paid_at, paid_at)


async def test_a_day_s_orders_are_listed_a_hundred_a_page(api: Api) -> None:
    """``?date=D``: the orders paid that China-time day, 100 a page, earliest first; the count of all."""
    start = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # 2026-12-08 00:00 China time
    for n in range(101):
        await api.store.api_orders.add_order(_paid(f"H{n:03}", start + timedelta(seconds=n)))
    await api.store.api_orders.add_order(_paid("EARLIER", start - timedelta(seconds=1)))
    await api.store.api_orders.add_order(_paid("LATER", start + timedelta(days=1)))
    first = await api.channel().get("/api/v1/orders?date=2026-12-08")
    second = await api.channel().get("/api/v1/orders?date=2026-12-08&page=2")
    assert (first.body["total"], first.body["pages"], len(first.body["orders"])) == (101, 2, 100)
    assert [o["order_id"] for o in second.body["orders"]] == ["H100"]


async def test_a_listing_holds_only_the_client_s_orders(api: Api) -> None:
    """Another client's orders of the day are not in the list."""
    await api.channel("hall").post(order("H1"))
    answer = await api.channel("app").get("/api/v1/orders?date=2026-12-08")
    assert (answer.body["total"], answer.body["orders"]) == (0, [])


async def test_a_listing_needs_a_day(api: Api) -> None:
    """No ``date`` (or not YYYY-MM-DD): 422 naming it."""
    answer = await api.channel().get("/api/v1/orders?date=8.12.2026")
    assert (answer.status, answer.body["error"]["field"]) == (422, "date")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_a_day_at_the_calendar_s_edge_is_refused(api: Api, day: str) -> None:
    """A day whose China-time bounds fall outside the calendar: 422 naming ``date``, not a 500."""
    answer = await api.channel().get(f"/api/v1/orders?date={day}")
    assert (answer.status, answer.body["error"]["field"]) == (422, "date")


class _Unavailable:
    """The store's ``api_orders`` role when the database cannot take a write."""

    def __init__(self, real: object) -> None:
        self._real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    async def add_order(self, order: ApiOrderRecord) -> tuple[ApiOrderRecord, bool]:
        raise StoreUnavailable("the database is read-only", code="STORE_READ_ONLY")


async def test_an_order_the_store_cannot_take_is_not_acknowledged(api: Api) -> None:
    """503 API_UNAVAILABLE with Retry-After: the client sends it again, nothing was taken."""
    channel = replace(api.channel(), base=await api.serve(_Unavailable(api.store.api_orders)))
    answer = await channel.post(order())
    assert (answer.status, answer.code, answer.headers["Retry-After"]) == (503, "API_UNAVAILABLE", "5")
