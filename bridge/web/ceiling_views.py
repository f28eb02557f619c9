"""The console's approval of a large line: one POST runs ``bridge.services.ceilings.approve``.

    POST /ceilings/{line_id}/approve   an admin lets a line past its ceilings (EXCEPTION,
                                       LINE_OVER_CEILING or TRADE_OVER_CEILING); CS is refused

POST → redirect → GET, the outcome as a message key, like every other action
(``bridge.web.action_views``); the button is in ``templates/_ceiling.html``, included in the
order page. A second click finds the line moved on and changes nothing.
"""

from __future__ import annotations

from aiohttp import web

from bridge.services import ceilings
from bridge.web.action_views import answered, line_form
from bridge.web.render import deps_of, not_found, user_of


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/ceilings/{line_id}/approve", approve)


async def approve(request: web.Request) -> web.StreamResponse:
    deps, user = deps_of(request), user_of(request)
    sent = await line_form(request)
    if sent is None:
        return not_found(request)
    line_id, form, note = sent
    outcome = await ceilings.approve(deps, user.name, line_id, admin=user.role == "admin", note=note)
    answered(outcome, form)
