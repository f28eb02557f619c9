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
from bridge.web.action_views import _back, _param
from bridge.web.pages import is_id
from bridge.web.render import deps_of, local_path, not_found, see_other, user_of


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/reversals/{line_id}/{action}", reversal_action)


async def reversal_action(request: web.Request) -> web.StreamResponse:
    deps, user = deps_of(request), user_of(request)
    raw_id, name = request.match_info["line_id"], request.match_info["action"]
    if not is_id(raw_id):
        return not_found(request)
    line_id = int(raw_id)
    form = await request.post()
    note = str(form.get("note", "")).strip()[:500]
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
    back = _back(outcome, local_path(form.get("back"), "/queue"))
    raise see_other(back, msg=f"{outcome.status}:{outcome.code}", p=_param(outcome))
