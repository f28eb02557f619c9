"""The exception queue: reason tabs with counts, pages, live updates, and bulk actions on a whole filter.

    GET  /queue                     tabs (one per reason, with counts), a page of 50, oldest first
    GET  /queue/live                the same body alone, fetched again every few seconds by queue.js
    POST /queue/bulk                count the filter's lines now → the batch's confirmation page
    GET  /queue/batches/{id}        unconfirmed: the count, the filter, confirm; then its outcome
    POST /queue/batches/{id}        act on the counted lines once (a second submit changes nothing)

A search that matches exactly one order opens that order (links the page
makes itself carry ``list=1``, so they never jump away). Without JavaScript
everything works as plain pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bridge.core.batches import BATCH_MAX, Batch, line_outcome
from bridge.core.reasons import REASONS
from bridge.core.records import QueueFilter, QueueRow, UnreadableTrade
from bridge.core.states import NEEDS_A_PERSON, LineState
from bridge.services import batches
from bridge.services.batches import BatchRefused
from bridge.services.cs_actions import RESOLUTIONS
from bridge.services.deps import Deps
from bridge.web import deadlines, storefronts
from bridge.web.render import deps_of, not_found, page, see_other, user_of

AGES = {"1h": 1, "4h": 4, "24h": 24, "72h": 72}
"""The queue's age filter: older than this many hours."""
PAGE_SIZE = 50
FILTER_KEYS = ("state", "reason", "storefront", "shop", "age", "q", "sort", "tab")
"""The query parameters that make a filter (kept by tabs, pages, live updates and bulk actions);
``sort=deadline``: the nearest delivery deadline first; ``tab=deadline``: the 临近时限 tab (lines of any
state awaiting delivery within their shop's margin of the deadline, or past it)."""
NEAR = "deadline"


def shown_filter(query: Mapping[str, str], deps: Deps) -> dict[str, str]:
    """The filter's parameters that are on offer, as they stand in the URL (unknown values dropped)."""
    value = {k: str(query.get(k, "")).strip()[:64] for k in FILTER_KEYS}
    keep = {
        "state": value["state"] in {s.value for s in NEEDS_A_PERSON},
        "reason": value["reason"] in REASONS,
        "storefront": value["storefront"] in storefronts.in_use(deps),
        "shop": value["shop"] in deps.settings.shops,
        "age": value["age"] in AGES,
        "q": bool(value["q"]),
        "sort": value["sort"] == NEAR,
        "tab": value["tab"] == NEAR,
    }
    return {k: v for k, v in value.items() if keep[k]}


def queue_filter(shown: Mapping[str, str], deps: Deps) -> QueueFilter:
    """The store's filter for ``shown`` (see ``shown_filter``)."""
    hours = AGES.get(shown.get("age", ""))
    storefront = shown.get("storefront")
    return QueueFilter(
        state=LineState(shown.get("state", LineState.EXCEPTION.value)),
        reason=shown.get("reason") or None,
        shop=shown.get("shop") or None,
        older_than=deps.clock() - timedelta(hours=hours) if hours else None,
        q=shown.get("q") or None,
        shops=storefronts.shops_on(deps, storefront) if storefront else None,
    )


def _link(shown: Mapping[str, str], **change: object) -> str:
    """``/queue`` with ``shown`` changed by ``change`` (None drops a key); never jumps to an order."""
    merged: dict[str, object] = {**shown, **change, "list": 1}
    return "/queue?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _page_number(query: Mapping[str, str]) -> int:
    raw = query.get("page", "1")
    return max(int(raw), 1) if raw.isdigit() and len(raw) < 7 else 1


async def _unreadable(deps: Deps, f: QueueFilter, number: int) -> list[UnreadableTrade]:
    """Trades never read well, above the first page of exceptions (not under a reason or search)."""
    if f.state is not LineState.EXCEPTION or f.reason or f.q or number > 1:
        return []
    found = await deps.store.queue.unreadable_trades(f.shop)
    return [u for u in found if f.shops is None or u.shop in f.shops]


async def _rows(
    deps: Deps, shown: Mapping[str, str], f: QueueFilter, number: int
) -> tuple[list[QueueRow], int, int]:
    """The page's rows, how many the filter holds, and how many are near their deadline."""
    store, now, offset = deps.store.queue, deps.clock(), (number - 1) * PAGE_SIZE
    seconds, cut = deadlines.deadline_seconds(deps), deadlines.cutoffs(deps, now)
    near = shown.get("tab") == NEAR
    found, n_near = await store.near_deadline(f, cut, seconds, limit=PAGE_SIZE if near else 0, offset=offset)
    if near:
        return found, n_near, n_near
    by_due = seconds if shown.get("sort") == NEAR else None
    rows, total = await store.queue(f, limit=PAGE_SIZE, offset=offset, deadlines=by_due)
    return rows, total, n_near


def _tabs(
    shown: Mapping[str, str], f: QueueFilter, counts: Mapping[str, int]
) -> list[tuple[str, int, str, bool]]:
    """(reason code, count, link, chosen) per reason tab: all, then each reason (none on 临近时限)."""
    near = shown.get("tab") == NEAR
    plain = {k: v for k, v in shown.items() if k not in ("reason", "tab")}
    tabs = [("", sum(counts.values()), _link(plain), f.reason is None and not near)]
    codes = {c for c in counts if c} | ({f.reason} if f.reason else set())
    for code in sorted(codes, key=lambda c: (-counts.get(c, 0), c)):
        tabs.append((code, counts.get(code, 0), _link(plain, reason=code), code == f.reason and not near))
    return tabs


async def _body(request: web.Request) -> dict[str, Any]:
    """What the queue's body shows: tabs with counts, one page of rows, paging, the bulk buttons."""
    deps = deps_of(request)
    shown = shown_filter(request.query, deps)
    f = queue_filter(shown, deps)
    counts = await deps.store.queue.queue_reason_counts(f)
    number = _page_number(request.query)
    rows, total, n_near = await _rows(deps, shown, f, number)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return {
        "f": f,
        "shown": shown,
        "near": shown.get("tab") == NEAR,
        "due": deadlines.clocked(deps, (row.line for row in rows), deps.clock()),
        "sort_link": _link(shown, sort=None if shown.get("sort") == NEAR else NEAR, page=None),
        "rows": rows,
        "total": total,
        "page_no": number,
        "pages": pages,
        "first": (number - 1) * PAGE_SIZE + 1,
        "first_link": _link(shown),
        "prev_link": _link(shown, page=min(number, pages + 1) - 1) if number > 1 else None,
        "next_link": _link(shown, page=number + 1) if number < pages else None,
        "tabs": _tabs(shown, f, counts),
        "near_tab": (n_near, _link(shown, reason=None, sort=None, page=None, tab=NEAR)),
        "live_link": "/queue/live?" + urlencode({**shown, "page": number}),
        "bulk_n": min(total, BATCH_MAX),
        "unreadable": [] if shown.get("tab") == NEAR else await _unreadable(deps, f, number),
        "batch_max": BATCH_MAX,
    }


async def queue(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    shown = shown_filter(request.query, deps)
    if shown.get("q") and "list" not in request.query:
        f = queue_filter(shown, deps)
        found = await deps.store.queue.search_trades(shown["q"], f.shop, shops=f.shops)
        if len(found) == 1:
            shop, tid = found[0]
            raise web.HTTPSeeOther(f"/orders/{shop}/{tid}")
    return page(
        request,
        "queue.html",
        nav="queue",
        shops=sorted(deps.settings.shops),
        storefronts=storefronts.in_use(deps),
        ages=list(AGES),
        states=[s.value for s in NEEDS_A_PERSON],
        **await _body(request),
    )


async def queue_live(request: web.Request) -> web.Response:
    """The queue's body alone (tabs, rows, paging) for the page's live updates."""
    return page(request, "_queue_body.html", **await _body(request))


async def bulk_offer(request: web.Request) -> web.StreamResponse:
    """Count the filter's lines now and show the confirmation (the count, the filter, a token)."""
    deps, user = deps_of(request), user_of(request)
    form = await request.post()
    shown = shown_filter({k: str(form.get(k, "")) for k in FILTER_KEYS}, deps)
    try:
        batch = await batches.offer(
            deps, user.name, str(form.get("action", "")), queue_filter(shown, deps), shown
        )
    except BatchRefused:
        return not_found(request)
    raise web.HTTPSeeOther(f"/queue/batches/{batch.id}")


async def _found(request: web.Request) -> Batch | None:
    raw = request.match_info["batch_id"]
    if len(raw) != 32 or not raw.isalnum():
        return None
    return await deps_of(request).store.queue.batch(raw)


async def batch_page(request: web.Request) -> web.Response:
    """Unconfirmed: what will be done, confirm. Acted on: the outcome, live until settled."""
    deps = deps_of(request)
    batch = await _found(request)
    if batch is None:
        return not_found(request, "not_found")
    entries = (await deps.store.queue.audit_batches([batch.id]))[batch.id]
    states = await deps.store.queue.line_states([e.line_id for e in entries if e.line_id])
    lines = [
        {
            "entry": e,
            "state": states.get(e.line_id) if e.line_id else None,
            "place": line_outcome(
                batch.action,
                (e.outcome, str((e.detail or {}).get("code", ""))),
                states.get(e.line_id) if e.line_id else None,
            ),
        }
        for e in entries
    ]
    return page(
        request,
        "queue_batch.html",
        nav="queue",
        batch=batch,
        tally=await batches.report(deps, batch),
        lines=lines,
        again=request.query.get("again") == "1",
        back=_link(batch.filter) if "ids" not in batch.filter else "/queue",
        resolutions=RESOLUTIONS,
    )


async def batch_act(request: web.Request) -> web.StreamResponse:
    """The confirmation: act on the counted lines once; then the batch's page reports the outcome."""
    deps, user = deps_of(request), user_of(request)
    batch = await _found(request)
    if batch is None:
        return not_found(request, "not_found")
    form = await request.post()
    note = str(form.get("note", "")).strip()[:500]
    try:
        acted = await batches.act(
            deps, user.name, batch.id, note=note, resolution=str(form.get("resolution", ""))
        )
    except BatchRefused as exc:
        raise see_other(f"/queue/batches/{batch.id}", msg=f"refused:{exc.code}") from None
    raise see_other(f"/queue/batches/{batch.id}", again="" if acted.fresh else "1")
