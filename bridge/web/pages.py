"""The pages CS staff live in: the exception queue and one order's story (the dashboard: ``dashboard_views``).

Handlers only gather what a page shows; the words are in the templates and
the catalogue, the decisions in ``bridge.services.cs_actions``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from bridge.core.inflight import may_be_applied
from bridge.core.mapping import requires_card_no
from bridge.core.masking import mask_detail, mask_text
from bridge.core.reasons import REASONS
from bridge.core.records import LineRecord, QueueFilter
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

AGES = {"1h": 1, "4h": 4, "24h": 24, "72h": 72}
"""The queue's age filter: older than this many hours."""


def is_id(text: str) -> bool:
    """A marketplace id (tid/oid): digits that fit a signed 64-bit integer."""
    return text.isdigit() and len(text) <= 19 and int(text) < 2**63


def queue_filter(query: Any, deps: Deps) -> QueueFilter:
    """The queue's filters from the URL; values that are not on offer are ignored."""
    state = query.get("state", "EXCEPTION")
    hours = AGES.get(query.get("age", ""))
    reason = query.get("reason", "")
    shop = query.get("shop", "")
    return QueueFilter(
        state=LineState(state) if state in {s.value for s in NEEDS_A_PERSON} else LineState.EXCEPTION,
        reason=reason if reason in REASONS else None,
        shop=shop if shop in deps.settings.shops else None,
        older_than=deps.clock() - timedelta(hours=hours) if hours else None,
        q=query.get("q", "").strip()[:64] or None,
    )


async def queue(request: web.Request) -> web.Response:
    deps = deps_of(request)
    f = queue_filter(request.query, deps)
    rows, total = await deps.store.queue(f)
    trade_hit = None
    if f.q and is_id(f.q) and not rows:
        trade_hit = (await deps.store.find_trades(int(f.q)))[:1]
    return page(
        request,
        "queue.html",
        nav="queue",
        rows=rows,
        total=total,
        f=f,
        query=request.query,
        trade_hit=trade_hit[0] if trade_hit else None,
        reasons=sorted(REASONS),
        shops=sorted(deps.settings.shops),
        ages=list(AGES),
        states=[s.value for s in NEEDS_A_PERSON],
    )


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
