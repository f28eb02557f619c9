"""The web console for customer-service staff and admins, mounted on the daemon's aiohttp app.

``setup_console(app)`` adds the routes, templates and middlewares to the
application ``bridge run`` and ``bridge demo`` serve (``/healthz`` stays as
it is); ``make_console_app(deps)`` builds a console over ready-made deps
without the scheduler, for handler tests.

    /login /logout /lang/{zh|en}                  sign-in, sign-out, language
    /  /dashboard/live                            figures, refreshed by console.js
    /queue  /queue/live                           exception queue: reason tabs, pages, live updates
    POST /queue/bulk  /queue/batches/{id}         bulk retry/resolve/cancel of a filter: confirm, outcome
    /orders?tid=  /orders/{shop}/{tid}            one order: lines, timeline, actions
    POST /orders/{shop}/{tid}/note                CS's note added to the order's seller note
    POST /lines/{id}/{retry|card|resolve|cancel|refresh}
    /mappings  /mappings/edit  /mappings/history  catalogue, SKUs, inbox, editor, diffs
    /audit  /users                                audit log; accounts (admins)
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bridge.services.deps import Deps
from bridge.services.login_guard import HashGate
from bridge.web import (
    action_views,
    admin_views,
    auth,
    callback_views,
    ceiling_views,
    dashboard_views,
    mapping_views,
    note_views,
    pages,
    proxies,
    queue_views,
    reconcile_views,
    reversal_views,
)
from bridge.web.drafts import DRAFTS_KEY, Drafts
from bridge.web.keys import DEPS_KEY

__all__ = ["make_console_app", "setup_console"]


def _routes(router: web.UrlDispatcher) -> None:
    router.add_get("/login", auth.login_page)
    router.add_post("/login", auth.login_submit)
    router.add_post("/logout", auth.logout)
    router.add_get("/lang/{lang}", auth.switch_lang)
    router.add_get("/", dashboard_views.dashboard)
    router.add_get("/dashboard/live", dashboard_views.dashboard_live)
    router.add_get("/queue", queue_views.queue)
    router.add_get("/queue/live", queue_views.queue_live)
    router.add_post("/queue/bulk", queue_views.bulk_offer)
    router.add_get("/queue/batches/{batch_id}", queue_views.batch_page)
    router.add_post("/queue/batches/{batch_id}", queue_views.batch_act)
    router.add_get("/orders", pages.find_order)
    router.add_get("/orders/{shop}/{tid}", pages.order)
    router.add_post("/orders/{shop}/{tid}/note", note_views.note_submit)
    router.add_post("/orders/{shop}/{tid}/callbacks/resend", callback_views.resend_submit)
    router.add_post("/lines/{line_id}/{action}", action_views.line_action)
    reversal_views.add_routes(router)  # POST /reversals/{id}/{request|approve|reject|settle}
    ceiling_views.add_routes(router)  # POST /ceilings/{id}/approve
    router.add_get("/mappings", mapping_views.mappings)
    router.add_get("/mappings/edit", mapping_views.edit_form)
    router.add_post("/mappings/edit", mapping_views.edit_submit)
    router.add_get("/mappings/history", mapping_views.mapping_history)
    router.add_post("/mappings/accept", mapping_views.accept_submit)
    router.add_get("/audit", admin_views.audit)
    router.add_get("/users", admin_views.users_page)
    router.add_get("/reconcile", reconcile_views.reconcile_page)
    router.add_get("/reconcile/{day}.csv", reconcile_views.reconcile_csv)
    router.add_post("/users", admin_views.users_submit)
    static = Path(str(resources.files("bridge.web").joinpath("static")))
    router.add_static("/static/", static, name="static")


def setup_console(app: web.Application) -> None:
    """Mount the console on ``app`` (which must provide ``DEPS_KEY`` once started)."""
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("bridge.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    app.middlewares.extend([proxies.forwarded, auth.security_headers, auth.require_session, auth.check_csrf])
    app[DRAFTS_KEY] = Drafts()
    app[auth.HASH_GATE] = HashGate()
    _routes(app.router)


def make_console_app(deps: Deps) -> web.Application:
    """The console alone over ``deps`` (no scheduler, no cleanup): for tests and tools."""
    app = web.Application()
    app[DEPS_KEY] = deps
    setup_console(app)
    return app
