"""The console's buttons: each POST runs one service of ``bridge.services.cs_actions`` and redirects back.

POST → redirect → GET: reloading the page after an action never sends it
again, and the outcome travels as a message key (``msg=done:queued``).
"""

from __future__ import annotations

from aiohttp import web

from bridge.services import cs_actions as actions
from bridge.services.cs_actions import Outcome
from bridge.web.pages import is_id
from bridge.web.render import deps_of, local_path, not_found, see_other, user_of


def _back(outcome: Outcome, fallback: str) -> str:
    line = outcome.line
    return f"/orders/{line.shop}/{line.tid}" if line is not None else fallback


def _param(outcome: Outcome) -> str:
    """The one detail an outcome message shows (a reason code, the card lengths, a state)."""
    for key in ("reason", "lengths", "state", "status"):
        if key in outcome.params:
            return outcome.params[key]
    return ""


async def line_action(request: web.Request) -> web.StreamResponse:
    deps, user = deps_of(request), user_of(request)
    raw_id, name = request.match_info["line_id"], request.match_info["action"]
    if not is_id(raw_id):
        return not_found(request)
    line_id = int(raw_id)
    form = await request.post()
    note = str(form.get("note", "")).strip()[:500]
    if name == "retry":
        outcome = await actions.retry(deps, user.name, line_id, note)
    elif name == "card":
        outcome = await actions.correct_card(deps, user.name, line_id, str(form.get("card", ""))[:40], note)
    elif name == "resolve":
        resolution = str(form.get("resolution", ""))
        outcome = await actions.resolve(deps, user.name, line_id, resolution, note)
    elif name == "cancel":
        outcome = await actions.cancel_refund(deps, user.name, line_id, note)
    elif name == "reversal":
        outcome = await actions.refund_by_reversal(deps, user.name, line_id, note)
    elif name == "refresh":
        outcome = await actions.refresh_auth(deps, user.name, line_id, note)
    else:
        return not_found(request)
    back = _back(outcome, local_path(form.get("back"), "/queue"))
    raise see_other(back, msg=f"{outcome.status}:{outcome.code}", p=_param(outcome))
