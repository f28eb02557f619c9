"""``POST /api/router``: the sandbox's Pinduoduo gateway envelope.

Checks what the real gateway checks, in this order (docs/storefronts/pinduoduo.md
§1, §4): ``type`` (10001), ``client_id`` (10016), ``data_type`` (10001),
``timestamp`` in UNIX seconds within 10 minutes of the platform's clock
(10001), the MD5 signature over the merged query and form parameters
(20004), the method known (10001), the shop's ``access_token`` (20032, or
10019 once expired), then the call-rate limit and injected faults (70031,
52103, 50000, 10019), then the method itself. Errors are HTTP 200 with
``error_response``.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from adapters.pinduoduo.sandbox.book import OrderBook
from adapters.pinduoduo.sandbox.controls import Controls
from adapters.pinduoduo.sandbox.methods import METHODS
from adapters.pinduoduo.sandbox.render import PddFault, dumps
from adapters.pinduoduo.signing import sign

_SKEW_S = 600


@dataclass(frozen=True)
class Credentials:
    """The one app the sandbox shop knows, and the seller's access token."""

    client_id: str
    client_secret: str = field(repr=False)  # never print the secret
    access_token: str = field(repr=False)  # nor the token


def _public(why: str) -> PddFault:
    return PddFault(10001, "公共参数错误", None, why)


def _limited() -> PddFault:
    return PddFault(70031, "调用过于频繁，请调整调用频率")


def _busy() -> PddFault:
    return PddFault(52103, "服务暂时不可用，请稍后重试")


def _system() -> PddFault:
    return PddFault(50000, "系统内部错误")


def _expired() -> PddFault:
    return PddFault(10019, "access_token已过期", None, "刷新access_token或者重新授权再次获取access_token")


def _check_envelope(creds: Credentials, now_s: float, params: dict[str, str]) -> None:
    if not params.get("type"):
        raise _public("type is required")
    if params.get("client_id") != creds.client_id:
        raise PddFault(10016, "client_id不正确")
    if params.get("data_type", "JSON") != "JSON":
        raise _public("the sandbox answers JSON only: send data_type=JSON")
    stamp = params.get("timestamp", "")
    if not stamp.isdigit():
        raise _public("timestamp must be UNIX seconds")
    if abs(int(stamp) - now_s) > _SKEW_S:
        raise _public("timestamp is more than 10 minutes from the platform's time")
    sent = params.get("sign", "")
    expected = sign(params, creds.client_secret)
    if not hmac.compare_digest(sent.upper().encode("ascii", "replace"), expected.encode("ascii")):
        raise PddFault(20004, "签名sign校验失败")


class Gateway:
    """The router handler plus its rolling one-second call window."""

    def __init__(self, credentials: Credentials, book: OrderBook, controls: Controls) -> None:
        self._creds = credentials
        self._book = book
        self._controls = controls
        self._recent: deque[float] = deque()
        self._requests = 0

    def _rate_limit(self) -> None:
        limit = self._controls.knobs.rate_limit_per_s
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if limit and len(self._recent) >= limit:
            self._controls.stats.rate_limited += 1
            raise _limited()
        self._recent.append(now)

    def _inject(self) -> None:
        rates, rng, stats = self._controls.knobs.error_rate, self._controls.faults_rng, self._controls.stats
        faults: tuple[tuple[str, float, Callable[[], PddFault]], ...] = (
            ("rate_limit", rates.rate_limit, _limited),
            ("busy", rates.busy, _busy),
            ("system", rates.system, _system),
            ("expired_token", rates.expired_token, _expired),
        )
        for kind, rate, fault in faults:
            if rate and rng.random() < rate:
                stats.injected[kind] += 1
                raise fault()

    def _token(self, params: dict[str, str]) -> None:
        if params.get("access_token") != self._creds.access_token:
            raise PddFault(20032, "access_token或client_id错误")
        if self._controls.knobs.token_expired:
            raise _expired()

    def dispatch(self, params: dict[str, str]) -> dict[str, Any]:
        method = params.get("type", "")
        self._controls.stats.calls[method or "(none)"] += 1
        _check_envelope(self._creds, self._book.now().timestamp(), params)
        if method not in METHODS:
            raise _public(f"unknown type {method}")
        needs_token, handler = METHODS[method]
        if needs_token:
            self._token(params)
        self._rate_limit()
        self._inject()
        return handler(self._book, self._controls, params)

    async def handle(self, request: web.Request) -> web.Response:
        params = dict(request.query.items())
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
        low, high = self._controls.knobs.latency_ms
        if high:
            await asyncio.sleep(self._controls.latency_rng.uniform(low, high) / 1000)
        self._requests += 1
        request_id = f"sb-pdd-{self._requests:x}"
        try:
            answer = self.dispatch(params)
        except PddFault as fault:
            self._controls.stats.errors[str(fault.code)] += 1
            return web.json_response(fault.body(request_id), dumps=dumps)
        for inner in answer.values():
            if isinstance(inner, dict):
                inner.setdefault("request_id", request_id)
        return web.json_response(answer, dumps=dumps)
