"""A channel client in the lab: the operator's online hall placing paid orders through the order API.

It speaks the API as a client would (``bridge.core.api_signing``, over real
HTTP with aiohttp) and records what it placed (each order's id, its lines and
what the billing core must give them) for verification. A request that gets no
answer (the daemon killed, a client-side timeout), a 429 or a 503 is sent
again, signed afresh (a signature is never reused: the API would refuse it as
a replay), until an answer that settles it or ``give_up_s``.

Its knobs make it the kind of client the API must survive: every
``duplicate_every``-th order is sent again (alternately the same bytes and the
same order written differently) and the two answers must be identical, status
and body, each mismatch recorded; every ``timeout_every``-th order is first
sent with a timeout too short to hear the answer, then sent again. The
misbehaviour that must be refused is ``bridge.lab.channel_drills``'.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
from yarl import URL

from bridge.core.api_signing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bridge.lab.order_kinds import PlannedOrder

__all__ = [
    "CHANNEL",
    "CHANNEL_KEY_ID",
    "CHANNEL_SECRET_ENV",
    "ORDERS_PATH",
    "Answer",
    "ChannelClient",
    "ChannelKnobs",
    "ChannelLog",
    "api_body",
    "api_section",
]

CHANNEL = "hall"
"""The lab's channel client: its name in ``[api.clients]``, so the shop its orders carry."""
CHANNEL_KEY_ID = f"{CHANNEL}-1"
CHANNEL_SECRET_ENV = "BRIDGE_API_HALL_SECRET"
"""The variable the lab's daemon reads the channel's secret from (``Credentials.api_secret``)."""
ORDERS_PATH = "/api/v1/orders"
_RETRIED = frozenset({429, 503})  # answers that say "send it again", after Retry-After


@dataclass(frozen=True)
class Answer:
    """An answer as the client heard it: the status and the JSON body (None: no JSON)."""

    status: int
    body: Any

    @property
    def code(self) -> str | None:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return str(error["code"]) if isinstance(error, dict) else None


@dataclass(frozen=True)
class ChannelKnobs:
    duplicate_every: int = 3  # every n-th order sent again, its answer compared (0: never)
    timeout_every: int = 7  # every n-th order first sent with a timeout too short for the answer (0: never)
    short_timeout_s: float = 0.002
    give_up_s: float = 120.0  # how long one request is sent again while nothing settles it


@dataclass
class ChannelLog:
    """What the channel did and heard, for the report."""

    placed: list[PlannedOrder] = field(default_factory=list)
    duplicates_sent: int = 0
    duplicates_identical: int = 0
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    timeouts: int = 0  # requests given up on by the client, then sent again
    resent: Counter[str] = field(default_factory=Counter)  # why a request was sent again: 429, 503, no_answer
    refusals: list[dict[str, Any]] = field(default_factory=list)  # the drills: expected code, got
    not_placed: list[dict[str, Any]] = field(default_factory=list)  # orders the API never took
    refunded: list[str] = field(default_factory=list)  # orders refunded by the channel (ids)

    def duplicate_submissions(self) -> dict[str, int]:
        return {"sent": self.duplicates_sent, "identical": self.duplicates_identical}


def api_section(listen: str, callback_host: str) -> dict[str, Any]:
    """An ``[api]`` table: the order API on ``listen``, open to the lab's channel client, whose
    callbacks may go to ``callback_host`` (the receiver's) only."""
    client = {
        "key_id": CHANNEL_KEY_ID,
        "secret_env": CHANNEL_SECRET_ENV,
        "rate_per_s": 1000.0,  # the lab places as fast as it is asked to
        "burst": 1000,
        "callback_hosts": [callback_host],
    }
    return {"enabled": True, "listen": listen, "clients": {CHANNEL: client}}


def api_body(
    order: PlannedOrder, order_id: str, paid_at: datetime, callback_url: str | None
) -> dict[str, Any]:
    """``POST /api/v1/orders``'s body for a lab order: each line's SKU, quantity, amount and card."""
    body: dict[str, Any] = {
        "order_id": order_id,
        "paid_at": paid_at.isoformat(),
        "lines": [
            {"sku": ln.outer_sku_id, "quantity": ln.quantity, "amount_fen": ln.payment_fen}
            | ({"card_no": ln.card_no} if ln.card_no else {})
            for ln in order.lines
        ],
    }
    if callback_url:
        body["callback_url"] = callback_url
    return body


@dataclass
class ChannelClient:
    """One client of the API at ``base`` (its key id and secret), placing orders named ``prefix``-n."""

    http: aiohttp.ClientSession
    base: str
    key_id: str
    secret: str
    callback_url: str | None = None
    knobs: ChannelKnobs = field(default_factory=ChannelKnobs)
    prefix: str = "H"
    log: ChannelLog = field(default_factory=ChannelLog)
    _used: set[str] = field(default_factory=set)

    def order_id(self, n: int) -> str:
        return f"{self.prefix}{n:07d}"

    def headers(
        self, method: str, target: str, body: bytes, *, secret: str | None = None, off_s: int = 0
    ) -> dict[str, str]:
        """Signed headers; the timestamp moves on a second when the signature was used already."""
        stamp = int(time.time()) + off_s
        while True:
            signature = sign(secret or self.secret, method, target, str(stamp), body)
            if signature not in self._used:
                break
            stamp += 1
        self._used.add(signature)
        return {
            KEY_HEADER: self.key_id,
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: signature,
            "Content-Type": "application/json",
        }

    async def raw(
        self, method: str, target: str, body: bytes, headers: dict[str, str], timeout_s: float = 30.0
    ) -> Answer:
        """The request exactly as given; raises on no answer (aiohttp's errors, TimeoutError)."""
        url = URL(self.base + target, encoded=True)
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with self.http.request(method, url, data=body, headers=headers, timeout=timeout) as resp:
            return Answer(resp.status, await resp.json(content_type=None))

    async def send(self, method: str, target: str, body: bytes = b"") -> Answer:
        """Signed, and signed again and resent while there is no answer, a 429 or a 503."""
        deadline = time.monotonic() + self.knobs.give_up_s
        while True:
            why, wait = "", 0.5
            try:
                answer = await self.raw(method, target, body, self.headers(method, target, body))
            except (aiohttp.ClientError, TimeoutError, ValueError):
                why = "no_answer"
            else:
                if answer.status not in _RETRIED:
                    return answer
                why = str(answer.status)
                wait = float(answer.body.get("error", {}).get("retry_after_s", 1)) if answer.code else 1.0
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {target}: nothing settled it in {self.knobs.give_up_s:g} s")
            self.log.resent[why] += 1
            await asyncio.sleep(min(wait, 2.0))

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Until the API answers (its unsigned OpenAPI document): a daemon just started takes a moment."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if (await self.raw("GET", "/api/v1/openapi.json", b"", {}, timeout_s=2.0)).status == 200:
                    return
            except (aiohttp.ClientError, TimeoutError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the order API at {self.base} did not answer within {timeout_s:g} s")
            await asyncio.sleep(0.2)

    async def orders_of_days(self, days: Iterable[date]) -> dict[str, dict[str, Any]]:
        """The client's orders paid on ``days`` (China time) as the API lists them, by order id."""
        found: dict[str, dict[str, Any]] = {}
        for day in days:
            page, pages = 1, 1
            while page <= pages:
                answer = await self.send("GET", f"{ORDERS_PATH}?date={day.isoformat()}&page={page}")
                if answer.status != 200:
                    raise RuntimeError(f"listing {day}: {answer.status} {answer.body}")
                found.update((o["order_id"], o) for o in answer.body["orders"])
                page, pages = page + 1, int(answer.body["pages"])
        return found

    async def place(self, order: PlannedOrder, n: int) -> PlannedOrder | None:
        """Place the lab's n-th channel order (with the knobs' misbehaviour); None if it was not taken."""
        order_id = self.order_id(n)
        raw = api_body(order, order_id, datetime.now(UTC), self.callback_url)
        body = json.dumps(raw, ensure_ascii=False).encode()
        if self.knobs.timeout_every and n % self.knobs.timeout_every == self.knobs.timeout_every - 1:
            await self._given_up(body)
        first = await self.send("POST", ORDERS_PATH, body)
        if first.status != 201:
            self.log.not_placed.append({"order_id": order_id, "status": first.status, "code": first.code})
            return None
        if self.knobs.duplicate_every and n % self.knobs.duplicate_every == 0:
            again = body if n % (2 * self.knobs.duplicate_every) == 0 else _rewritten(raw)
            self.compare(order_id, first, await self.send("POST", ORDERS_PATH, again))
        return self.placed_as(order, order_id)

    def placed_as(self, order: PlannedOrder, order_id: str) -> PlannedOrder:
        """Record ``order`` as placed (stored by the API) under ``order_id``."""
        order.storefront = "api"
        order.tid = order_id
        order.oids = [str(i) for i in range(1, len(order.lines) + 1)]  # the lines in the order sent
        self.log.placed.append(order)
        return order

    def compare(self, order_id: str, first: Answer, again: Answer) -> None:
        """A duplicate's answer against the first: identical (status and body), or a recorded mismatch."""
        self.log.duplicates_sent += 1
        if (again.status, again.body) == (first.status, first.body):
            self.log.duplicates_identical += 1
        else:
            self.log.mismatches.append(
                {
                    "order_id": order_id,
                    "first": [first.status, first.body],
                    "again": [again.status, again.body],
                }
            )

    async def _given_up(self, body: bytes) -> None:
        """The order sent with a timeout too short to hear the answer (it may or may not be stored)."""
        try:
            headers = self.headers("POST", ORDERS_PATH, body)
            await self.raw("POST", ORDERS_PATH, body, headers, self.knobs.short_timeout_s)
        except (aiohttp.ClientError, TimeoutError):
            pass
        self.log.timeouts += 1


def _rewritten(raw: dict[str, Any]) -> bytes:
    """The same order in other bytes: keys in reverse order, spaced out (the same meaning)."""

    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value

    return json.dumps(reverse(raw), indent=2).encode()
