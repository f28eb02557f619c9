"""The day's listing (``GET /v1/operations?date=``, version 1.1): the sandbox's query rules and
cursor over raw signed HTTP, the client against a core that misbehaves, and the sandbox's hand
edits a reconciliation must catch."""

from __future__ import annotations

from datetime import datetime

import aiohttp
import pytest

from adapters.billing_core import BillingClient
from adapters.billing_core.sandbox import RunningSandbox
from bridge.core.errors import Permanent
from bridge.core.models import CST, Recharge

from .helpers import Script, raw_call, scripted_client


def _today() -> str:
    return datetime.now(CST).date().isoformat()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "date=2026-13-01",
        "date=yesterday",
        "date={today}&limit=0",
        "date={today}&limit=501",
        "date={today}&after=OP-not-listed",
        "date={today}&colour=red",
    ],
)
async def test_a_bad_query_is_invalid_request(
    http: aiohttp.ClientSession, running: RunningSandbox, query: str
) -> None:
    path = "/v1/operations" + ("?" + query.format(today=_today()) if query else "")
    status, body, _ = await raw_call(http, running.base_url, "GET", path)
    assert status == 400 and body["error"]["code"] == "INVALID_REQUEST"


async def test_the_cursor_is_the_last_operation_of_a_page(
    http: aiohttp.ClientSession, running: RunningSandbox, client: BillingClient
) -> None:
    card = running.sandbox.state.cards_by_role("active", True)[0]
    ids = [(await client.apply(Recharge(f"l-{n}", card, 100))).operation_id for n in range(3)]
    status, first, _ = await raw_call(
        http, running.base_url, "GET", f"/v1/operations?date={_today()}&limit=2"
    )
    assert status == 200 and [o["operation_id"] for o in first["operations"]] == ids[:2]
    assert first["next"] == ids[1]
    path = f"/v1/operations?date={_today()}&limit=2&after={first['next']}"
    status, second, _ = await raw_call(http, running.base_url, "GET", path)
    assert [o["operation_id"] for o in second["operations"]] == ids[2:] and second["next"] is None
    assert second["operations"][0]["amount_fen"] == 100 and second["operations"][0]["card_no"] == card


async def test_a_hand_edited_amount_is_what_the_core_says_was_applied(
    running: RunningSandbox, client: BillingClient
) -> None:
    state = running.sandbox.state
    card = state.cards_by_role("active", True)[0]
    await client.apply(Recharge("l-edit", card, 5000))
    before = state.accounts[card].balance_fen
    state.amend("l-edit", 4000)
    found = await client.find("l-edit")
    assert found is not None and found.applied == Recharge("l-edit", card, 4000)
    assert state.accounts[card].balance_fen == before - 1000


async def test_a_forgotten_operation_is_neither_found_nor_listed(
    running: RunningSandbox, client: BillingClient
) -> None:
    card = running.sandbox.state.cards_by_role("active", True)[0]
    await client.apply(Recharge("l-gone", card, 100))
    running.sandbox.state.forget("l-gone")
    assert await client.find("l-gone") is None
    listed = await client.list_operations(datetime.now(CST).date())
    assert listed is not None and "l-gone" not in {op.request_id for op in listed}


async def test_a_cursor_that_does_not_move_on_is_nonsense(
    http: aiohttp.ClientSession, scripted: tuple[Script, str]
) -> None:
    script, base = scripted
    script.body = {"operations": [], "next": "OP1"}
    with pytest.raises(Permanent) as caught:
        await scripted_client(http, base).list_operations(datetime.now(CST).date())
    assert caught.value.code == "BILLING_ANSWER_INVALID" and "cursor" in caught.value.message


async def test_a_404_without_an_error_body_means_no_listing(
    http: aiohttp.ClientSession, scripted: tuple[Script, str]
) -> None:
    script, base = scripted
    script.status, script.body, script.content_type = 404, b"<html>Not Found</html>", "text/html"
    assert await scripted_client(http, base).list_operations(datetime.now(CST).date()) is None
    assert script.paths[0].startswith("/v1/operations?date=")
