"""The sandbox's knobs: in-flight cap, maintenance windows, lost answers, errors, latency."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from datetime import datetime, timedelta

import aiohttp
import pytest
from pydantic import ValidationError

from adapters.billing_core import BillingClient
from adapters.billing_core.sandbox import BillingKnobs, RunningSandbox
from bridge.core.errors import Ambiguous, Unavailable
from bridge.core.models import CST, Recharge

from .helpers import raw_call


async def test_in_flight_cap_answers_429_with_retry_after(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    running.sandbox.set_knobs(max_in_flight=2, latency_ms=300)
    calls = [raw_call(http, running.base_url, "GET", "/v1/products") for _ in range(3)]
    answers = await asyncio.gather(*calls)
    refused = [a for a in answers if a[0] == 429]
    assert sorted(a[0] for a in answers) == [200, 200, 429]
    _, body, headers = refused[0]
    assert headers["Retry-After"] == "1"
    assert body["error"] == {
        "code": "RATE_LIMITED",
        "message": "more than 2 requests in flight",
        "retryable": True,
    }
    assert running.sandbox.in_flight["sandbox-key"] == 0


async def test_no_cap_when_max_in_flight_is_zero(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    running.sandbox.set_knobs(max_in_flight=0, latency_ms=100)
    answers = await asyncio.gather(
        *(raw_call(http, running.base_url, "GET", "/v1/products") for _ in range(6))
    )
    assert {a[0] for a in answers} == {200}


async def test_maintenance_answers_503_and_the_client_sees_unavailable(
    http: aiohttp.ClientSession, running: RunningSandbox, client: BillingClient
) -> None:
    running.sandbox.knobs.maintenance = True
    status, body, headers = await raw_call(http, running.base_url, "GET", "/v1/products")
    assert (status, body["error"]["code"], headers["Retry-After"]) == (503, "MAINTENANCE", "60")
    with pytest.raises(Unavailable) as caught:
        await client.products()
    assert caught.value.retry_after == 60.0


async def test_scheduled_window_set_over_http(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    now = datetime.now(CST)
    window = {
        "maintenance_from": (now - timedelta(minutes=1)).isoformat(),
        "maintenance_until": (now + timedelta(seconds=120)).isoformat(),
    }
    async with http.post(running.base_url + "/sandbox/knobs", json=window) as resp:
        assert resp.status == 200
    status, _, headers = await raw_call(http, running.base_url, "GET", "/v1/products")
    assert status == 503 and 110 <= int(headers["Retry-After"]) <= 121
    running.sandbox.set_knobs(maintenance_until=now - timedelta(seconds=1))
    assert (await raw_call(http, running.base_url, "GET", "/v1/products"))[0] == 200


@pytest.mark.parametrize(
    ("window", "clock", "retry_after"),
    [
        ("23:50-00:10", "23:55:00", 900),
        ("23:50-00:10", "00:05:00", 300),
        ("23:50-00:10", "00:10:00", None),
        ("23:50-00:10", "23:49:59", None),
        ("23:50-00:10", "12:00:00", None),
        ("01:00-02:00", "01:30:00", 1800),
    ],
)
def test_nightly_window(window: str, clock: str, retry_after: int | None) -> None:
    knobs = BillingKnobs(maintenance_nightly=window)
    now = datetime.fromisoformat(f"2026-11-24T{clock}+08:00")
    assert knobs.maintenance_retry_after(now) == retry_after


def test_nightly_window_is_cst_whatever_the_callers_zone() -> None:
    knobs = BillingKnobs(maintenance_nightly="23:50-00:10")
    assert knobs.maintenance_retry_after(datetime.fromisoformat("2026-11-24T15:55:00+00:00")) == 900


async def test_lost_answer_was_applied_and_can_be_found(
    running: RunningSandbox, client: BillingClient
) -> None:
    card = running.sandbox.state.cards_by_role("active", True)[0]
    running.sandbox.set_knobs(lose_answer_rate=1.0)
    with pytest.raises(Ambiguous):
        await client.apply(Recharge("k-lost", card, 5000))
    assert running.sandbox.lost_answers == 1
    assert running.sandbox.stats()["calls"]["POST /v1/operations"] == {"lost": 1}
    found = await client.find("k-lost")
    assert found is not None and found.balance_fen == running.sandbox.state.accounts[card].balance_fen
    running.sandbox.set_knobs(lose_answer_rate=0.0)
    assert await client.apply(Recharge("k-lost", card, 5000)) == found


async def test_injected_error_applies_nothing(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    running.sandbox.set_knobs(error_rate=1.0)
    body = b'{"request_id":"k-500","kind":"issue_cards","face_value_fen":5000,"count":1}'
    status, answer, _ = await raw_call(http, running.base_url, "POST", "/v1/operations", body)
    assert (status, answer["error"]["code"], answer["error"]["retryable"]) == (500, "INTERNAL", True)
    assert running.sandbox.state.records == {}


async def test_latency_is_applied(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    running.sandbox.set_knobs(latency_ms=150)
    started = time.monotonic()
    assert (await raw_call(http, running.base_url, "GET", "/v1/products"))[0] == 200
    assert time.monotonic() - started >= 0.14


def test_latency_distribution_has_the_median_and_tail_asked_for() -> None:
    knobs = BillingKnobs(latency_ms=40, latency_tail_ms=400)
    rng = random.Random(1)
    samples = sorted(knobs.sample_latency_s(rng) * 1000 for _ in range(20000))
    assert statistics.median(samples) == pytest.approx(40, rel=0.05)
    assert samples[int(0.99 * len(samples))] == pytest.approx(400, rel=0.15)
    assert samples[-1] <= 1200


@pytest.mark.parametrize(("median", "tail", "expected"), [(0, 500, 0.0), (50, 0, 0.05), (50, 50, 0.05)])
def test_latency_degenerate_cases(median: float, tail: float, expected: float) -> None:
    knobs = BillingKnobs(latency_ms=median, latency_tail_ms=tail)
    assert knobs.sample_latency_s(random.Random(1)) == expected


async def test_knobs_endpoint_reads_and_partially_updates(
    http: aiohttp.ClientSession, running: RunningSandbox
) -> None:
    async with http.get(running.base_url + "/sandbox/knobs") as resp:
        assert await resp.json() == BillingKnobs().model_dump(mode="json")
    async with http.post(running.base_url + "/sandbox/knobs", json={"max_in_flight": 8}) as resp:
        assert (await resp.json())["max_in_flight"] == 8
    assert running.sandbox.knobs.max_in_flight == 8 and running.sandbox.knobs.latency_ms == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [({"lose_answers": 1}, "lose_answers"), ({"lose_answer_rate": 2}, "lose_answer_rate"),
     ({"maintenance_nightly": "23:50"}, "maintenance_nightly"), ([1, 2], "object")],
)  # fmt: skip  # one case per line reads as a table
async def test_knobs_endpoint_refuses_typos_and_bad_values(
    http: aiohttp.ClientSession, running: RunningSandbox, change: object, field: str
) -> None:
    async with http.post(running.base_url + "/sandbox/knobs", json=change) as resp:
        assert resp.status == 400
        assert field in (await resp.json())["error"]["message"]
    assert running.sandbox.knobs == BillingKnobs()


def test_knobs_assignment_is_validated() -> None:
    knobs = BillingKnobs()
    with pytest.raises(ValidationError):
        knobs.error_rate = 1.5


async def test_subscribers_endpoint_filters(http: aiohttp.ClientSession, running: RunningSandbox) -> None:
    async def count(query: str) -> int:
        async with http.get(running.base_url + "/sandbox/subscribers" + query) as resp:
            return len((await resp.json())["subscribers"])

    assert await count("") == 2400
    assert await count("?status=active&two_way=true") == 2000
    assert await count("?status=active&two_way=false") == 300
    assert await count("?status=suspended") == 50
    assert await count("?status=closed&limit=5") == 5


async def test_ledger_endpoint_lists_applied_operations(
    http: aiohttp.ClientSession, running: RunningSandbox, client: BillingClient
) -> None:
    card = running.sandbox.state.cards_by_role("active", True)[0]
    await client.apply(Recharge("k-1", card, 100))
    async with http.get(running.base_url + "/sandbox/ledger") as resp:
        (row,) = (await resp.json())["operations"]
    assert {k: row[k] for k in ("request_id", "kind", "card_no", "amount_fen", "status")} == {
        "request_id": "k-1",
        "kind": "recharge",
        "card_no": card,
        "amount_fen": 100,
        "status": "applied",
    }
    assert datetime.fromisoformat(row["applied_at"]).tzinfo is not None and "." in row["applied_at"]
