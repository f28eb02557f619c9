"""Reconciliation (对账): the reconciled days with their counts per kind, one day's rows, its CSV.

Read-only for everyone signed in: the runs come from the store as the daily job
(or ``bridge reconcile``) left them; each row about an order links to the order's
page. ``?day=YYYY-MM-DD`` picks the day (default: the newest); the CSV is the
same as ``bridge reconcile --csv`` writes (amounts in fen, cards masked).
"""

from __future__ import annotations

from datetime import date

from aiohttp import web

from bridge.core.reconcile import KINDS, csv_text
from bridge.web.render import deps_of, page


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _bad_day(request: web.Request, text: str) -> web.Response:
    return page(request, "reconcile.html", status=400, nav="reconcile", runs=[], kinds=KINDS, run=None,
                rows=[], bad_day=text[:40])  # fmt: skip


async def reconcile_page(request: web.Request) -> web.Response:
    deps = deps_of(request)
    runs = await deps.store.reconcile.reconcile_runs()
    wanted = request.query.get("day", "")
    day = _day(wanted) if wanted else (runs[0].day if runs else None)
    if wanted and day is None:
        return _bad_day(request, wanted)
    shown = await deps.store.reconcile.reconcile_run(day) if day is not None else None
    run, rows = shown if shown is not None else (None, [])
    return page(request, "reconcile.html", nav="reconcile", runs=runs, kinds=KINDS, run=run, rows=rows,
                bad_day=None)  # fmt: skip


async def reconcile_csv(request: web.Request) -> web.Response:
    deps = deps_of(request)
    text = request.match_info["day"]
    day = _day(text)
    if day is None:
        return _bad_day(request, text)
    shown = await deps.store.reconcile.reconcile_run(day)
    if shown is None:
        raise web.HTTPNotFound(text=f"{day.isoformat()} was never reconciled")
    _, rows = shown
    body = csv_text(r.row for r in rows if r.cleared_at is None)
    return web.Response(
        body=body.encode("utf-8-sig"),  # with a BOM: spreadsheet programs then read the Chinese right
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="reconcile-{day.isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )
