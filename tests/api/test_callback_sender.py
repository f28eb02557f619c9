"""The callbacks' sender over a real outbox (both engines) and real HTTP to a receiver that checks
signatures: signed with the key, retried on the schedule after a 500, a drop or a slow answer until a 2xx,
never sent by two instances at once."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from structlog.testing import capture_logs

from adapters.callbacks.client import CallbackClient
from bridge.core.api_orders import ApiOrderRecord
from bridge.core.callbacks import SCHEDULE_S
from bridge.services.api_callbacks import Sender, send_due
from bridge.services.metering import NoMetrics
from bridge.store import SqlStore
from bridge.store.api_callbacks import queue_callback
from tests.api.receiver import NOW, SECRET, SETTINGS, Clock, Receiver

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
PAYLOAD = {"order_id": "H-1", "state": "delivered"}


class Counted(NoMetrics):
    def __init__(self) -> None:
        self.outcomes: list[str] = []

    def callback_attempt(self, outcome: str) -> None:
        self.outcomes.append(outcome)


@dataclass
class Outbox:
    store: SqlStore
    receiver: Receiver
    url: str
    clock: Clock
    http: aiohttp.ClientSession
    metrics: Counted

    def sender(self, owner: str = "bridge-1") -> Sender:
        poster = CallbackClient(self.http)
        return Sender(
            self.store.api_callbacks, poster, SETTINGS, self.clock, owner, random.Random(7), self.metrics
        )

    async def queue(self, order_id: str = "H-1", state: str = "delivered") -> str:
        record = ApiOrderRecord("hall", order_id, {"order_id": order_id}, "0" * 64, NOW, NOW, NOW)
        await self.store.api_orders.add_order(record)
        async with self.store.engine.begin() as conn:
            key = await queue_callback(conn, "hall", order_id, state, self.url, PAYLOAD, self.clock())
        assert key is not None
        return key


@pytest.fixture
async def outbox(store: SqlStore, aiohttp_server: ServerFactory) -> AsyncIterator[Outbox]:
    receiver = Receiver()
    server = await aiohttp_server(receiver.app())
    url = str(server.make_url("/hook/orders?v=1"))
    async with aiohttp.ClientSession() as http:
        yield Outbox(store, receiver, url, Clock(), http, Counted())


async def test_a_callback_is_delivered_signed_with_its_idempotency_key(outbox: Outbox) -> None:
    """The receiver checks the client's signature over the callback request and reads the row's key."""
    key = await outbox.queue()
    assert await send_due(outbox.sender()) == 1
    [got] = outbox.receiver.got
    assert (got.key, got.body, got.signed) == (key, PAYLOAD, True)
    [row] = await outbox.store.api_callbacks.order_callbacks("hall", "H-1")
    assert (row.acknowledged_at, row.attempts, row.last_status) == (NOW, 1, 200)


async def test_an_acknowledged_callback_is_not_sent_again(outbox: Outbox) -> None:
    """Once a 2xx came back, later looks find nothing due."""
    await outbox.queue()
    await send_due(outbox.sender())
    outbox.clock.later(3600)
    assert await send_due(outbox.sender()) == 0
    assert len(outbox.receiver.got) == 1


@pytest.mark.parametrize("failure", ["500", "drop", "slow"])
async def test_a_failed_try_is_retried_on_the_schedule_until_a_2xx(outbox: Outbox, failure: str) -> None:
    """A 500, a dropped connection or an answer slower than the timeout: tried again after the schedule's
    delay (not before), with the same key, until the receiver answers 2xx."""
    outbox.receiver.answers = [failure, failure]
    key = await outbox.queue()
    assert await send_due(outbox.sender()) == 0
    [row] = await outbox.store.api_callbacks.order_callbacks("hall", "H-1")
    assert row.attempts == 1 and row.acknowledged_at is None
    assert row.last_status == (500 if failure == "500" else None)
    assert SCHEDULE_S[0] * 0.8 <= (row.next_at - NOW).total_seconds() <= SCHEDULE_S[0] * 1.2
    outbox.clock.later(SCHEDULE_S[0] * 0.5)
    assert await send_due(outbox.sender()) == 0 and len(outbox.receiver.got) == 1  # not yet due
    outbox.clock.later(SCHEDULE_S[0] * 0.7)
    assert await send_due(outbox.sender()) == 0  # the second failure
    outbox.clock.later(SCHEDULE_S[1] * 1.2)
    assert await send_due(outbox.sender()) == 1
    assert [g.key for g in outbox.receiver.got] == [key, key, key]
    [row] = await outbox.store.api_callbacks.order_callbacks("hall", "H-1")
    assert (row.attempts, row.last_status, row.acknowledged_at is not None) == (3, 200, True)
    assert outbox.metrics.outcomes[-1] == "acknowledged"


async def test_two_senders_never_send_one_callback_at_once(outbox: Outbox) -> None:
    """While one instance's try is in flight (the receiver holds it), another instance's look over the same
    outbox finds nothing to send; the row is sent once."""
    await outbox.queue()
    arrived = asyncio.Event()
    outbox.receiver.hold = asyncio.Event()
    outbox.receiver.entered = arrived.set
    first = asyncio.create_task(send_due(outbox.sender("bridge-1")))
    await asyncio.wait_for(arrived.wait(), 5)
    assert await send_due(outbox.sender("bridge-2")) == 0
    outbox.receiver.hold.set()
    assert await first == 1
    assert len(outbox.receiver.got) == 1


async def test_the_log_names_host_key_and_status_never_the_secret(outbox: Outbox) -> None:
    """Each try is logged with the URL's host, the callback's key and the status; no secret, no signature."""
    outbox.receiver.answers = ["500"]
    key = await outbox.queue()
    with capture_logs() as logs:
        await send_due(outbox.sender())
        outbox.clock.later(SCHEDULE_S[0] * 2)
        await send_due(outbox.sender())
    tries = [e for e in logs if e["event"] in ("callback_failed", "callback_acknowledged")]
    assert [(e["event"], e["host"], e["callback"], e["status"]) for e in tries] == [
        ("callback_failed", "127.0.0.1", key, 500),
        ("callback_acknowledged", "127.0.0.1", key, 200),
    ]
    assert SECRET not in repr(logs)


async def test_no_more_than_callback_concurrency_tries_are_in_flight(outbox: Outbox) -> None:
    """Six due, ``callback_concurrency`` 4: the receiver holds four at once, the others wait their turn."""
    for n in range(6):
        await outbox.queue(f"H-{n}")
    arrived: list[int] = []
    four = asyncio.Event()

    def entered() -> None:
        arrived.append(1)
        if len(arrived) == SETTINGS.callback_concurrency:
            four.set()

    outbox.receiver.hold, outbox.receiver.entered = asyncio.Event(), entered
    sending = asyncio.create_task(send_due(outbox.sender()))
    await asyncio.wait_for(four.wait(), 5)
    await asyncio.sleep(0.2)  # room for a fifth, were it let through
    assert len(arrived) == SETTINGS.callback_concurrency
    outbox.receiver.hold.set()
    assert await sending == 6


async def test_a_callback_of_a_client_no_longer_configured_stays_pending(outbox: Outbox) -> None:
    """Nothing is sent unsigned: the try is recorded as failed and retried on the schedule."""
    await outbox.queue()
    bare = replace(outbox.sender(), api=SETTINGS.model_copy(update={"clients": {}}))
    assert await send_due(bare) == 0
    [row] = await outbox.store.api_callbacks.order_callbacks("hall", "H-1")
    assert (row.attempts, row.last_error, outbox.receiver.got) == (1, "client not configured", [])
