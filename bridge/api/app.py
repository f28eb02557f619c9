"""The order API as its own aiohttp application, served on ``[api] listen`` beside the console.

It shares nothing with the console but the store: no cookies, no sessions, no
templates; every answer is JSON (``bridge.api.errors`` for the refusals). The
daemon starts it once the store is open (``bridge.app``); tests serve it alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from aiohttp import web

from bridge.api.context import CONTEXT_KEY, ApiContext
from bridge.api.errors import ApiError
from bridge.api.handlers import get_order, list_orders, openapi, post_order, refund_order
from bridge.api.signing import signed
from bridge.core.errors import StoreUnavailable

__all__ = ["make_api_app", "serving_api"]

log = structlog.get_logger("bridge.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_STORE_RETRY_S = 5


@web.middleware
async def _refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every refusal as the API's JSON error, whatever raised it."""
    try:
        return await handler(request)
    except ApiError as err:
        return err.response()
    except web.HTTPNotFound:
        return ApiError("API_NO_ROUTE").response()
    except web.HTTPMethodNotAllowed:
        return ApiError("API_METHOD_NOT_ALLOWED").response()
    except StoreUnavailable as exc:  # nothing was acknowledged: the client sends it again
        log.warning("api_store_unavailable", path=request.path, code=exc.code)
        return ApiError("API_UNAVAILABLE", retry_after_s=_STORE_RETRY_S).response()
    except Exception:  # a bug: logged with its traceback, answered as JSON all the same
        log.exception("api_failed", path=request.path)
        return ApiError("API_INTERNAL").response()


def make_api_app(ctx: ApiContext) -> web.Application:
    """The API over ``ctx`` (its settings, the store's role, the clock)."""
    app = web.Application(middlewares=[_refusals, signed], client_max_size=ctx.settings.max_body_bytes)
    app[CONTEXT_KEY] = ctx
    app.router.add_post("/api/v1/orders", post_order)
    app.router.add_get("/api/v1/orders", list_orders, allow_head=False)
    app.router.add_get("/api/v1/orders/{order_id}", get_order, allow_head=False)
    app.router.add_post("/api/v1/orders/{order_id}/refund", refund_order)
    app.router.add_get("/api/v1/openapi.json", openapi, allow_head=False)
    return app


@asynccontextmanager
async def serving_api(ctx: ApiContext) -> AsyncIterator[None]:
    """The API served on ``ctx.settings.listen`` while the context lasts."""
    host, port = ctx.settings.listen.rsplit(":", 1)
    runner = web.AppRunner(make_api_app(ctx), handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, int(port)).start()
        log.info("api_listening", listen=ctx.settings.listen, clients=sorted(ctx.settings.clients))
        yield
    finally:
        await runner.cleanup()
