"""The order page's seller-note form: CS adds a note to the order's seller note on its storefront.

    POST /orders/{shop}/{tid}/note    note=…  → the order page with the outcome

The length rule is the storefront's (``StorefrontPort.notes``); an over-long note
comes back refused, the limit and its size in the message, before any call
(``bridge.services.cs_notes``).
"""

from __future__ import annotations

from aiohttp import web

from bridge.services.cs_notes import NOTE_FIELD_MAX, add_note
from bridge.web.pages import is_id
from bridge.web.render import deps_of, not_found, see_other, user_of

__all__ = ["note_submit"]


async def note_submit(request: web.Request) -> web.StreamResponse:
    deps, user = deps_of(request), user_of(request)
    shop, tid = request.match_info["shop"], request.match_info["tid"]
    if shop not in deps.settings.shops or not is_id(tid):
        return not_found(request, "order_not_found")
    form = await request.post()
    text = str(form.get("note", ""))[: NOTE_FIELD_MAX + 1]
    outcome = await add_note(deps, user.name, shop, tid, text)
    if outcome.code == "note.no_order":
        return not_found(request, "order_not_found")
    params = {k: v for k, v in outcome.params.items() if k in ("n", "m", "k")}
    raise see_other(f"/orders/{shop}/{tid}#seller-note", msg=f"{outcome.status}:{outcome.code}", **params)
