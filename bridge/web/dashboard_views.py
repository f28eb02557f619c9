"""The dashboard: what needs a person, how the day went, how fast orders go through, what is healthy.

Counts say whether they count orders (订单: trades) or lines (子订单: oids).
The charts are drawn here on the server (``bridge.web.charts``) from the
store's per-hour counts (``bridge.core.trends``); ``console.js`` fetches the
body again every few seconds. The store's figures come from the snapshot one
task keeps (``bridge.services.console_figures``), never a reading per viewer;
the page says how old it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bridge.core.states import BUSY, LineState
from bridge.core.trends import HourCounts, hourly, latency
from bridge.services.console_figures import HOURS, ConsoleFigures
from bridge.services.deps import Deps
from bridge.web.charts import Bar, Series, bar_chart, column_chart
from bridge.web.i18n import Translator
from bridge.web.render import deps_of, page, translator


def reason_chart(t: Translator, exceptions: list[tuple[str, int]]) -> Any:
    bars = [
        Bar(
            t(f"reason_short.{code}") if t.has(f"reason_short.{code}") else code,
            n,
            f"/queue?reason={code}",
            code,
        )
        for code, n in exceptions
    ]
    return bar_chart(bars, chart_id="chart-reasons", title=t("charts.reasons"), desc=t("charts.reasons_desc"))


def hours_chart(t: Translator, hours: list[HourCounts]) -> Any:
    series = [
        Series(t("charts.series_incoming"), "incoming", [h.incoming for h in hours]),
        Series(t("charts.series_delivered"), "delivered", [h.delivered for h in hours]),
        Series(t("charts.series_exceptions"), "exceptions", [h.exceptions for h in hours]),
    ]
    desc = t(
        "charts.hours_desc",
        incoming=sum(h.incoming for h in hours),
        delivered=sum(h.delivered for h in hours),
        exceptions=sum(h.exceptions for h in hours),
    )
    return column_chart(
        [h.label for h in hours], series, chart_id="chart-hours", title=t("charts.hours"), desc=desc
    )


def duration(t: Translator, seconds: float | None) -> str:
    """A span of time in its two largest units ("3 分 20 秒"); "—" for none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return t("charts.seconds", s=total)
    if total < 3600:
        return t("charts.minutes", m=total // 60, s=total % 60)
    return t("charts.hours_minutes", h=total // 3600, m=total % 3600 // 60)


def _polls(deps: Deps, figures: ConsoleFigures) -> list[dict[str, Any]]:
    """Each shop's cursor row with its watermark's age (the monitoring figures' watermark) and the alert."""
    now, limit = deps.clock(), deps.settings.alerts.watermark_age_s
    marks = {s.shop: s.watermark for s in figures.store.shops}
    polls = []
    for row in figures.cursor_rows:
        mark = marks.get(str(row["shop"]))
        age = max(0.0, (now - mark).total_seconds()) if mark is not None else None
        polls.append({**row, "watermark": mark, "watermark_age": age, "stale": age is None or age > limit})
    return polls


def _deadlines(figures: ConsoleFigures, now: datetime) -> list[dict[str, Any]]:
    """Each storefront's lines at risk, missed and missed today, its most urgent line's time left carried
    forward from the snapshot's moment to ``now``."""
    return [
        {
            "storefront": d.storefront,
            "at_risk": d.at_risk,
            "missed": d.missed,
            "missed_today": d.missed_today,
            "left": None if d.most_urgent_left is None else d.most_urgent_left - (now - figures.at),
        }
        for d in figures.deadlines
    ]


def _callbacks(deps: Deps, figures: ConsoleFigures, now: datetime) -> list[dict[str, Any]]:
    """Each channel's callbacks not yet acknowledged, the oldest's age carried forward to ``now`` and
    whether it is past ``[api] callback_alert_after_s`` (the alert rule's threshold)."""
    since = max(0.0, (now - figures.at).total_seconds())
    limit = deps.settings.api.callback_alert_after_s
    return [
        {
            "client": c.client,
            "pending": c.pending,
            "failing": c.failing,
            "oldest": c.oldest_pending_s + since,
            "late": c.oldest_pending_s + since > limit,
        }
        for c in figures.callbacks
    ]


def dashboard_figures(deps: Deps, t: Translator, figures: ConsoleFigures) -> dict[str, Any]:
    """What the dashboard shows: the store's figures from the snapshot (``bridge.services.console_figures``),
    this instance's own state (breaker, last calls, mappings) as it is now."""
    now = deps.clock()
    states = figures.store.lines_by_state
    exceptions = sorted(figures.store.exceptions_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
    hours = hourly(figures.activity, figures.at, HOURS)
    book = deps.runtime.figures
    return {
        "states": states,
        "exceptions": exceptions,
        "exception_total": states.get(LineState.EXCEPTION.value, 0),
        "waiting": figures.waiting_orders,
        "waiting_lines": figures.waiting_lines,
        "busy": sum(states.get(s.value, 0) for s in BUSY),
        "oldest": figures.store.oldest_exception,
        "delivered_today": figures.delivered_today,
        "polls": _polls(deps, figures),
        "watermark_limit": deps.settings.alerts.watermark_age_s,
        "push_enabled": deps.settings.push.enabled,
        "poll_interval_s": deps.settings.polling.interval_s,
        "billing_paused": deps.runtime.breaker.is_open(now),
        "billing_reason": deps.runtime.breaker.reason_at(now),
        "billing_until": deps.runtime.breaker.until,
        "last_applied": figures.last_applied,
        "last_call": deps.runtime.last_billing_call,
        "last_consume": deps.runtime.last_consume,
        "mapping_version": deps.runtime.mappings.version,
        "mappings_refused": deps.runtime.mappings_refused,
        "unmapped": figures.unmapped,
        "state_order": [s.value for s in LineState],
        "hours": hours,
        "latency": latency(list(figures.delivery_seconds)),
        "reason_chart": reason_chart(t, exceptions),
        "hours_chart": hours_chart(t, hours),
        "duration": lambda seconds: duration(t, seconds),
        "figures_at": figures.at,
        "figures_age": max(0, round((now - figures.at).total_seconds())),
        "figures_failing": book.failure is not None,
        "deadlines": _deadlines(figures, now),
        "callbacks": _callbacks(deps, figures, now),
        "callbacks_shown": deps.settings.api.enabled or bool(figures.callbacks),
    }


async def _served(request: web.Request, template: str, **extra: Any) -> web.Response:
    """``template`` over the figures' snapshot; 503 when the store has never been read."""
    deps, t = deps_of(request), translator(request)
    figures = await deps.runtime.figures.latest(deps)
    if figures is None:
        return page(request, "error.html", status=503, error="figures_unavailable")
    return page(request, template, **extra, **dashboard_figures(deps, t, figures))


async def dashboard(request: web.Request) -> web.Response:
    return await _served(request, "dashboard.html", nav="dashboard")


async def dashboard_live(request: web.Request) -> web.Response:
    """The dashboard's figures alone, fetched again every few seconds by console.js."""
    return await _served(request, "_dashboard_body.html")
