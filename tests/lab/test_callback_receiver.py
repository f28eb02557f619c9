"""The lab's callback receiver over real HTTP: its signature check, its idempotency, its bad behaviour."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bridge.core.api_signing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bridge.lab.receiver import (
    IDEMPOTENCY_HEADER,
    CallbackReceiver,
    ReceiverKnobs,
    RunningReceiver,
    start_receiver,
)

SECRET = "hall-callback-secret"
PATH = "/callbacks/hall"


@pytest.fixture
async def served() -> AsyncIterator[RunningReceiver]:
    running = await start_receiver(CallbackReceiver({"hall-1": SECRET}))
    try:
        yield running
    finally:
        await running.stop()


async def _send(
    running: RunningReceiver,
    key: str = "hall.H1.1",
    *,
    secret: str = SECRET,
    off_s: int = 0,
    timeout_s: float = 5.0,
) -> int:
    """One callback as the bridge's sender signs it; the status it got."""
    body = json.dumps({"order_id": "H1", "state": "delivered", "event_key": key}).encode()
    stamp = str(int(time.time()) + off_s)
    headers = {
        KEY_HEADER: "hall-1",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(secret, "POST", PATH, stamp, body),
        IDEMPOTENCY_HEADER: key,
        "Content-Type": "application/json",
    }
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(running.url + PATH, data=body, headers=headers) as resp,
    ):
        return resp.status


async def test_a_signed_callback_is_acknowledged_with_its_payload(served: RunningReceiver) -> None:
    """A callback signed with the client's secret is answered 200 and its key recorded with its body."""
    assert await _send(served) == 200
    assert served.receiver.acknowledged == {
        "hall.H1.1": {"order_id": "H1", "state": "delivered", "event_key": "hall.H1.1"}
    }


async def test_a_key_sent_again_counts_once_and_as_a_duplicate(served: RunningReceiver) -> None:
    """The same idempotency key twice: answered 200 both times, acknowledged once, one duplicate."""
    assert [await _send(served), await _send(served)] == [200, 200]
    assert list(served.receiver.acknowledged) == ["hall.H1.1"]
    assert served.receiver.stats()["duplicates"] == 1


@pytest.mark.parametrize(
    ("signing", "kind"),
    [({"secret": "another-secret"}, "bad_signature"), ({"off_s": -900}, "stale")],
    ids=["wrong-secret", "skewed-timestamp"],
)
async def test_a_badly_signed_callback_is_refused_and_not_acknowledged(
    served: RunningReceiver, signing: dict[str, Any], kind: str
) -> None:
    """A callback signed with another secret, or 15 minutes old, is refused 401 and never acknowledged."""
    assert await _send(served, **signing) == 401
    assert served.receiver.acknowledged == {}
    assert served.receiver.refused == {kind: 1}


async def test_a_failing_receiver_answers_500_and_acknowledges_nothing(served: RunningReceiver) -> None:
    """With every call failing, a good callback gets 500 and is not acknowledged."""
    served.receiver.knobs = ReceiverKnobs(error_rate=1.0)
    assert await _send(served) == 500
    assert served.receiver.acknowledged == {}
    assert served.receiver.spoiled == {"error": 1}


async def test_a_dropped_connection_gives_no_answer_and_acknowledges_nothing(served: RunningReceiver) -> None:
    """With every connection dropped, the sender sees the server disconnect; nothing acknowledged."""
    served.receiver.knobs = ReceiverKnobs(drop_rate=1.0)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await _send(served)
    assert served.receiver.acknowledged == {}


async def test_an_answer_slower_than_the_sender_acknowledges_nothing(served: RunningReceiver) -> None:
    """A call answered after its sender gave up is not acknowledged (the sender will send it again)."""
    served.receiver.knobs = ReceiverKnobs(slow_rate=1.0, slow_s=0.6)
    with pytest.raises(TimeoutError):
        await _send(served, timeout_s=0.2)
    await asyncio.sleep(0.8)  # the slow answer has come and gone
    assert served.receiver.acknowledged == {}
    assert served.receiver.spoiled == {"slow": 1}


async def test_a_slow_answer_the_sender_waits_for_is_acknowledged(served: RunningReceiver) -> None:
    """A slow answer within the sender's patience is a 200 like any other, and acknowledged."""
    served.receiver.knobs = ReceiverKnobs(slow_rate=1.0, slow_s=0.2)
    assert await _send(served, timeout_s=5.0) == 200
    assert list(served.receiver.acknowledged) == ["hall.H1.1"]


async def test_a_receiver_down_for_a_while_refuses_until_it_is_back(served: RunningReceiver) -> None:
    """``down_for(s)``: every call fails for s seconds, then the same callback is acknowledged."""
    served.receiver.down_for(0.4)
    assert await _send(served) == 500
    await asyncio.sleep(0.5)
    assert await _send(served) == 200
    assert list(served.receiver.acknowledged) == ["hall.H1.1"]
    assert served.receiver.spoiled == {"down": 1}


async def test_a_share_of_failures_spoils_about_that_share(served: RunningReceiver) -> None:
    """``error_rate=0.5`` over 40 distinct callbacks: some fail, some are acknowledged, all are counted."""
    served.receiver.knobs = ReceiverKnobs(error_rate=0.5)
    statuses = [await _send(served, key=f"hall.H{n}.1") for n in range(40)]
    assert 8 <= statuses.count(500) <= 32
    assert len(served.receiver.acknowledged) == statuses.count(200)


async def test_a_cap_per_key_lets_a_callback_through_after_its_spoils(served: RunningReceiver) -> None:
    """``spoils_per_key=1`` with every call failing: each key fails once, then is acknowledged."""
    served.receiver.knobs = ReceiverKnobs(error_rate=1.0, spoils_per_key=1)
    assert [await _send(served), await _send(served), await _send(served, key="hall.H2.1")] == [500, 200, 500]
    assert list(served.receiver.acknowledged) == ["hall.H1.1"]


async def test_the_cap_per_key_does_not_shorten_an_outage(served: RunningReceiver) -> None:
    """A key whose spoils are used up still fails while the receiver is down."""
    served.receiver.knobs = ReceiverKnobs(error_rate=1.0, spoils_per_key=1)
    assert await _send(served) == 500
    served.receiver.down_for(5.0)
    assert await _send(served) == 500
    assert served.receiver.acknowledged == {}
