"""The console's reversal buttons: each POST runs one service of ``bridge.services.reversals``.

    POST /reversals/{line_id}/request   CS asks for the reversal (REVERSAL_PENDING)
    POST /reversals/{line_id}/approve   an admin approves it (REVERSAL_REQUESTED)
    POST /reversals/{line_id}/reject    an admin rejects it, with the reason in ``note``
    POST /reversals/{line_id}/settle    CS settles it by hand (REVERSAL_PENDING, ``note`` required)

POST → redirect → GET, the outcome as a message key, like every other action
(``bridge.web.action_views``); the buttons are in ``templates/_reversal.html``,
included in the order page. A second click finds the line moved on and changes nothing.
"""

from __future__ import annotations

from aiohttp import web

from bridge.services import reversals
from bridge.web.action_views import answered, line_form
from bridge.web.render import deps_of, not_found, user_of


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/reversals/{line_id}/{action}", reversal_action)


async def reversal_action(request: web.Request) -> web.StreamResponse:
    deps, user, name = deps_of(request), user_of(request), request.match_info["action"]
    sent = await line_form(request)
    if sent is None:
        return not_found(request)
    line_id, form, note = sent
    admin = user.role == "admin"
    if name == "request":
        outcome = await reversals.request(deps, user.name, line_id, note)
    elif name == "approve":
        outcome = await reversals.approve(deps, user.name, line_id, admin=admin, note=note)
    elif name == "reject":
        outcome = await reversals.reject(deps, user.name, line_id, admin=admin, reason=note)
    elif name == "settle":
        outcome = await reversals.settle_by_hand(deps, user.name, line_id, note)
    else:
        return not_found(request)
    answered(outcome, form)
