"""The sandbox holds the platform's rules itself: windows, notes, the control endpoints."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from adapters.pinduoduo import PinduoduoClient
from adapters.pinduoduo.sandbox import NewItem, PinduoduoSandbox, RunningSandbox
from adapters.pinduoduo.signing import sign
from bridge.core.errors import RateLimited


async def _call(http: aiohttp.ClientSession, running: RunningSandbox, method: str, **params: object) -> Any:
    form = {
        "type": method,
        "client_id": "sandbox-client",
        "access_token": "sandbox-token",
        "timestamp": str(int(time.time())),
        "data_type": "JSON",
        **{k: str(v) for k, v in params.items()},
    }
    form["sign"] = sign(form, "sandbox-secret")
    async with http.post(running.router_url, data=form) as resp:
        assert resp.status == 200
        return await resp.json()


async def test_a_window_over_thirty_minutes_is_refused(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    """end − start ≤ 1800 s, as the method documents."""
    answer = await _call(
        http,
        running,
        "pdd.order.number.list.increment.get",
        start_updated_at=1_700_000_000,
        end_updated_at=1_700_001_801,
    )
    assert answer["error_response"]["error_code"] == 10000


async def test_a_tampered_request_is_refused(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    """Changing a parameter after signing breaks the signature: 20004."""
    form = {"type": "pdd.time.get", "client_id": "sandbox-client", "timestamp": str(int(time.time()))}
    form["sign"] = sign(form, "sandbox-secret")
    form["timestamp"] = str(int(form["timestamp"]) + 1)
    async with http.post(running.router_url, data=form) as resp:
        assert (await resp.json())["error_response"]["error_code"] == 20004


@pytest.mark.parametrize(
    ("params", "field"), [({"tag": 1}, "tag"), ({"tag": 1, "tag_name": "四个字符"}, "tag_name")]
)
async def test_note_tags_keep_their_rules(
    http: aiohttp.ClientSession, running: RunningSandbox, params: dict[str, object], field: str
) -> None:
    """tag and tag_name together, the name at most 3 characters."""
    sn = running.sandbox.place([NewItem("RC-50", "x", 5000)]).order_sn
    answer = await _call(http, running, "pdd.order.note.update", order_sn=sn, note="n", **params)
    assert answer["error_response"]["sub_code"] == f"isv.invalid-parameter:{field}"


async def test_the_deliveries_endpoint_counts_each_order(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    """A harness reads every order with its delivery count (duplicates show as 2+)."""
    sandbox: PinduoduoSandbox = running.sandbox
    shipped = sandbox.place([NewItem("RC-50", "x", 5000)]).order_sn
    waiting = sandbox.place([NewItem("RC-50", "x", 5000)]).order_sn
    await _call(
        http, running, "pdd.logistics.online.send", order_sn=shipped, logistics_id=1, tracking_number="t"
    )
    async with http.get(running.url + "/sandbox/deliveries") as resp:
        rows = {r["order_sn"]: r["delivered"] for r in (await resp.json())["orders"]}
    assert rows == {shipped: 1, waiting: 0}


async def test_bulk_placing_checks_every_order_first(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    """One bad order in a bulk body places none."""
    good = {"items": [{"outer_id": "RC-50", "goods_name": "x", "price": "50.00"}], "recharge_account": "1"}
    bad = {"items": [{"outer_id": "RC-50", "goods_name": "x", "price": "5.001"}]}
    async with http.post(running.url + "/sandbox/orders/bulk", json={"orders": [good, bad]}) as resp:
        assert resp.status == 400
    async with http.post(running.url + "/sandbox/orders/bulk", json={"orders": [good, good]}) as resp:
        assert len((await resp.json())["orders"]) == 2
    assert sum(1 for _ in running.sandbox.book) == 2


async def test_bad_knobs_are_refused_whole(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    """A bad value changes nothing and names itself."""
    async with http.post(
        running.url + "/sandbox/knobs", json={"shift_pages": True, "duplicate_rate": 2}
    ) as resp:
        assert resp.status == 400 and "duplicate_rate" in (await resp.json())["error"]
    assert running.sandbox.knobs.shift_pages is False


async def test_calls_beyond_the_limit_per_second_are_refused_with_70031(
    running: RunningSandbox, make_client: Callable[..., PinduoduoClient]
) -> None:
    """Two calls a second allowed: the third within the second is ``RateLimited``."""
    running.sandbox.update_knobs(rate_limit_per_s=2)
    client = make_client()
    await client.server_time()
    await client.server_time()
    with pytest.raises(RateLimited) as caught:
        await client.server_time()
    assert caught.value.code == "PDD_RATE_LIMITED" and running.sandbox.stats.rate_limited == 1
