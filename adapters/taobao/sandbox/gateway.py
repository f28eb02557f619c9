"""``POST /router/rest``: the sandbox's TOP gateway envelope.

Checks what the real router checks, in this order (taobao-top.md §1.2, §2.4,
§7): method (21), format (23), app key (28/29), timestamp ±10 min GMT+8 or
ms-epoch (30/31), version (32/34), signature for md5/hmac/hmac-sha256 over
the merged query and form parameters (24/25), method known (22), session
(26/27), then the rate limit and injected faults (code 7, ``isp.*``, 27),
then the method itself. API errors are HTTP 200 with ``error_response``.

The gateway holds the shop's ``Credentials``, its ``TradeBook`` and its
``Controls``, the three things it checks against, counts in and hands to the
methods; the ``TaobaoSandbox`` that assembles them sits above this module.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from adapters.taobao.sandbox.book import TradeBook
from adapters.taobao.sandbox.controls import Controls
from adapters.taobao.sandbox.methods import METHODS
from adapters.taobao.sandbox.protocol import Call, TopFault
from adapters.taobao.sandbox.render import dumps
from adapters.taobao.signing import SIGN_METHODS, parse_request_timestamp, sign

_SKEW = timedelta(minutes=10)
_BAN = "This ban will last for 1 more seconds"


@dataclass(frozen=True)
class Credentials:
    """The one app the sandbox shop knows, and the seller's session key."""

    app_key: str
    app_secret: str = field(repr=False)  # never print the secret
    session_key: str = field(repr=False)  # nor the session key


def _check_envelope(creds: Credentials, clock: Callable[[], datetime], params: dict[str, str]) -> None:
    if not params.get("method"):
        raise TopFault(21, "Missing Method")
    if params.get("format", "xml") != "json":
        raise TopFault(
            23, "Invalid Format", "isv.invalid-format", "the sandbox answers JSON only: send format=json"
        )
    if not params.get("app_key"):
        raise TopFault(28, "Missing App Key")
    if params["app_key"] != creds.app_key:
        raise TopFault(29, "Invalid App Key")
    _check_timestamp(clock, params.get("timestamp", ""))
    if not params.get("v"):
        raise TopFault(32, "Missing Version")
    if params["v"] != "2.0":
        raise TopFault(34, "Unsupported Version")


def _check_timestamp(clock: Callable[[], datetime], text: str) -> None:
    if not text:
        raise TopFault(30, "Missing Timestamp")
    try:
        sent = parse_request_timestamp(text)
    except (ValueError, OverflowError, OSError):
        raise TopFault(
            31, "Invalid Timestamp", None, "timestamp must be yyyy-MM-dd HH:mm:ss (GMT+8)"
        ) from None
    if abs(sent - clock()) > _SKEW:
        raise TopFault(
            31, "Invalid Timestamp", None, "timestamp is more than 10 minutes from GMT+8 server time"
        )


def _check_signature(creds: Credentials, params: dict[str, str]) -> None:
    method = params.get("sign_method") or "md5"
    if method not in SIGN_METHODS:
        raise TopFault(25, "Invalid Signature", None, f"unknown sign_method {method!r}")
    sent = params.get("sign", "")
    if not sent:
        raise TopFault(24, "Missing Signature")
    expected = sign(params, creds.app_secret, method)
    if not hmac.compare_digest(sent.upper().encode("ascii", "replace"), expected.encode("ascii")):
        raise TopFault(25, "Invalid Signature")


def _check_session(creds: Credentials, params: dict[str, str]) -> None:
    if not params.get("session"):
        raise TopFault(26, "Missing Session")
    if params["session"] != creds.session_key:
        raise _invalid_session()


def _invalid_session() -> TopFault:
    return TopFault(
        27, "Invalid session", "invalid-sessionkey", "非法或过期的SessionKey参数，请使用有效的SessionKey参数"
    )


def _call_limited() -> TopFault:
    return TopFault(7, "App Call Limited", "accesscontrol.limited-by-api-access-count", _BAN)


def _isp_timeout() -> TopFault:
    return TopFault(15, "Remote service error", "isp.top-remote-connection-timeout", "远程服务调用超时")


class Gateway:
    """The router handler plus its rolling one-second call window."""

    def __init__(self, credentials: Credentials, book: TradeBook, controls: Controls) -> None:
        self._creds = credentials
        self._book = book
        self._controls = controls
        self._recent: deque[float] = deque()
        self._requests = 0

    def _request_id(self) -> str:
        self._requests += 1
        return f"sb{self._requests:x}"

    def _rate_limit(self) -> None:
        limit = self._controls.knobs.rate_limit_per_s
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if limit and len(self._recent) >= limit:
            self._controls.stats.rate_limited += 1
            raise _call_limited()
        self._recent.append(now)

    def _inject(self) -> None:
        controls = self._controls
        rates, rng, stats = controls.knobs.error_rate, controls.faults_rng, controls.stats
        faults = (
            ("call_limit", rates.call_limit, _call_limited),
            ("isp", rates.isp, _isp_timeout),
            ("session", rates.session, _invalid_session),
        )
        for kind, rate, fault in faults:
            if rate and rng.random() < rate:
                stats.errors_injected[kind] += 1
                raise fault()

    def _dispatch(self, params: dict[str, str]) -> dict[str, Any]:
        method = params.get("method", "")
        self._controls.stats.calls[method or "(none)"] += 1
        _check_envelope(self._creds, self._book.now, params)
        _check_signature(self._creds, params)
        if method not in METHODS:
            raise TopFault(22, "Invalid Method", None, f"unknown method {method}")
        needs_session, handler = METHODS[method]
        if needs_session:
            _check_session(self._creds, params)
        self._rate_limit()
        self._inject()
        call = Call(method, params, simplify=params.get("simplify") == "true")
        return handler(self._book, self._controls, call)

    async def handle(self, request: web.Request) -> web.Response:
        params = {k: v for k, v in request.query.items()}
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
        low, high = self._controls.knobs.latency_ms
        if high:
            await asyncio.sleep(self._controls.latency_rng.uniform(low, high) / 1000)
        request_id = self._request_id()
        try:
            payload = self._dispatch(params)
        except TopFault as fault:
            self._controls.stats.errors[str(fault.code)] += 1
            return web.json_response(fault.body(request_id), dumps=dumps)
        payload["request_id"] = request_id
        if params.get("simplify") != "true":
            payload = {params["method"].removeprefix("taobao.").replace(".", "_") + "_response": payload}
        return web.json_response(payload, dumps=dumps)
