"""The order API's endpoints under ``/api/v1/`` (described by ``openapi.json`` beside this module).

- ``POST /orders``: a paid order, stored (committed) before the 201; sent again, the same answer
  (status and body, from the stored row); another order under its id, 409 naming the first field
  that differs;
- ``GET /orders/{order_id}``: the client's order and each line's state in the API's words
  (``bridge.core.api_status``: ``state``, ``reason``, ``reason_text``, ``codes``);
- ``POST /orders/{order_id}/refund``: the order marked to be refunded (once; again, the same), the
  pipeline woken (``ApiContext.on_order``), 202 with where the order is now;
- ``GET /orders?date=YYYY-MM-DD&page=N``: the client's orders paid that day (China time), ``PAGE_SIZE``
  a page;
- ``GET /openapi.json``: the document, unsigned.

Card numbers are shown masked (last four digits), as everywhere the bridge shows one.
"""

from __future__ import annotations

import json
import math
from datetime import date
from importlib.resources import files
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from bridge.api.context import BODY, CLIENT, CONTEXT_KEY
from bridge.api.errors import ApiError
from bridge.core.api_orders import PAGE_SIZE, ApiOrder, ApiOrderRecord
from bridge.core.api_signing import body_sha256
from bridge.core.api_status import api_time
from bridge.core.callbacks import url_host
from bridge.services.api_orders import orders_of_day, repeat_of, submit_order

__all__ = ["OPENAPI", "get_order", "list_orders", "openapi", "post_order", "refund_order"]

OPENAPI = files("bridge.api").joinpath("openapi.json").read_text(encoding="utf-8")
"""The OpenAPI 3.1 document: the one description of the API, served as it is kept."""


async def post_order(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    client, body = request[CLIENT], request[BODY]
    raw = _json_object(body)
    lines = raw.get("lines")
    if isinstance(lines, list) and len(lines) > ctx.settings.max_lines:
        raise ApiError("API_TOO_MANY_LINES", max_lines=ctx.settings.max_lines)
    try:
        order = ApiOrder.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc) from None
    if not _callback_host_allowed(ctx.settings.clients[client].callback_hosts, order.callback_url):
        # an order stored before the client's hosts changed: sent again, it gets the first answer
        first = await repeat_of(ctx.orders, client, order)
        if first is None:
            raise ApiError("API_CALLBACK_HOST", host=url_host(order.callback_url or ""))
        return web.json_response(_receipt(first), status=201)
    done = await submit_order(ctx.orders, client, order, raw, body_sha256(body), ctx.now())
    if done.differs is not None:
        raise ApiError("API_ORDER_CONFLICT", order_id=order.order_id, field=done.differs)
    if done.created:  # committed: the pipeline takes it now (polling stays the safety net)
        ctx.on_order(client, order.order_id)
    return web.json_response(_receipt(done.order), status=201)


async def get_order(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    view = await ctx.orders.order_view(request[CLIENT], request.match_info["order_id"])
    if view is None:  # none, or another client's: the same answer
        raise ApiError("API_NOT_FOUND")
    return web.json_response(view.document())


async def refund_order(request: web.Request) -> web.Response:
    """Before provisioning the lines are cancelled; after, they take the reversal path (with its
    approval threshold): the pipeline does it, this answers where the order is now."""
    ctx = request.app[CONTEXT_KEY]
    client, order_id = request[CLIENT], request.match_info["order_id"]
    view = await ctx.orders.request_refund(client, order_id, ctx.now())
    if view is None:  # none, or another client's: the same answer
        raise ApiError("API_NOT_FOUND")
    ctx.on_order(client, order_id)
    return web.json_response(view.document(), status=202)


async def list_orders(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    day = _query_date(request.query.get("date"))
    page = _query_page(request.query.get("page", "1"))
    orders, total = await orders_of_day(ctx.orders, request[CLIENT], day, page)
    return web.json_response(
        {
            "date": day.isoformat(),
            "page": page,
            "page_size": PAGE_SIZE,
            "pages": math.ceil(total / PAGE_SIZE),
            "total": total,
            "orders": [o.document() for o in orders],
        }
    )


async def openapi(request: web.Request) -> web.Response:
    return web.Response(text=OPENAPI, content_type="application/json")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(body)
    except ValueError:  # not UTF-8 or not JSON
        raise ApiError("API_BAD_JSON") from None
    if not isinstance(raw, dict):
        raise ApiError("API_BAD_JSON")
    return raw


def _callback_host_allowed(allowed: tuple[str, ...], url: str | None) -> bool:
    """Callbacks go only to the hosts the client's settings name (none named: no callback_url at all)."""
    return url is None or url_host(url) in {host.lower() for host in allowed}


def _invalid(exc: ValidationError) -> ApiError:
    """The first problem, naming its field as the body writes it (``lines[1].amount_fen``)."""
    first = exc.errors()[0]
    field = ""
    for part in first["loc"]:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return ApiError("API_INVALID", field=field or "(body)", reason=first["msg"])


def _query_date(text: str | None) -> date:
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        raise ApiError("API_INVALID", field="date", reason="expected a day written YYYY-MM-DD") from None
    if not date.min < day < date.max:  # its China-time bounds, in UTC, would fall off the calendar
        raise ApiError("API_INVALID", field="date", reason="expected a day from 0001-01-02 to 9999-12-30")
    return day


def _query_page(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise ApiError("API_INVALID", field="page", reason="expected a page number from 1")
    return int(text)


def _receipt(order: ApiOrderRecord) -> dict[str, Any]:
    """The answer to a stored order: only what never changes, so a repeat answers exactly the same."""
    return {
        "order_id": order.order_id,
        "received_at": api_time(order.received_at),
        "body_sha256": order.body_sha256,
        "href": f"/api/v1/orders/{order.order_id}",
    }
