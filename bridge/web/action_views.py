"""The console's buttons: each POST runs one service of ``bridge.services.cs_actions`` and redirects back.

POST → redirect → GET: reloading the page after an action never sends it
again, and the outcome travels as a message key (``msg=done:queued``).
"""

from __future__ import annotations

from typing import NoReturn

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bridge.core.states import LineState
from bridge.services import cs_actions as actions
from bridge.services.cs_actions import Outcome
from bridge.web.order_view import CARD_FIELD_MAX, CardForm, card_error, order_page
from bridge.web.pages import is_id
from bridge.web.render import deps_of, local_path, not_found, see_other, translator, user_of

Form = MultiDictProxy[str | bytes | bytearray | FileField]
"""A POSTed form, as ``request.post()`` reads it."""


def _back(outcome: Outcome, fallback: str) -> str:
    line = outcome.line
    return f"/orders/{line.shop}/{line.tid}" if line is not None else fallback


def _param(outcome: Outcome) -> str:
    """The one detail an outcome message shows (a reason code, the card lengths, a state)."""
    for key in ("reason", "lengths", "state", "status"):
        if key in outcome.params:
            return outcome.params[key]
    return ""


async def _card_refused(request: web.Request, outcome: Outcome, typed: str, note: str) -> web.Response | None:
    """A refused correction: the order page again, the number as typed and the reason at the field.

    Rendered in answer to the POST (no redirect), so the number never travels in a URL; None
    when the correction went through or the line no longer takes a card (the flash says why).
    """
    line = outcome.line
    if not outcome.refused or line is None or line.state is not LineState.EXCEPTION:
        return None
    trades = await deps_of(request).store.views.find_trades(line.tid, line.shop)
    if not trades:
        return None
    form = CardForm(line.id, typed, note, card_error(translator(request), outcome))
    return await order_page(request, trades[0], form, status=422)


async def line_form(request: web.Request) -> tuple[int, Form, str] | None:
    """A line action's line id (None when the URL's is not an id), its form and its note (≤ 500)."""
    raw_id = request.match_info["line_id"]
    if not is_id(raw_id):
        return None
    form = await request.post()
    return int(raw_id), form, str(form.get("note", "")).strip()[:500]


def answered(outcome: Outcome, form: Form) -> NoReturn:
    """POST → redirect → GET: back to the order (or the form's ``back``), the outcome as a message key."""
    back = _back(outcome, local_path(form.get("back"), "/queue"))
    raise see_other(back, msg=f"{outcome.status}:{outcome.code}", p=_param(outcome))


async def line_action(request: web.Request) -> web.StreamResponse:
    deps, user, name = deps_of(request), user_of(request), request.match_info["action"]
    sent = await line_form(request)
    if sent is None:
        return not_found(request)
    line_id, form, note = sent
    if name == "retry":
        outcome = await actions.retry(deps, user.name, line_id, note)
    elif name == "card":
        typed = str(form.get("card", ""))[:CARD_FIELD_MAX]
        outcome = await actions.correct_card(deps, user.name, line_id, typed, note)
        refused = await _card_refused(request, outcome, typed, note)
        if refused is not None:
            return refused
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
    answered(outcome, form)
