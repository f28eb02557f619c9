"""The sandbox's HTTP face: interface v1 routes, checked exactly as a vendor would.

Two middlewares wrap every ``/v1`` call, in the order a real gateway applies
them: authentication (unknown key, stale timestamp, bad signature), then the
settlement window (503), the in-flight cap per key (429), the latency stall
and the injected 500. Handlers are thin: parse the body with the sandbox's own
wire models (``wire``), ask ``SandboxState``, answer its record. Refusals
travel as ``SandboxError`` and leave as the interface's error body. Unsigned
``/sandbox`` routes live in ``admin.py``.

``build_app`` takes the three parts the routes use, the state, the traffic
and the credentials, not the ``BillingSandbox`` that holds them.
"""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from adapters.billing_core import signing
from adapters.billing_core.sandbox import admin, wire
from adapters.billing_core.sandbox.records import SandboxError
from adapters.billing_core.sandbox.routing import (
    CREDENTIALS,
    STATE,
    TRAFFIC,
    Credentials,
    answer,
    parse_body,
)
from adapters.billing_core.sandbox.state import SandboxState
from adapters.billing_core.sandbox.traffic import Traffic

_log = structlog.get_logger(__name__)

_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def build_app(state: SandboxState, traffic: Traffic, credentials: Credentials) -> web.Application:
    """The aiohttp application serving ``state`` to callers signing with ``credentials``."""
    app = web.Application(middlewares=[_errors, _gate])
    app[STATE] = state
    app[TRAFFIC] = traffic
    app[CREDENTIALS] = credentials
    router = app.router
    router.add_get("/v1/products", _products)
    router.add_get("/v1/subscribers/{card_no}", _subscriber)
    router.add_post("/v1/subscribers/{card_no}/authorization-refresh", _refresh)
    router.add_post("/v1/operations", _apply)
    router.add_get("/v1/operations", _listing)
    router.add_get("/v1/operations/{request_id}", _find)
    router.add_post("/v1/operations/{request_id}/reversal", _reverse)
    admin.add_routes(router)
    return app


# --------------------------------------------------------------- middlewares


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals → error bodies; every /v1 call counted by endpoint and outcome."""
    resource = request.match_info.route.resource
    endpoint = f"{request.method} {resource.canonical if resource else request.path}"
    try:
        response = await handler(request)
    except SandboxError as exc:
        response = answer(exc.body(), exc.status)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
    except web.HTTPException as exc:
        code = _HTTP_CODES.get(exc.status, "INVALID_REQUEST")
        response = answer(SandboxError(exc.status, code, exc.reason).body(), exc.status)
    except Exception:
        _log.exception("billing_sandbox_bug", endpoint=endpoint)
        response = answer(SandboxError(500, "INTERNAL", "unexpected sandbox failure").body(), 500)
    if request.path.startswith("/v1/"):
        transport = request.transport
        lost = transport is None or transport.is_closing()
        request.app[TRAFFIC].calls[(endpoint, "lost" if lost else str(response.status))] += 1
    return response


@web.middleware
async def _gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """What stands between a /v1 call and the billing core: auth, window, cap, stall, faults."""
    if not request.path.startswith("/v1/"):
        return await handler(request)
    state, traffic = request.app[STATE], request.app[TRAFFIC]
    key = _authenticate(request, await request.read(), request.app[CREDENTIALS], state.now().timestamp())
    reopens_in = traffic.knobs.maintenance_retry_after(state.now())
    if reopens_in is not None:
        raise SandboxError(503, "MAINTENANCE", "settlement window; try again later", retry_after=reopens_in)
    with traffic.admit(key):
        await asyncio.sleep(traffic.stall_s())
        if traffic.fails():
            raise SandboxError(500, "INTERNAL", "injected failure; nothing was applied")
        return await handler(request)


def _authenticate(request: web.Request, body: bytes, credentials: Credentials, now: float) -> str:
    headers = request.headers
    key = headers.get(signing.API_KEY_HEADER, "")
    if key != credentials.api_key:
        raise SandboxError(401, "UNKNOWN_KEY", "unknown X-Api-Key")
    timestamp = headers.get(signing.TIMESTAMP_HEADER, "")
    skew = signing.timestamp_skew(timestamp, now)
    if skew is None:
        raise SandboxError(401, "BAD_SIGNATURE", "X-Timestamp must be whole Unix seconds")
    if skew > signing.MAX_CLOCK_SKEW_S:
        raise SandboxError(401, "SIGNATURE_EXPIRED", f"X-Timestamp is {int(skew)} s away from server time")
    signature = headers.get(signing.SIGNATURE_HEADER, "")
    if not signing.verify(credentials.secret, request.method, request.raw_path, timestamp, body, signature):
        raise SandboxError(401, "BAD_SIGNATURE", "X-Signature does not match")
    return key


# ------------------------------------------------------------------ handlers


async def _products(request: web.Request) -> web.Response:
    products = request.app[STATE].products.values()
    return answer({"products": [wire.ProductAnswer.of(p).model_dump(mode="json") for p in products]})


async def _subscriber(request: web.Request) -> web.Response:
    account = request.app[STATE].account(request.match_info["card_no"])
    return answer(account.to_wire())


async def _refresh(request: web.Request) -> web.Response:
    request.app[STATE].refresh(request.match_info["card_no"])
    return answer({"queued": True}, status=202)


async def _apply(request: web.Request) -> web.Response:
    try:
        operation = wire.parse_operation(await request.read())
    except ValidationError as exc:
        raise SandboxError(400, "INVALID_REQUEST", wire.describe(exc)) from None
    traffic = request.app[TRAFFIC]
    delay = traffic.apply_delay_s()
    if delay:  # a slow apply: nothing is visible until it lands, whoever gave up waiting
        traffic.slow_applies += 1
        await asyncio.sleep(delay)
    record = request.app[STATE].apply(operation, dedupe=traffic.knobs.dedupe)
    if traffic.loses_answer() and request.transport is not None:
        # Applied and recorded, but the answer never leaves: the client sees the connection drop.
        traffic.lost_answers += 1
        request.transport.abort()
    return answer(record.to_wire())


async def _listing(request: web.Request) -> web.Response:
    """Version 1.1: the day's operations (CST), oldest first, a page at a time after a cursor.

    The cursor is the operation_id a page ended with; a cursor not among the day's is refused.
    """
    traffic = request.app[TRAFFIC]
    if traffic.knobs.version == "1.0":
        status = traffic.knobs.listing_absent
        raise SandboxError(status, _HTTP_CODES[status], "this billing core (1.0) has no operations listing")
    try:
        query = wire.OperationsQuery.model_validate(dict(request.query))
    except ValidationError as exc:
        raise SandboxError(400, "INVALID_REQUEST", wire.describe(exc)) from None
    day = request.app[STATE].listing(query.day)
    start = 0
    if query.after is not None:
        ids = [rec.result.operation_id for rec in day]
        if query.after not in ids:
            raise SandboxError(400, "INVALID_REQUEST", "after: not a cursor of this date's listing")
        start = ids.index(query.after) + 1
    page = day[start : start + query.limit]
    more = start + query.limit < len(day)
    cursor = page[-1].result.operation_id if page and more else None
    return answer({"operations": [rec.to_wire() for rec in page], "next": cursor})


async def _find(request: web.Request) -> web.Response:
    record = request.app[STATE].record(_request_id(request))
    return answer(record.to_wire())


async def _reverse(request: web.Request) -> web.Response:
    request_id = _request_id(request)
    body = parse_body(wire.ReversalBody, await request.read())
    state, traffic = request.app[STATE], request.app[TRAFFIC]
    state.record(request_id)  # 404 first: an unknown operation is not "refused"
    if traffic.refuses_reversal():
        raise SandboxError(422, "REVERSAL_NOT_ALLOWED", "injected refusal: the credit was already used")
    record = state.reverse(request_id, body.reason, dedupe=traffic.knobs.dedupe)
    if traffic.loses_reversal_answer() and request.transport is not None:
        # Undone and recorded, but the answer never leaves: the client sees the connection drop.
        traffic.lost_reversal_answers += 1
        request.transport.abort()
    return answer(record.to_wire())


def _request_id(request: web.Request) -> str:
    request_id = request.match_info["request_id"]
    if not wire.is_request_id(request_id):
        raise SandboxError(400, "INVALID_REQUEST", "request_id must be 1-64 chars of [A-Za-z0-9._:-]")
    return request_id
