"""``BillingClient``: the bridge's ``BillingPort`` over billing-core HTTP interface v1.

Signs every request, validates every answer with the wire models and turns
every HTTP status and transport failure into the project's error tree, all
through the one table ``ERROR_TABLE`` below. It never retries a
state-changing call: the fulfilment service owns retries and reconciles a lost
answer by request_id. Read-only calls are retried a couple of times on a
transient failure. Logs carry masked card numbers only, never the secret or PINs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode

import aiohttp
import structlog
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from yarl import URL

from adapters.billing_core import wire
from adapters.billing_core.signing import signed_headers
from bridge.core.errors import (
    Ambiguous,
    BridgeError,
    ConfigError,
    Permanent,
    RateLimited,
    Retryable,
    Unavailable,
)
from bridge.core.masking import mask_card
from bridge.core.models import Operation, OperationResult, Product, Recharge, Subscribe, Subscriber

_log = structlog.get_logger(__name__)

ERROR_TABLE: Mapping[int | str, tuple[type[BridgeError], type[BridgeError]]] = {
    # failure: (class when the call changes state, class when it is safe to repeat)
    "unreachable": (Unavailable, Unavailable),  # refused, DNS, connect timeout: nothing was sent
    "no_answer": (Ambiguous, Retryable),  # timeout or dropped connection after sending
    "2xx_unreadable": (Ambiguous, Permanent),  # a success we cannot read (or for another id): maybe applied
    401: (ConfigError, ConfigError),  # key, secret or clock wrong: a person must fix it
    409: (Ambiguous, Permanent),  # IDEMPOTENCY_CONFLICT: that request_id was used, so maybe applied
    429: (RateLimited, RateLimited),
    500: (Retryable, Retryable),  # INTERNAL: refused before applying
    502: (Ambiguous, Retryable),  # a gateway lost the upstream's answer
    503: (Unavailable, Unavailable),  # MAINTENANCE
    504: (Ambiguous, Retryable),
    "4xx": (Permanent, Permanent),  # the code says why; a person decides
    "5xx": (Retryable, Retryable),
}
"""What each failure means for the caller. Every error this client raises comes from here."""

LISTING_ABSENT = frozenset({404, 405})
"""What a version 1.0 core answers to ``GET /v1/operations?date=``: no listing (``None``), not an error."""

_AUTH_HINTS = {
    "UNKNOWN_KEY": "the billing core does not know API key {key!r}: check the configured api_key",
    "BAD_SIGNATURE": "the billing core rejected our signature (key {key!r}): the configured secret is wrong",
    "SIGNATURE_EXPIRED": "this host's clock is more than 300 s off the billing core's: fix the clock (NTP)",
}


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    content_type: str
    retry_after: float | None


def _segment(text: str) -> str:
    return quote(text, safe="")


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _checked_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash; ``ConfigError`` unless it is http(s)://host[:port][/prefix]."""
    url = URL(base_url)
    if url.scheme not in ("http", "https") or not url.host or url.query_string or url.fragment:
        raise ConfigError(f"billing core base_url {base_url!r} must look like http://boss.internal:8080")
    return base_url.rstrip("/")


def _is_transient(exc: BaseException) -> bool:
    """Retry a read on a plain ``Retryable`` only; 429 and 503 are the caller's to honour."""
    return type(exc) is Retryable


class BillingClient:
    """The billing core over HTTP; implements ``bridge.ports.BillingPort``."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str,
        secret: str,
        timeout_s: float = 10.0,
        read_attempts: int = 3,
        clock: Callable[[], float] = time.time,
        listing_page: int = 500,
    ) -> None:
        self._http = http
        self._base_url = _checked_base_url(base_url)
        self._api_key = api_key
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=timeout_s / 2)
        self._read_attempts = max(1, read_attempts)
        self._clock = clock
        if not 1 <= listing_page <= 500:
            raise ConfigError(f"listing_page {listing_page} must be 1..500 (the billing core's page limit)")
        self._listing_page = listing_page

    def __repr__(self) -> str:  # never print the secret
        return f"BillingClient(base_url={self._base_url!r}, api_key={self._api_key!r})"

    # ------------------------------------------------------------ BillingPort

    async def products(self) -> list[Product]:
        endpoint = "GET /v1/products"
        answer = await self._read("/v1/products", endpoint)
        parsed = wire.parse_answer(wire.ProductsWire, endpoint, answer.body, answer.content_type)
        return [p.to_domain() for p in parsed.products]

    async def subscriber(self, card_no: str) -> Subscriber:
        endpoint = "GET /v1/subscribers/{card_no}"
        path = f"/v1/subscribers/{_segment(card_no)}"
        answer = await self._read(path, endpoint, {"card": mask_card(card_no)})
        found = wire.parse_answer(wire.SubscriberWire, endpoint, answer.body, answer.content_type)
        if found.card_no != card_no:
            raise Permanent(f"{endpoint} answered for another card", code=wire.ANSWER_INVALID)
        return found.to_domain()

    async def apply(self, operation: Operation) -> OperationResult:
        endpoint = "POST /v1/operations"
        try:
            body = wire.operation_to_request(operation).model_dump(mode="json")
        except ValidationError as exc:
            raise Permanent(f"{endpoint}: {wire.describe(exc)}", code="INVALID_REQUEST") from None
        context = {"request_id": operation.request_id, "kind": operation.kind.value}
        if isinstance(operation, Recharge | Subscribe):
            context["card"] = mask_card(operation.card_no)
        answer = await self._send("POST", "/v1/operations", endpoint, context, body=body)
        return self._operation(endpoint, answer, operation.request_id, changes_state=True)

    async def find(self, request_id: str) -> OperationResult | None:
        endpoint = "GET /v1/operations/{request_id}"
        path = f"/v1/operations/{self._checked_id(request_id, endpoint)}"
        try:
            answer = await self._read(path, endpoint, {"request_id": request_id})
        except Permanent as exc:
            if exc.code == "OPERATION_NOT_FOUND":
                return None
            raise
        return self._operation(endpoint, answer, request_id)

    async def list_operations(self, day: date) -> list[OperationResult] | None:
        """Every operation applied or reversed on ``day`` (CST), all pages; ``None`` from a 1.0 core."""
        endpoint = "GET /v1/operations?date="
        found: list[OperationResult] = []
        after: str | None = None
        while True:
            query = {"date": day.isoformat(), "limit": str(self._listing_page)} | (
                {"after": after} if after else {}
            )
            path = "/v1/operations?" + urlencode(query)
            answer = await self._read(path, endpoint, {"date": day.isoformat()}, tolerated=LISTING_ABSENT)
            if answer.status in LISTING_ABSENT:
                _log.info("billing_listing_absent", endpoint=endpoint, status=answer.status)
                return None
            page = wire.parse_answer(wire.OperationsPageWire, endpoint, answer.body, answer.content_type)
            found += [op.to_domain() for op in page.operations]
            if page.next is None:
                return found
            if page.next == after or not page.operations:
                raise Permanent(
                    f"{endpoint} answered a cursor that does not move on", code=wire.ANSWER_INVALID
                )
            after = page.next

    async def reverse(self, request_id: str, reason: str) -> OperationResult:
        endpoint = "POST /v1/operations/{request_id}/reversal"
        path = f"/v1/operations/{self._checked_id(request_id, endpoint)}/reversal"
        answer = await self._send("POST", path, endpoint, {"request_id": request_id}, body={"reason": reason})
        return self._operation(endpoint, answer, request_id, changes_state=True)

    async def refresh_authorization(self, card_no: str) -> None:
        endpoint = "POST /v1/subscribers/{card_no}/authorization-refresh"
        path = f"/v1/subscribers/{_segment(card_no)}/authorization-refresh"
        # Re-sending entitlements is harmless to repeat, so a lost answer is Retryable.
        answer = await self._send("POST", path, endpoint, {"card": mask_card(card_no)}, changes_state=False)
        wire.parse_answer(wire.QueuedWire, endpoint, answer.body, answer.content_type)

    # --------------------------------------------------------------- helpers

    @staticmethod
    def _checked_id(request_id: str, endpoint: str) -> str:
        if not wire.is_request_id(request_id):
            raise Permanent(
                f"{endpoint}: request_id must be 1-64 chars of [A-Za-z0-9._:-]", code="INVALID_REQUEST"
            )
        return request_id

    @classmethod
    def _operation(
        cls, endpoint: str, answer: _Answer, request_id: str, *, changes_state: bool = False
    ) -> OperationResult:
        """The operation a 2xx answer carries; unreadable after a state-changing call: maybe applied."""
        try:
            found = wire.parse_answer(wire.OperationWire, endpoint, answer.body, answer.content_type)
            if found.request_id != request_id:
                raise Permanent(f"{endpoint} answered for another request_id", code=wire.ANSWER_INVALID)
        except Permanent as exc:
            raise cls._failure("2xx_unreadable", changes_state)(exc.message, code=exc.code) from None
        return found.to_domain()

    async def _read(
        self,
        path: str,
        endpoint: str,
        context: Mapping[str, str] | None = None,
        *,
        tolerated: frozenset[int] = frozenset(),
    ) -> _Answer:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._read_attempts),
            wait=wait_exponential(multiplier=0.05, max=0.5),
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send(
                    "GET", path, endpoint, context, changes_state=False, tolerated=tolerated
                )
        raise AssertionError("tenacity returned without an outcome")  # pragma: no cover

    async def _send(
        self,
        method: str,
        path: str,
        endpoint: str,
        context: Mapping[str, str] | None = None,
        *,
        body: dict[str, object] | None = None,
        changes_state: bool = True,
        tolerated: frozenset[int] = frozenset(),
    ) -> _Answer:
        """One signed request; returns a 2xx answer (or one of the ``tolerated`` statuses, for the
        caller to read) or raises from ``ERROR_TABLE``.

        ``context`` (request_id, masked card) goes to the log lines only.
        """
        data = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        url = URL(self._base_url + path, encoded=True)
        headers = signed_headers(self._api_key, self._secret, method, url.raw_path_qs, data, self._clock())
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        log = _log.bind(endpoint=endpoint, **(context or {}))
        started = time.monotonic()
        try:
            answer = await self._exchange(method, url, data, headers)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            log.warning("billing_unreachable", error=type(exc).__name__)
            raise self._failure("unreachable", changes_state)(
                f"{endpoint}: billing core unreachable ({type(exc).__name__})", code="UNREACHABLE"
            ) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("billing_no_answer", error=type(exc).__name__)
            maybe = "; it may or may not have been applied" if changes_state else ""
            raise self._failure("no_answer", changes_state)(
                f"{endpoint}: no answer ({type(exc).__name__}){maybe}", code="NO_ANSWER"
            ) from None
        log.debug("billing_call", status=answer.status, elapsed_ms=round(1000 * (time.monotonic() - started)))
        if not 200 <= answer.status < 300 and answer.status not in tolerated:
            raise self._status_error(endpoint, answer, changes_state)
        return answer

    async def _exchange(self, method: str, url: URL, data: bytes, headers: dict[str, str]) -> _Answer:
        async with self._http.request(
            method, url, data=data or None, headers=headers, timeout=self._timeout, allow_redirects=False
        ) as resp:
            body = await resp.read()
            retry_after = _retry_after(resp.headers.get("Retry-After"), self._clock())
            return _Answer(resp.status, body, resp.headers.get("Content-Type", ""), retry_after)

    @staticmethod
    def _failure(key: int | str, changes_state: bool) -> type[BridgeError]:
        when_changing, when_safe = ERROR_TABLE[key]
        return when_changing if changes_state else when_safe

    def _status_error(self, endpoint: str, answer: _Answer, changes_state: bool) -> BridgeError:
        status = answer.status
        key: int | str = status if status in ERROR_TABLE else f"{status // 100}xx"
        if key not in ERROR_TABLE:
            return Permanent(f"{endpoint}: unexpected HTTP {status}", code=wire.ANSWER_INVALID)
        cls = self._failure(key, changes_state)
        try:
            detail = wire.parse_answer(wire.ErrorWire, endpoint, answer.body, answer.content_type).error
        except Permanent as exc:
            message = f"HTTP {status} with an unreadable error body ({exc.message})"
            if cls is Permanent:  # a 4xx we cannot read: nobody can tell what it meant
                return Permanent(f"{endpoint}: {message}", code=wire.ANSWER_INVALID)
            code = f"HTTP_{status}"
        else:
            code, message = detail.code, detail.message
        if cls is ConfigError:
            hint = _AUTH_HINTS.get(code, "the billing core refused our credentials")
            return ConfigError(hint.format(key=self._api_key), code=code)
        text = f"{endpoint}: HTTP {status} {code}: {message}"
        if issubclass(cls, Retryable):
            return cls(text, code=code, retry_after=answer.retry_after)
        return cls(text, code=code)
