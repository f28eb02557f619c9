"""The sandbox's router: envelope checks, both answer shapes and the five methods' rules."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from adapters.taobao.sandbox import NewLine, RunningSandbox, TaobaoSandbox
from adapters.taobao.signing import format_timestamp, sign
from bridge.core.models import CST

from .helpers import APP_SECRET, OffsetClock, Shopper, raw_call, signed

LIST = "taobao.trades.sold.increment.get"
DUMMY = "isv.logistics-dummy-service-error"


def _error(body: dict[str, Any]) -> tuple[int, str | None]:
    err = body["error_response"]
    return err["code"], err.get("sub_code")


def _list_params(clock: OffsetClock, **extra: str) -> dict[str, str]:
    now = clock()
    return {
        "method": LIST,
        "fields": "tid,status,modified,buyer_message,orders",
        "start_modified": format_timestamp(now - timedelta(hours=1)),
        "end_modified": format_timestamp(now + timedelta(minutes=1)),
        "simplify": "true",
        **extra,
    }


@pytest.fixture
def router(running: RunningSandbox) -> str:
    return running.router_url


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"method": ""}, 21),
        ({"format": "xml"}, 23),
        ({"app_key": ""}, 28),
        ({"app_key": "someone-else"}, 29),
        ({"timestamp": ""}, 30),
        ({"timestamp": "2016-01-01 12:00:00"}, 31),
        ({"timestamp": "01/01/2016"}, 31),
        ({"v": "3.0"}, 34),
        ({"method": "taobao.item.seller.get"}, 22),
        ({"session": ""}, 26),
        ({"session": "stolen"}, 27),
    ],
)
async def test_envelope_checks(
    http: aiohttp.ClientSession, router: str, change: dict[str, str], code: int
) -> None:
    """Each broken system parameter gets its documented code, with HTTP 200."""
    params = signed({"method": "taobao.trade.fullinfo.get", "tid": "1", "fields": "tid"})
    params.update(change)
    params["sign"] = sign(params, APP_SECRET, "md5")
    async with http.post(router, data=params) as resp:
        assert resp.status == 200
        assert _error(await resp.json())[0] == code


async def test_bad_signature_is_25(http: aiohttp.ClientSession, router: str) -> None:
    """A signature made with another secret is code 25; a missing one is 24."""
    body = await raw_call(http, router, {"method": "taobao.time.get"}, secret="guess")
    assert _error(body)[0] == 25
    params = signed({"method": "taobao.time.get"})
    del params["sign"]
    async with http.post(router, data=params) as resp:
        assert _error(await resp.json())[0] == 24


async def test_session_error_does_not_echo_the_session(http: aiohttp.ClientSession, router: str) -> None:
    """Code 27 answers ``invalid-sessionkey`` and never repeats what was sent."""
    params = signed(
        {"method": "taobao.trade.fullinfo.get", "tid": "1", "fields": "tid", "session": "leak-me-not"}
    )
    async with http.post(router, data=params) as resp:
        text = await resp.text()
    assert '"invalid-sessionkey"' in text and "leak-me-not" not in text


async def test_query_string_and_body_are_signed_together(http: aiohttp.ClientSession, router: str) -> None:
    """System params in the URL and business params in the body, as the Java SDK sends them."""
    params = signed({"method": "taobao.time.get", "simplify": "true"}, sign_method="hmac-sha256")
    query = {k: v for k, v in params.items() if k != "simplify"}
    async with http.post(router, params=query, data={"simplify": "true"}) as resp:
        assert "time" in await resp.json()


async def test_epoch_millisecond_timestamps_are_accepted(http: aiohttp.ClientSession, router: str) -> None:
    """The official Python SDK's ``timestamp`` form passes the ±10 min check."""
    body = await raw_call(
        http,
        router,
        {"method": "taobao.time.get", "simplify": "true", "timestamp": str(int(time.time() * 1000))},
    )
    assert "time" in body


async def test_required_arguments(http: aiohttp.ClientSession, router: str) -> None:
    """A missing business argument is 40, a malformed one 41."""
    assert _error(await raw_call(http, router, {"method": "taobao.trade.fullinfo.get", "fields": "tid"})) == (
        40,
        "isv.missing-parameter:tid",
    )
    bad = {"method": "taobao.trade.fullinfo.get", "fields": "tid", "tid": "12x"}
    assert _error(await raw_call(http, router, bad))[0] == 41


async def test_list_unsimplified_shape(
    http: aiohttp.ClientSession, router: str, shopper: Shopper, clock: OffsetClock
) -> None:
    """Without simplify: the ``*_response`` wrapper, ``trades.trade`` and ``orders.order``."""
    placed = await shopper.place()
    params = _list_params(clock, simplify="false")
    body = await raw_call(http, router, params)
    inner = body["trades_sold_increment_get_response"]
    (trade,) = inner["trades"]["trade"]
    assert trade["tid"] == placed["tid"] and inner["total_results"] == 1 and "request_id" in inner
    assert [o["oid"] for o in trade["orders"]["order"]] == placed["oids"]


async def test_list_hides_fullinfo_only_fields(
    http: aiohttp.ClientSession, router: str, shopper: Shopper, clock: OffsetClock
) -> None:
    """The list never carries buyer_message or customization, even when asked."""
    await shopper.place(buyer_message="卡号 1234")
    (trade,) = (await raw_call(http, router, _list_params(clock)))["trades"]
    assert "buyer_message" not in trade
    assert all("customization" not in order for order in trade["orders"])


async def test_list_order_paging_and_has_next(
    http: aiohttp.ClientSession, router: str, shopper: Shopper, clock: OffsetClock
) -> None:
    """Modified desc; ``use_has_next=true`` gives has_next and no total_results."""
    tids = []
    for _ in range(3):
        tids.append((await shopper.place())["tid"])
        clock.advance(1)
    first = await raw_call(http, router, _list_params(clock, page_size="2", use_has_next="true"))
    assert [t["tid"] for t in first["trades"]] == tids[::-1][:2]
    assert first["has_next"] is True and "total_results" not in first
    last = await raw_call(http, router, _list_params(clock, page_size="2", page_no="2"))
    assert [t["tid"] for t in last["trades"]] == tids[:1]
    assert last["has_next"] is False and last["total_results"] == 3


async def test_list_bounds_are_inclusive(
    http: aiohttp.ClientSession, router: str, sandbox: TaobaoSandbox, clock: OffsetClock
) -> None:
    """Trades modified exactly at start or end (to the second) are listed."""
    trade = sandbox.create_trade("b", [NewLine("RC-0050", "t", 5000, 1, 5000)])
    at = format_timestamp(trade.modified)
    params = _list_params(clock, start_modified=at, end_modified=at)
    assert [t["tid"] for t in (await raw_call(http, router, params))["trades"]] == [trade.tid]


@pytest.mark.parametrize(
    ("change", "sub_code"),
    [
        ({"page_size": "101"}, "isv.invalid-parameter:page_size"),
        ({"page_size": "0"}, "isv.invalid-parameter:page_size"),
        (
            {"start_modified": "2024-05-01 00:00:00", "end_modified": "2024-05-02 00:00:01"},
            "isv.invalid-parameter:end_modified",
        ),
        (
            {"start_modified": "2024-05-02 00:00:00", "end_modified": "2024-05-01 00:00:00"},
            "isv.invalid-parameter:end_modified",
        ),
    ],
)
async def test_list_rejects_bad_windows_and_sizes(
    http: aiohttp.ClientSession, router: str, clock: OffsetClock, change: dict[str, str], sub_code: str
) -> None:
    """page_size outside 1–100 and windows over a day or reversed are isv errors."""
    assert _error(await raw_call(http, router, _list_params(clock, **change)))[1] == sub_code


async def test_type_filter(
    http: aiohttp.ClientSession, router: str, shopper: Shopper, clock: OffsetClock
) -> None:
    """Without ``type`` the default combo hides e-voucher trades; naming the type shows them."""
    fixed = (await shopper.place())["tid"]
    eticket = (await shopper.place(type="eticket"))["tid"]
    default = await raw_call(http, router, _list_params(clock))
    assert [t["tid"] for t in default["trades"]] == [fixed]
    named = await raw_call(http, router, _list_params(clock, type="eticket,fixed"))
    assert {t["tid"] for t in named["trades"]} == {fixed, eticket}


async def test_shift_pages_makes_forward_paging_miss(
    http: aiohttp.ClientSession, router: str, shopper: Shopper, sandbox: TaobaoSandbox, clock: OffsetClock
) -> None:
    """The knob works: reading pages 1, 2, 3… while trades move loses some (why we page backwards)."""
    tids = {(await shopper.place())["tid"] for _ in range(9)}
    params = _list_params(clock, page_size="3", end_modified=format_timestamp(clock()))
    clock.advance(2)
    sandbox.update_knobs(shift_pages=True)
    seen = set()
    for page in (1, 2, 3):
        body = await raw_call(http, router, {**params, "page_no": str(page)})
        seen |= {t["tid"] for t in body.get("trades", [])}
    assert seen < tids and sandbox.stats.pages_shifted == 3


async def test_the_same_listing_asked_again_sees_every_change_since(
    http: aiohttp.ClientSession, router: str, shopper: Shopper, sandbox: TaobaoSandbox, clock: OffsetClock
) -> None:
    """The pages of one listing share one answer, but a new trade or a new version is seen at once."""
    first = (await shopper.place())["tid"]
    params = _list_params(clock, page_size="1")
    page_1 = await raw_call(http, router, {**params, "page_no": "1"})
    assert [t["tid"] for t in page_1["trades"]] == [first]
    second = (await shopper.place())["tid"]
    both = await raw_call(http, router, params)
    assert both["total_results"] == 2 and both["trades"][0]["tid"] == second
    clock.advance(2)
    await shopper.pay(first)  # a new version of the first: it is now the most recently modified
    again = await raw_call(http, router, params)
    assert [t["tid"] for t in again["trades"]] == [first]


async def test_dummy_send_sub_codes(http: aiohttp.ClientSession, router: str, shopper: Shopper) -> None:
    """Unknown trade B01, unpaid B04, shipped B27; a bad feature is refused."""
    send = {"method": "taobao.logistics.dummy.send", "simplify": "true"}
    unpaid = await shopper.place()
    assert _error(await raw_call(http, router, {**send, "tid": "42"}))[1] == f"{DUMMY}:B01"
    assert _error(await raw_call(http, router, {**send, "tid": str(unpaid["tid"])}))[1] == f"{DUMMY}:B04"
    await shopper.pay(unpaid["tid"])
    bad = {**send, "tid": str(unpaid["tid"]), "feature": "identCode=999:X"}
    assert _error(await raw_call(http, router, bad))[1] == "isv.invalid-parameter:feature"
    ok = await raw_call(http, router, {**send, "tid": str(unpaid["tid"])})
    assert ok["shipping"] == {"is_success": True}
    assert _error(await raw_call(http, router, {**send, "tid": str(unpaid["tid"])}))[1] == f"{DUMMY}:B27"


async def test_memo_update_rules(http: aiohttp.ClientSession, router: str, shopper: Shopper) -> None:
    """flag must be 0–5, memo at most 1000 bytes, and an update bumps ``modified``."""
    placed = await shopper.paid_trade()
    before = (await shopper.inspect(placed["tid"]))["modified"]
    update = {"method": "taobao.trade.memo.update", "simplify": "true", "tid": str(placed["tid"])}
    assert _error(await raw_call(http, router, {**update, "flag": "6"}))[1] == "isv.invalid-parameter:flag"
    assert (
        _error(await raw_call(http, router, {**update, "memo": "已" * 334}))[1]
        == "isv.invalid-parameter:memo"
    )
    ok = await raw_call(http, router, {**update, "memo": "已" * 333, "flag": "5"})
    assert ok["trade"]["tid"] == placed["tid"]
    after = await shopper.inspect(placed["tid"])
    assert after["modified"] > before and (after["memo"], after["flag"]) == ("已" * 333, 5)


async def test_memo_update_without_a_flag_turns_it_grey(
    http: aiohttp.ClientSession, router: str, shopper: Shopper
) -> None:
    """flag is optional with "默认值为0": an update that leaves it out sets grey."""
    placed = await shopper.paid_trade()
    update = {"method": "taobao.trade.memo.update", "simplify": "true", "tid": str(placed["tid"])}
    await raw_call(http, router, {**update, "memo": "a", "flag": "4"})
    await raw_call(http, router, {**update, "memo": "b"})
    assert ((seen := await shopper.inspect(placed["tid"]))["memo"], seen["flag"]) == ("b", 0)


async def test_rate_limit_answers_code_7(
    http: aiohttp.ClientSession, router: str, sandbox: TaobaoSandbox
) -> None:
    """Beyond ``rate_limit_per_s`` calls in a second: code 7 with the ban text."""
    sandbox.update_knobs(rate_limit_per_s=2)
    answers = [
        await raw_call(http, router, {"method": "taobao.time.get", "simplify": "true"}) for _ in range(3)
    ]
    assert "time" in answers[0] and "time" in answers[1]
    err = answers[2]["error_response"]
    assert err["code"] == 7 and "This ban will last for 1 more seconds" in err["sub_msg"]
    assert sandbox.stats.rate_limited == 1


async def test_injected_errors_are_counted(
    http: aiohttp.ClientSession, router: str, sandbox: TaobaoSandbox
) -> None:
    """An injected isp failure answers code 15 ``isp.*`` and is counted by kind."""
    sandbox.update_knobs(error_rate={"isp": 1.0})
    body = await raw_call(http, router, {"method": "taobao.time.get", "simplify": "true"})
    assert _error(body) == (15, "isp.top-remote-connection-timeout")
    assert sandbox.stats.to_json()["errors_injected"] == {"isp": 1, "call_limit": 0, "session": 0}


def test_seeded_sandboxes_are_deterministic() -> None:
    """Same seed, same clock, same moves: the same tids and oids; ids are large and distinct."""
    at = datetime(2024, 5, 1, 12, tzinfo=CST)

    def ids(seed: int) -> list[int]:
        box = TaobaoSandbox(rng=random.Random(seed), clock=lambda: at)
        trades = [box.create_trade("b", [NewLine("S", "t", 100, 1, 100)] * 2) for _ in range(20)]
        return [i for t in trades for i in (t.tid, *(line.oid for line in t.lines))]

    first = ids(7)
    assert first == ids(7) and first != ids(8)
    assert len(set(first)) == len(first) and min(first) >= 10**15
    assert any(i > 2**53 for i in first)
