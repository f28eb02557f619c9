"""The pages CS staff live in: one order's story (the dashboard and the queue have their own modules).

Handlers only gather what a page shows; the words are in the templates and
the catalogue, the decisions in ``bridge.services.cs_actions``.
"""

from __future__ import annotations

from aiohttp import web

from bridge.core import request_ids
from bridge.web.order_view import order_page
from bridge.web.render import deps_of, not_found


def is_id(text: str) -> bool:
    """A storefront's order id (tid/oid) as the bridge stores it (``bridge.core.request_ids``)."""
    return request_ids.is_stored_id(text)


async def find_order(request: web.Request) -> web.StreamResponse:
    """``/orders?tid=…``: straight to the order page when the tid is known."""
    raw = request.query.get("tid", "").strip()
    found = await deps_of(request).store.views.find_trades(raw) if is_id(raw) else []
    if not found:
        return not_found(request, "order_not_found")
    raise web.HTTPSeeOther(f"/orders/{found[0].shop}/{found[0].tid}")


async def order(request: web.Request) -> web.Response:
    deps = deps_of(request)
    shop, raw_tid = request.match_info["shop"], request.match_info["tid"]
    trades = await deps.store.views.find_trades(raw_tid, shop) if is_id(raw_tid) else []
    if not trades:
        return not_found(request, "order_not_found")
    return await order_page(request, trades[0])
