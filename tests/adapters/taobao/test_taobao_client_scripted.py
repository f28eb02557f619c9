"""``TaobaoClient`` against a scripted gateway, for answers the sandbox never gives.

HTTP 5xx, 429, 504, non-JSON bodies, B55, ``is_success=false``, a fullinfo
for the wrong tid and a list that grows while it is paged.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.taobao import TaobaoClient
from bridge.core.errors import Ambiguous, Permanent, Retryable, Unavailable
from bridge.core.models import CST
from bridge.core.trades import DeliveryOutcome
from bridge.services.listing import list_window

from .helpers import APP_KEY, APP_SECRET, SESSION_KEY

Answer = tuple[int, Any]  # HTTP status, JSON body (a str is sent verbatim)
Script = Callable[[dict[str, str]], Answer]


class ScriptedTop:
    """A gateway whose answers a test writes; it records every request's form."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        self.requests.append(form)
        status, body = self.script(form)
        text = body if isinstance(body, str) else json.dumps(body)
        return web.Response(
            status=status, text=text, content_type="application/json", headers={"Retry-After": "2"}
        )


StartScripted = Callable[[Script], Awaitable[tuple[ScriptedTop, TaobaoClient]]]


@pytest.fixture
def scripted(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    http: aiohttp.ClientSession,
    sleeps: list[float],
) -> StartScripted:
    async def start(script: Script) -> tuple[ScriptedTop, TaobaoClient]:
        top = ScriptedTop(script)
        app = web.Application()
        app.router.add_post("/router/rest", top.handle)
        server = await aiohttp_server(app)

        async def fake_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        client = TaobaoClient(
            http,
            url=str(server.make_url("/router/rest")),
            app_key=APP_KEY,
            app_secret=APP_SECRET,
            session_key=SESSION_KEY,
            max_retries=2,
            page_size=2,
            sleep=fake_sleep,
        )
        return top, client

    return start


def _fullinfo(tid: int, status: str) -> dict[str, Any]:
    line = {"oid": tid + 1, "title": "t", "num": 1, "price": "1.00", "payment": "1.00", "status": status}
    trade = {
        "tid": tid,
        "status": status,
        "type": "fixed",
        "created": "2024-05-01 12:00:00",
        "modified": "2024-05-01 12:00:00",
        "payment": "1.00",
        "orders": [line],
    }
    return {"trade": trade}


@pytest.mark.parametrize(("status", "cls"), [(500, Retryable), (502, Retryable), (503, Unavailable)])
async def test_server_errors_are_retried_then_raised(
    scripted: StartScripted, sleeps: list[float], status: int, cls: type[Retryable]
) -> None:
    """5xx on a read: 1 + max_retries attempts, then the Retryable, honouring Retry-After."""
    top, client = await scripted(lambda form: (status, "oops"))
    with pytest.raises(cls) as caught:
        await client.get_trade("7")
    assert caught.value.code == f"TOP_HTTP_{status}"
    assert len(top.requests) == 3 and all(s >= 2 for s in sleeps)


async def test_http_429_is_rate_limited(scripted: StartScripted, sleeps: list[float]) -> None:
    """HTTP 429 is RateLimited with the Retry-After header as its wait."""
    answers = iter([(429, "slow down"), (200, {"time": "2024-05-01 12:00:00"})])
    _, client = await scripted(lambda form: next(answers))
    assert (await client.server_time()).tzinfo is CST
    assert 2 <= sleeps[0] < 3


async def test_gateway_timeout_on_delivery_is_ambiguous(scripted: StartScripted) -> None:
    """A 504 on dummy.send may hide a shipment: Ambiguous, sent once."""
    top, client = await scripted(lambda form: (504, "gateway timeout"))
    with pytest.raises(Ambiguous):
        await client.deliver("7")
    assert len(top.requests) == 1


async def test_garbled_answers(scripted: StartScripted) -> None:
    """A non-JSON 200 is Retryable on a read and Ambiguous on a write; other 4xx are Permanent."""
    top, client = await scripted(lambda form: (200, "<html>proxy</html>"))
    with pytest.raises(Retryable, match="not JSON"):
        await client.get_trade("7")
    with pytest.raises(Ambiguous):
        await client.deliver("7")
    top.script = lambda form: (404, "no such route")
    with pytest.raises(Permanent) as caught:
        await client.get_trade("7")
    assert caught.value.code == "TOP_HTTP_404"


async def test_b55_counts_as_shipped_only_when_fullinfo_agrees(scripted: StartScripted) -> None:
    """B55 re-reads the trade: shipped → ALREADY_SHIPPED; still waiting → Permanent B55."""
    shipped = {"status": "WAIT_BUYER_CONFIRM_GOODS"}
    b55 = {"error_response": {"code": 15, "msg": "x", "sub_code": "isv.logistics-dummy-service-error:B55"}}

    def script(form: dict[str, str]) -> Answer:
        if form["method"] == "taobao.logistics.dummy.send":
            return 200, b55
        return 200, _fullinfo(int(form["tid"]), shipped["status"])

    top, client = await scripted(script)
    assert await client.deliver("7") is DeliveryOutcome.ALREADY_SHIPPED
    assert [r["method"] for r in top.requests] == ["taobao.logistics.dummy.send", "taobao.trade.fullinfo.get"]
    shipped["status"] = "WAIT_SELLER_SEND_GOODS"
    with pytest.raises(Permanent, match="WAIT_SELLER_SEND_GOODS") as caught:
        await client.deliver("7")
    assert caught.value.code.endswith(":B55")


async def test_unsuccessful_shipping_is_permanent(scripted: StartScripted) -> None:
    """``is_success: false`` is not a delivery."""
    _, client = await scripted(lambda form: (200, {"shipping": {"is_success": False}}))
    with pytest.raises(Permanent, match="is_success=false"):
        await client.deliver("7")


async def test_fullinfo_for_another_trade_is_refused(scripted: StartScripted) -> None:
    """An answer about a different tid is a data error, never used."""
    _, client = await scripted(lambda form: (200, _fullinfo(8, "WAIT_SELLER_SEND_GOODS")))
    with pytest.raises(Permanent, match="field tid"):
        await client.get_trade("7")


async def test_list_reads_again_when_trades_arrive_while_paging(scripted: StartScripted) -> None:
    """If a page reports more trades than the count call, the whole window is read again."""
    totals = iter([2, 3, 3, 3, 3, 3, 3, 3])

    def script(form: dict[str, str]) -> Answer:
        total, page, size = next(totals), int(form["page_no"]), int(form["page_size"])
        rows = [
            {"tid": 100 + i, "status": "WAIT_BUYER_PAY", "modified": "2024-05-01 12:00:00"}
            for i in range(total)
        ]
        return 200, {"total_results": total, "trades": rows[(page - 1) * size : page * size]}

    top, client = await scripted(script)
    start = datetime(2024, 5, 1, 11, tzinfo=CST)
    found = await list_window(client, start, start.replace(hour=12))
    assert sorted(s.tid for s in found) == ["100", "101", "102"]
    pages = [(r["page_no"], r["page_size"]) for r in top.requests]
    # a first pass (count, page 1), a second after the list grew, a third that finds nothing new
    assert pages == [
        ("1", "1"),
        ("1", "2"),
        ("1", "1"),
        ("2", "2"),
        ("1", "2"),
        ("1", "1"),
        ("2", "2"),
        ("1", "2"),
    ]
    assert top.requests[0]["type"] == "fixed,auto_delivery,ec,guarantee_trade,eticket,step"
    assert top.requests[0]["use_has_next"] == "false" and top.requests[0]["simplify"] == "true"


async def test_list_reads_again_when_a_trade_slipped_between_pages(scripted: StartScripted) -> None:
    """A trade leaves the window and a late-visible one enters it between two pages: the total
    stays the same but a trade moved into a page already read. A second pass finds it."""
    rows = [104, 103, 102, 101]  # newest first, as the gateway sorts

    def script(form: dict[str, str]) -> Answer:
        page, size = int(form["page_no"]), int(form["page_size"])
        answer = rows[(page - 1) * size : page * size]
        if (page, size) == (2, 2) and rows[-1] == 101:
            rows[:] = [105, 104, 103, 102]  # 101 shipped (out of the window), 105 became visible
        trades = [
            {"tid": t, "status": "WAIT_SELLER_SEND_GOODS", "modified": "2024-05-01 12:00:00"} for t in answer
        ]
        return 200, {"total_results": len(rows), "trades": trades}

    _, client = await scripted(script)
    start = datetime(2024, 5, 1, 11, tzinfo=CST)
    found = await list_window(client, start, start.replace(hour=12))
    assert sorted(s.tid for s in found) == ["101", "102", "103", "104", "105"]


def _rows_newest_first(rows: list[int]) -> Script:
    def script(form: dict[str, str]) -> Answer:
        page, size = int(form["page_no"]), int(form["page_size"])
        trades = [
            {"tid": t, "status": "WAIT_SELLER_SEND_GOODS", "modified": "2024-05-01 12:00:00"}
            for t in rows[(page - 1) * size : page * size]
        ]
        return 200, {"total_results": len(rows), "trades": trades}

    return script


async def test_list_pages_hands_out_each_page_before_asking_for_the_next(scripted: StartScripted) -> None:
    """The oldest page comes first, read alone (after the count): the caller can store it before
    the marketplace is asked for another."""
    top, client = await scripted(_rows_newest_first([105, 104, 103, 102, 101]))
    start = datetime(2024, 5, 1, 11, tzinfo=CST)
    pages = client.list_pages(start, start.replace(hour=12))
    first = await anext(pages)
    assert [s.tid for s in first] == ["101"]
    assert [(r["page_no"], r["page_size"]) for r in top.requests] == [("1", "1"), ("3", "2")]
    await pages.aclose()


async def test_list_pages_hands_out_each_trade_once_across_passes(scripted: StartScripted) -> None:
    """A second pass over the window (several pages) hands out nothing already handed out unchanged."""
    _, client = await scripted(_rows_newest_first([105, 104, 103, 102, 101]))
    start = datetime(2024, 5, 1, 11, tzinfo=CST)
    handed = [s.tid async for page in client.list_pages(start, start.replace(hour=12)) for s in page]
    assert sorted(handed) == ["101", "102", "103", "104", "105"]
