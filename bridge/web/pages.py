"""The pages CS staff live in: the dashboard and one order's story (the queue: ``queue_views``).

Handlers only gather what a page shows; the words are in the templates and
the catalogue, the decisions in ``bridge.services.cs_actions``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.core.inflight import may_be_applied
from bridge.core.mapping import requires_card_no
from bridge.core.masking import mask_detail, mask_text
from bridge.core.models import CST
from bridge.core.records import LineRecord
from bridge.core.states import (
    BUSY,
    CANCELLABLE,
    NEEDS_A_PERSON,
    REFRESHABLE,
    DeliveryState,
    LineState,
)
from bridge.services.cs_actions import RESOLUTIONS
from bridge.services.deps import Deps
from bridge.services.planning import order_line
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


def _line_view(deps: Deps, line: LineRecord) -> dict[str, Any]:
    """What the order page needs to know about one line beyond its record."""
    waiting = line.state is LineState.EXCEPTION
    maybe_credited = any(may_be_applied(op.state) for op in line.operations)
    return {
        "line": line,
        "needs_card": waiting and requires_card_no(order_line(line), deps.runtime.mappings),
        "can_retry": waiting,
        "can_resolve": waiting,
        "can_cancel": line.state in CANCELLABLE and not maybe_credited,
        "can_reverse": line.state in CANCELLABLE and maybe_credited,
        "can_refresh": bool(line.card_no) and line.state in REFRESHABLE,
        "ops": [
            {"part": op.part, "request_id": op.request_id, "kind": op.kind, "state": op.state}
            for op in line.operations
        ],
    }


async def order(request: web.Request) -> web.Response:
    deps = deps_of(request)
    shop, raw_tid = request.match_info["shop"], request.match_info["tid"]
    trades = await deps.store.find_trades(int(raw_tid), shop) if is_id(raw_tid) else []
    if not trades:
        return not_found(request, "order_not_found")
    trade = trades[0]
    lines, events = await deps.store.trade_story(trade)
    audit = await deps.store.audit_entries(tid=trade.tid, limit=100)
    return page(
        request,
        "order.html",
        nav="queue",
        trade=trade,
        buyer_message=mask_text(trade.buyer_message or ""),
        lines=[_line_view(deps, line) for line in lines],
        events=[(e, mask_detail(e.detail)) for e in events],
        audit=audit,
        resolutions=RESOLUTIONS,
        moving=any(line.state in BUSY for line in lines) or trade.delivery_state == DeliveryState.DUE,
    )
