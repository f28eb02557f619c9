"""A channel client's callback receiver: where the bridge's signed notifications land in the lab.

A real aiohttp server on a free port of localhost, standing in for the
operator's online hall. Each ``POST`` is checked the way a careful client
would: the key id known, the timestamp within ``SKEW_S`` of its clock, the
signature (``bridge.core.api_signing``, over the path the request was sent to)
made with that client's secret, the ``Idempotency-Key`` present. A good
callback is answered 200 and its key recorded as acknowledged; the same key
again is answered 200 as well (the client deduplicates, as the API asks) and
counted apart as a duplicate, never twice.

Its knobs (``ReceiverKnobs``, changed while it runs) make it a bad neighbour:
a fraction of calls answered slowly (a call whose sender hung up by then is
not acknowledged), with 500, or with the connection dropped; or every call
refused for a while (``down_for``). A call the knobs spoil is never
acknowledged, whatever its signature. ``spoils_per_key`` bounds how often the
fractions hit one notification (the sender's schedule waits longer after each
failure: a run that must end in minutes caps the bad luck, not the faults).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from bridge.core.api_signing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_matches

__all__ = [
    "IDEMPOTENCY_HEADER",
    "SKEW_S",
    "CallbackReceiver",
    "ReceiverKnobs",
    "RunningReceiver",
    "receiving",
    "start_receiver",
]

IDEMPOTENCY_HEADER = "Idempotency-Key"
SKEW_S = 300
"""A callback whose timestamp is further off the receiver's clock is refused (401), as the API does."""

Spoil = Literal["slow", "error", "drop"]


@dataclass
class ReceiverKnobs:
    """How badly the receiver behaves; the defaults answer every good callback at once."""

    slow_rate: float = 0.0  # a share of calls answered only after slow_s (the sender gave up by then)
    slow_s: float = 12.0
    error_rate: float = 0.0  # a share answered 500
    drop_rate: float = 0.0  # a share whose connection is dropped without an answer
    down_until: float = 0.0  # time.monotonic() until which every call is spoiled by down_mode
    down_mode: Spoil = "error"
    spoils_per_key: int = 0  # the most calls of one idempotency key the shares spoil (0: no limit)


@dataclass
class CallbackReceiver:
    """The receiver's state: the clients' secrets (key id → secret), its knobs and what it recorded."""

    secrets: dict[str, str]
    knobs: ReceiverKnobs = field(default_factory=ReceiverKnobs)
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each acknowledged idempotency key with the first payload that carried it (in arrival order)."""
    duplicates: Counter[str] = field(default_factory=Counter)
    """Keys received again after they were acknowledged: how many times each."""
    refused: Counter[str] = field(default_factory=Counter)
    """Calls turned away by kind: unsigned, unknown_key, stale, bad_signature, no_key, bad_json."""
    spoiled: Counter[str] = field(default_factory=Counter)
    """Calls the knobs spoiled by kind: slow, error, drop, down."""
    calls: int = 0
    _spoiled_keys: Counter[str] = field(default_factory=Counter)

    def down_for(self, seconds: float, mode: Spoil = "error") -> None:
        """Every call spoiled by ``mode`` for the next ``seconds`` (a client's outage)."""
        self.knobs.down_until = time.monotonic() + seconds
        self.knobs.down_mode = mode

    def calm(self) -> None:
        """Knobs back to well-behaved (the outage, if any, ends now)."""
        self.knobs = ReceiverKnobs()

    def stats(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "acknowledged": len(self.acknowledged),
            "duplicates": sum(self.duplicates.values()),
            "refused": dict(self.refused),
            "spoiled": dict(self.spoiled),
        }

    def spoil(self, event_key: str = "") -> Spoil | None:
        """How the knobs spoil this call, if they do: the outage first, then each share drawn apart,
        unless they spoiled ``event_key`` ``spoils_per_key`` times already."""
        knobs = self.knobs
        if time.monotonic() < knobs.down_until:
            self.spoiled["down"] += 1
            return knobs.down_mode
        if knobs.spoils_per_key and self._spoiled_keys[event_key] >= knobs.spoils_per_key:
            return None
        for kind, rate in (("drop", knobs.drop_rate), ("error", knobs.error_rate), ("slow", knobs.slow_rate)):
            if rate > 0 and self.rng.random() < rate:
                self.spoiled[kind] += 1
                self._spoiled_keys[event_key] += 1
                return kind  # type: ignore[return-value]  # the tuple's literals
        return None

    def check(self, method: str, path_qs: str, headers: Any, body: bytes) -> str | None:
        """Why the call is refused (a ``refused`` kind), or None when it is a good callback."""
        key, stamp, signature = (headers.get(h, "") for h in (KEY_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
        if not (key and stamp and signature):
            return "unsigned"
        if (secret := self.secrets.get(key)) is None:
            return "unknown_key"
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > SKEW_S:
            return "stale"
        if not signature_matches(secret, method, path_qs, stamp, body, signature):
            return "bad_signature"
        if not headers.get(IDEMPOTENCY_HEADER, ""):
            return "no_key"
        return None

    def record(self, event_key: str, payload: dict[str, Any]) -> bool:
        """Record a good callback; False when its key was acknowledged before (a duplicate)."""
        if event_key in self.acknowledged:
            self.duplicates[event_key] += 1
            return False
        self.acknowledged[event_key] = payload
        return True


RECEIVER_KEY = web.AppKey("receiver", CallbackReceiver)


async def _callback(request: web.Request) -> web.StreamResponse:
    receiver = request.app[RECEIVER_KEY]
    receiver.calls += 1
    body = await request.read()
    spoil = receiver.spoil(request.headers.get(IDEMPOTENCY_HEADER, ""))
    if spoil == "drop" and request.transport is not None:
        request.transport.abort()  # no answer at all: the sender sees the connection go
        return web.Response(status=500)
    if spoil == "error":
        return web.json_response({"ok": False, "error": "receiver failing"}, status=500)
    refused = receiver.check(request.method, request.raw_path, request.headers, body)
    if refused is None:
        try:
            payload = json.loads(body)
        except ValueError:
            refused = "bad_json"
    if refused is not None:
        receiver.refused[refused] += 1
        status = 400 if refused == "bad_json" else 401
        return web.json_response({"ok": False, "error": refused}, status=status)
    if spoil == "slow":
        await asyncio.sleep(receiver.knobs.slow_s)
        if request.transport is None or request.transport.is_closing():
            return web.Response(status=200)  # the sender gave up: nobody hears this, nothing acknowledged
    receiver.record(request.headers[IDEMPOTENCY_HEADER], payload if isinstance(payload, dict) else {})
    return web.json_response({"ok": True})


@dataclass
class RunningReceiver:
    receiver: CallbackReceiver
    runner: web.AppRunner
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def callback_url(self, client: str) -> str:
        """The URL a client's orders name for their callbacks."""
        return f"{self.url}/callbacks/{client}"

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_receiver(
    receiver: CallbackReceiver, host: str = "127.0.0.1", port: int = 0
) -> RunningReceiver:
    """The receiver served on ``host`` (a free port unless ``port``): ``POST /callbacks/{client}``."""
    app = web.Application()
    app[RECEIVER_KEY] = receiver
    app.router.add_post("/callbacks/{client}", _callback)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return RunningReceiver(receiver, runner, host, int(bound))


@asynccontextmanager
async def receiving(receiver: CallbackReceiver) -> AsyncIterator[RunningReceiver]:
    """The receiver served on a free port of localhost while the context lasts."""
    running = await start_receiver(receiver)
    try:
        yield running
    finally:
        await running.stop()
