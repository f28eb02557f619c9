"""The pages CS staff live in: the dashboard and one order's story (the queue: ``queue_views``).

Handlers only gather what a page shows; the words are in the templates and
the catalogue, the decisions in ``bridge.services.cs_actions``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.core.models import CST
from bridge.core.states import (
    BUSY,
    NEEDS_A_PERSON,
    LineState,
)
from bridge.services.deps import Deps
from bridge.web.order_view import order_page
from bridge.web.render import deps_of, not_found, page


async def dashboard_figures(deps: Deps) -> dict[str, Any]:
    now = deps.clock()
    today = now.astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)
    states = await deps.store.state_counts()
    return {
        "states": states,
        "exceptions": sorted((await deps.store.exception_counts()).items(), key=lambda kv: -kv[1]),
        "exception_total": states.get(LineState.EXCEPTION.value, 0),
        "waiting": sum(states.get(s.value, 0) for s in NEEDS_A_PERSON),
        "busy": sum(states.get(s.value, 0) for s in BUSY),
        "oldest": await deps.store.oldest_waiting(),
        "delivered_today": await deps.store.delivered_since(today),
        "polls": await deps.store.cursor_rows(),
        "billing_paused": deps.runtime.breaker.is_open(now),
        "billing_reason": deps.runtime.breaker.reason_at(now),
        "billing_until": deps.runtime.breaker.until,
        "last_applied": await deps.store.last_applied_at(),
        "mapping_version": deps.runtime.mappings.version,
        "unmapped": len(await deps.store.unmapped_inbox()),
        "state_order": [s.value for s in LineState],
    }


async def dashboard(request: web.Request) -> web.Response:
    return page(request, "dashboard.html", nav="dashboard", **await dashboard_figures(deps_of(request)))


async def dashboard_live(request: web.Request) -> web.Response:
    """The dashboard's figures alone, fetched again every few seconds by console.js."""
    return page(request, "_dashboard_body.html", **await dashboard_figures(deps_of(request)))


def is_id(text: str) -> bool:
    """A marketplace id (tid/oid): digits that fit a signed 64-bit integer."""
    return text.isdigit() and len(text) <= 19 and int(text) < 2**63


async def find_order(request: web.Request) -> web.StreamResponse:
    """``/orders?tid=…``: straight to the order page when the tid is known."""
    raw = request.query.get("tid", "").strip()
    found = await deps_of(request).store.find_trades(int(raw)) if is_id(raw) else []
    if not found:
        return not_found(request, "order_not_found")
    raise web.HTTPSeeOther(f"/orders/{found[0].shop}/{found[0].tid}")


async def order(request: web.Request) -> web.Response:
    deps = deps_of(request)
    shop, raw_tid = request.match_info["shop"], request.match_info["tid"]
    trades = await deps.store.find_trades(int(raw_tid), shop) if is_id(raw_tid) else []
    if not trades:
        return not_found(request, "order_not_found")
    return await order_page(request, trades[0])
