"""One signed Pinduoduo gateway call over HTTP, with every failure mapped and retried in one place.

``PinduoduoClient`` speaks in platform methods; this module owns the router
protocol under them: the system parameters (``type``, ``client_id``,
``access_token``, ``timestamp``, ``data_type``), the signature, the form
POST, the ``error_response`` envelope, and the translation of every aiohttp,
HTTP and platform error into ``bridge.core.errors``. Retries (tenacity,
exponential backoff with jitter) apply to ``Retryable`` only. A write that
got no answer, or an answer saying it may have applied, raises ``Ambiguous``
and is never retried here.

Nothing here logs the client secret, the access token, the signature or the
request parameters.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
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

from adapters.pinduoduo.classify import classify
from adapters.pinduoduo.signing import sign
from adapters.pinduoduo.wire import DATA_INVALID
from bridge.core.errors import (
    Ambiguous,
    BridgeError,
    ConfigError,
    Permanent,
    RateLimited,
    Retryable,
    Unavailable,
)

_log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


def encode(value: object) -> str | None:
    """A business parameter as the gateway wants it; ``None`` means "leave it out"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _no_answer(method: str, why: str, *, write: bool, code: str) -> BridgeError:
    if write:
        return Ambiguous(f"{method}: {why}; the platform may have applied it", code=code)
    return Retryable(f"{method}: {why}", code=code)


class PddTransport:
    """Signs, sends and decodes gateway calls for one app and one shop's access token."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        url: str,
        client_id: str,
        client_secret: str,
        access_token: str,
        timeout_s: float,
        max_retries: int,
        backoff_base_s: float,
        backoff_max_s: float,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not (client_id and client_secret and access_token):
            raise ConfigError(
                "the shop's client_id, client_secret and access_token must all be set",
                code="PDD_CREDENTIALS_MISSING",
            )
        self._http = http
        self._url = url
        self._client_id = client_id
        self._secret = client_secret
        self._token = access_token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._timeout_s = timeout_s
        self._max_retries = max(0, max_retries)
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or time.time
        self._exponential = wait_random_exponential(multiplier=backoff_base_s, max=backoff_max_s)

    async def call(self, method: str, params: Mapping[str, object], *, write: bool = False) -> dict[str, Any]:
        """The success answer of ``method`` (still wrapped); raises a ``BridgeError`` after retries."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            retry=retry_if_exception(lambda exc: isinstance(exc, Retryable)),
            wait=self._exponential,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        result: dict[str, Any] = await retrying(self._once, method, params, write)
        return result

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else None
        _log.warning("pinduoduo_call_retry", attempt=state.attempt_number, error=str(exc), wait_s=wait)

    def signed_form(self, method: str, params: Mapping[str, object]) -> dict[str, str]:
        """The whole request: system parameters, business ones, and the signature."""
        form = {
            "type": method,
            "client_id": self._client_id,
            "access_token": self._token,
            "timestamp": str(int(self._clock())),
            "data_type": "JSON",
        }
        for key, value in params.items():
            text = encode(value)
            if text is not None:
                form[key] = text
        form["sign"] = sign(form, self._secret)
        return form

    async def _once(self, method: str, params: Mapping[str, object], write: bool) -> dict[str, Any]:
        form = self.signed_form(method, params)
        started = time.monotonic()
        try:
            async with self._http.post(self._url, data=form, timeout=self._timeout) as resp:
                raw, status = await resp.read(), resp.status
        except TimeoutError:
            why = f"no answer within {self._timeout_s:g} s"
            raise _no_answer(method, why, write=write, code="PDD_TIMEOUT") from None
        except aiohttp.ClientConnectorError as exc:
            raise Unavailable(
                f"{method}: cannot reach the platform ({exc.os_error})", code="PDD_UNREACHABLE"
            ) from None
        except aiohttp.ClientError as exc:
            why = f"connection failed ({type(exc).__name__})"
            raise _no_answer(method, why, write=write, code="PDD_CONNECTION") from None
        _log.debug(
            "pinduoduo_call",
            method=method,
            status=status,
            elapsed_ms=round((time.monotonic() - started) * 1000),
        )
        return self._decode(method, status, raw, write)

    def _decode(self, method: str, status: int, raw: bytes, write: bool) -> dict[str, Any]:
        if status == 429:
            raise RateLimited(f"{method}: HTTP 429", code="PDD_HTTP_429")
        if status >= 500:
            if write and status == 504:
                raise _no_answer(method, "HTTP 504 from the gateway", write=True, code="PDD_HTTP_504")
            cls = Unavailable if status == 503 else Retryable
            raise cls(f"{method}: HTTP {status}", code=f"PDD_HTTP_{status}")
        if status != 200:
            raise Permanent(f"{method}: unexpected HTTP {status}", code=f"PDD_HTTP_{status}")
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _no_answer(method, "the answer is not JSON", write=write, code="PDD_BAD_RESPONSE") from None
        if not isinstance(body, dict):
            raise _no_answer(method, "the answer is not a JSON object", write=write, code=DATA_INVALID)
        if "error_response" in body:
            raise self._error(method, body["error_response"], write)
        return body

    @staticmethod
    def _error(method: str, err: object, write: bool) -> BridgeError:
        if not isinstance(err, dict):
            return Permanent(f"{method}: field error_response is not an object", code=DATA_INVALID)
        get = err.get
        error = classify(get("error_code"), get("sub_code"), get("error_msg"), get("sub_msg"), write=write)
        log = _log.info if isinstance(error, Permanent) else _log.warning
        log(
            "pinduoduo_call_error",
            method=method,
            error_code=get("error_code"),
            sub_code=get("sub_code"),
            request_id=get("request_id"),
            kind=type(error).__name__,
        )
        return error
