"""One signed TOP call over HTTP, with every failure mapped and retried in one place.

``TaobaoClient`` speaks in marketplace methods; this module owns the router
protocol under them: the system parameters, the signature, the form POST,
the two answer envelopes, and the translation of every aiohttp, HTTP and
TOP error into ``bridge.core.errors``. Retries (tenacity, exponential backoff with
jitter, honouring ``retry_after``) apply to ``Retryable`` only. A call that
may have changed marketplace state (``write=True``) and got no answer raises
``Ambiguous`` instead, and is never retried here.

Nothing here logs the app secret, the session key, the signature or the
request parameters.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import aiohttp
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from adapters.taobao.classify import classify
from adapters.taobao.signing import SIGN_METHODS, format_timestamp, sign
from adapters.taobao.wire import DATA_INVALID, unwrap
from bridge.core.errors import (
    Ambiguous,
    BridgeError,
    ConfigError,
    Permanent,
    RateLimited,
    Retryable,
    Unavailable,
)
from bridge.core.models import CST

_log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]


def _encode(value: object) -> str | None:
    """A business parameter as the gateway wants it; ``None`` means "leave it out"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    text = str(value)
    return text or None


def _no_answer(method: str, why: str, *, write: bool, code: str) -> BridgeError:
    if write:
        return Ambiguous(f"{method}: {why}; the marketplace may have applied it", code=code)
    return Retryable(f"{method}: {why}", code=code)


def _retry_after_header(resp: aiohttp.ClientResponse) -> float | None:
    value = resp.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


class TopTransport:
    """Signs, sends and decodes TOP router calls for one app and one shop session."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        url: str,
        app_key: str,
        app_secret: str,
        session_key: str,
        sign_method: str,
        timeout_s: float,
        max_retries: int,
        backoff_base_s: float,
        backoff_max_s: float,
        sleep: Sleep | None = None,
    ) -> None:
        if sign_method not in SIGN_METHODS:
            raise ConfigError(
                f"the shop's sign_method must be one of {sorted(SIGN_METHODS)}, got {sign_method!r}",
                code="TAOBAO_SIGN_METHOD",
            )
        if not (app_key and app_secret and session_key):
            raise ConfigError(
                "the shop's app_key, its app secret (BRIDGE_SHOP_APP_SECRET by default) and its "
                "session key (BRIDGE_SHOP_SESSION by default) must all be set",
                code="TAOBAO_CREDENTIALS_MISSING",
            )
        self._http = http
        self._url = url
        self._app_key = app_key
        self._secret = app_secret
        self._session = session_key
        self._sign_method = sign_method
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._timeout_s = timeout_s
        self._max_retries = max(0, max_retries)
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._sleep: Sleep = sleep or asyncio.sleep
        self._exponential = wait_random_exponential(multiplier=backoff_base_s, max=backoff_max_s)

    async def call(self, method: str, params: Mapping[str, object], *, write: bool = False) -> dict[str, Any]:
        """The success payload of ``method``; raises a ``BridgeError`` after retries."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            retry=retry_if_exception(self._should_retry),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        result: dict[str, Any] = await retrying(self._once, method, params, write)
        return result

    def _should_retry(self, exc: BaseException) -> bool:
        if not isinstance(exc, Retryable):
            return False
        return exc.retry_after is None or exc.retry_after <= self._backoff_max_s

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return exc.retry_after + random.uniform(0, self._backoff_base_s)  # jitter, not crypto
        return float(self._exponential(state))

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else None
        _log.warning("taobao_call_retry", attempt=state.attempt_number, error=str(exc), wait_s=wait)

    def _signed_form(self, method: str, params: Mapping[str, object]) -> dict[str, str]:
        form = {
            "method": method,
            "app_key": self._app_key,
            "session": self._session,
            "timestamp": format_timestamp(datetime.now(CST)),
            "v": "2.0",
            "sign_method": self._sign_method,
            "format": "json",
            "simplify": "true",
        }
        for key, value in params.items():
            text = _encode(value)
            if text is not None:
                form[key] = text
        form["sign"] = sign(form, self._secret, self._sign_method)
        return form

    async def _once(self, method: str, params: Mapping[str, object], write: bool) -> dict[str, Any]:
        form = self._signed_form(method, params)
        started = time.monotonic()
        try:
            async with self._http.post(self._url, data=form, timeout=self._timeout) as resp:
                raw = await resp.read()
                status, retry_after = resp.status, _retry_after_header(resp)
        except TimeoutError:
            raise _no_answer(
                method, f"no answer within {self._timeout_s:g} s", write=write, code="TOP_TIMEOUT"
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise Unavailable(
                f"{method}: cannot reach the marketplace ({exc.os_error})", code="TOP_UNREACHABLE"
            ) from None
        except aiohttp.ClientError as exc:
            why = f"connection failed ({type(exc).__name__})"
            raise _no_answer(method, why, write=write, code="TOP_CONNECTION") from None
        elapsed_ms = round((time.monotonic() - started) * 1000)
        _log.debug("taobao_call", method=method, status=status, elapsed_ms=elapsed_ms)
        return self._decode(method, status, retry_after, raw, write)

    def _decode(
        self, method: str, status: int, retry_after: float | None, raw: bytes, write: bool
    ) -> dict[str, Any]:
        if status == 429:
            raise RateLimited(f"{method}: HTTP 429", code="TOP_HTTP_429", retry_after=retry_after)
        if status == 504 and write:
            raise _no_answer(method, "HTTP 504 from the gateway", write=True, code="TOP_HTTP_504")
        if status >= 500:
            cls = Unavailable if status == 503 else Retryable
            raise cls(f"{method}: HTTP {status}", code=f"TOP_HTTP_{status}", retry_after=retry_after)
        if status != 200:
            raise Permanent(f"{method}: unexpected HTTP {status}", code=f"TOP_HTTP_{status}")
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _no_answer(method, "the answer is not JSON", write=write, code="TOP_BAD_RESPONSE") from None
        if isinstance(body, dict) and "error_response" in body:
            raise self._error(method, body["error_response"])
        return unwrap(method, body)

    @staticmethod
    def _error(method: str, err: object) -> BridgeError:
        if not isinstance(err, dict):
            return Permanent(f"{method}: field error_response is not an object", code=DATA_INVALID)
        error = classify(err.get("code"), err.get("sub_code"), err.get("msg"), err.get("sub_msg"))
        log = _log.info if isinstance(error, Permanent) else _log.warning  # isv.* is a business answer
        log(
            "taobao_call_error",
            method=method,
            code=err.get("code"),
            sub_code=err.get("sub_code"),
            request_id=err.get("request_id"),
            kind=type(error).__name__,
        )
        return error
