"""The order API's door: every request but the OpenAPI document is signed (``bridge.core.api_signing``).

The checks run in this order, each refusal with its code (``bridge.api.errors``):
the three headers (``API_UNSIGNED``), a known key id (``API_UNKNOWN_KEY``), the
timestamp within ``skew_s`` of the server's clock (``API_STALE_TIMESTAMP``, naming
the server's time), the body no larger than ``max_body_bytes`` (413, refused on its
Content-Length before a byte is read, or as soon as a chunked body passes the
cap), the signature (``API_BAD_SIGNATURE``, compared in constant time), the
client's rate limit (429 with Retry-After; a forged request never spends a
client's tokens), and last the replay check (``API_REPLAYED``): a request refused
before it, a 429 included, may be sent again with the same signature.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from bridge.api.context import BODY, CLIENT, CONTEXT_KEY, ApiContext
from bridge.api.errors import ApiError
from bridge.core.api_signing import (
    KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    seconds_off,
    signature_matches,
)
from bridge.services.api_orders import remember_signature

__all__ = ["UNSIGNED_PATHS", "signed"]

UNSIGNED_PATHS = frozenset({"/api/v1/openapi.json"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def signed(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Let a signed request through with its client and body (``request[CLIENT]``, ``request[BODY]``)."""
    if request.match_info.http_exception is not None:  # no such endpoint: the same for anyone
        raise request.match_info.http_exception
    if request.path not in UNSIGNED_PATHS:
        request[CLIENT], request[BODY] = await _authenticate(request, request.app[CONTEXT_KEY])
    return await handler(request)


async def _authenticate(request: web.Request, ctx: ApiContext) -> tuple[str, bytes]:
    key, stamp, signature = (
        request.headers.get(h, "") for h in (KEY_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
    )
    if not (key and stamp and signature):
        raise ApiError("API_UNSIGNED")
    if (found := ctx.client_by_key(key)) is None:
        raise ApiError("API_UNKNOWN_KEY")
    name, client = found
    now = ctx.now()
    off = seconds_off(stamp, now)
    if off is None or off > ctx.settings.skew_s:
        raise ApiError(
            "API_STALE_TIMESTAMP",
            skew_s=f"{ctx.settings.skew_s:g}",
            server_time=now.isoformat(),
            server_timestamp=int(now.timestamp()),
        )
    body = await _body(request, ctx.settings.max_body_bytes)
    secret = client.secret.get_secret_value()
    if not signature_matches(secret, request.method, request.raw_path, stamp, body, signature):
        raise ApiError("API_BAD_SIGNATURE")
    if (wait := ctx.wait_for_token(name, client)) > 0:
        raise ApiError("API_RATE_LIMITED", retry_after_s=max(1, math.ceil(wait)))
    skew = timedelta(seconds=ctx.settings.skew_s)
    if not await remember_signature(ctx.orders, ctx.signatures, signature.strip().lower(), name, now, skew):
        raise ApiError("API_REPLAYED")
    return name, body


async def _body(request: web.Request, cap: int) -> bytes:
    """The request's body, refused when over ``cap`` bytes: on its Content-Length before reading it,
    else while reading (the application's ``client_max_size`` is the cap)."""
    if request.content_length is not None and request.content_length > cap:
        raise ApiError("API_BODY_TOO_LARGE", max_body_bytes=cap)
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError("API_BODY_TOO_LARGE", max_body_bytes=cap) from None
