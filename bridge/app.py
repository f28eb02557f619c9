"""The daemon as an aiohttp application: lifecycle in cleanup_ctx, a health page, Prometheus metrics.

Start-up order is store → adapters → the order API's listener (``[api] enabled``:
its own site on ``[api] listen``, ``bridge.api``) → scheduler; shutdown runs in
reverse and lets in-flight remote calls finish (bounded by ``shutdown_grace_s``).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from bridge.api import ApiContext, serving_api
from bridge.metrics import CONTENT_TYPE, BridgeMetrics
from bridge.services.api_intake import posted_orders
from bridge.services.health import report as health_report
from bridge.services.jobs import build_scheduler, stop_scheduler
from bridge.services.mappings import flag_unaudited_saves
from bridge.services.recovery import refuse_restored
from bridge.settings import Settings
from bridge.web import setup_console
from bridge.web.keys import DEPS_KEY, SETTINGS_KEY
from bridge.wiring import build_deps

__all__ = ["METRICS_KEY", "health", "make_app", "metrics", "run_daemon", "serve"]

log = structlog.get_logger("bridge.app")

METRICS_KEY = web.AppKey("metrics", BridgeMetrics)


async def _deps_ctx(app: web.Application) -> AsyncIterator[None]:
    async with build_deps(app[SETTINGS_KEY], metrics=app[METRICS_KEY].recorder) as deps:
        await refuse_restored(deps)  # a restored backup: `bridge recover` first
        app[DEPS_KEY] = deps
        yield


async def _api_ctx(app: web.Application) -> AsyncIterator[None]:
    """The order API on its own listener, over the store just opened (nothing when it is off)."""
    settings, deps = app[SETTINGS_KEY], app[DEPS_KEY]
    if not settings.api.enabled:
        yield
        return
    ctx = ApiContext(settings.api, deps.store.api_orders, deps.clock, on_order=posted_orders(deps))
    async with serving_api(ctx):
        yield


async def _scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    deps = app[DEPS_KEY]
    await flag_unaudited_saves(deps)  # a mapping save cut short by a crash: audited now, flagged
    scheduler = build_scheduler(deps)
    scheduler.start()
    log.info(
        "bridge_started", owner=deps.owner, shops=list(deps.shops), mappings=deps.runtime.mappings.version
    )
    yield
    await stop_scheduler(scheduler, deps)
    log.info("bridge_stopped", owner=deps.owner)


async def health(request: web.Request) -> web.Response:
    """200 when the daemon can do its work, else 503 with the reasons: the same JSON either way."""
    status, body = await health_report(request.app[DEPS_KEY])
    return web.json_response(body, status=status)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus's text format: this instance's calls and the shared store's figures, read now."""
    body = await request.app[METRICS_KEY].exposition(request.app[DEPS_KEY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def make_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[SETTINGS_KEY] = settings
    app[METRICS_KEY] = BridgeMetrics()
    app.cleanup_ctx.append(_deps_ctx)
    app.cleanup_ctx.append(_api_ctx)
    app.cleanup_ctx.append(_scheduler_ctx)
    app.router.add_get("/healthz", health)
    app.router.add_get("/metrics", metrics)
    setup_console(app)
    return app


async def serve(app: web.Application, listen: str, stop: asyncio.Event) -> None:
    """Run ``app`` on ``listen`` until ``stop`` is set (SIGTERM/SIGINT set it too)."""
    host, port = listen.rsplit(":", 1)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, int(port))
        await site.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutdown_requested")
    finally:
        await runner.cleanup()


async def run_daemon(settings: Settings) -> None:
    await serve(make_app(settings), settings.listen, asyncio.Event())
