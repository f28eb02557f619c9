"""The order page's callbacks: CS sends one of a channel order's callbacks again.

    POST /orders/{shop}/{tid}/callbacks/resend    key=…  → the order page with the outcome

The callback goes again with its own idempotency key (the channel deduplicates on it)
at the sender's next look; the resend is audited with the change
(``bridge.services.api_callbacks.resend_callback``).
"""

from __future__ import annotations

from aiohttp import web

from bridge.services.api_callbacks import resend_callback
from bridge.web.pages import is_id
from bridge.web.render import deps_of, not_found, see_other, user_of

__all__ = ["resend_submit"]

_KEY_MAX = 64


async def resend_submit(request: web.Request) -> web.StreamResponse:
    deps, user = deps_of(request), user_of(request)
    shop, tid = request.match_info["shop"], request.match_info["tid"]
    if not is_id(tid):
        return not_found(request, "order_not_found")
    form = await request.post()
    key = str(form.get("key", ""))[:_KEY_MAX]
    outcome = await resend_callback(deps, user.name, shop, tid, key)
    raise see_other(f"/orders/{shop}/{tid}#callbacks", msg=f"{outcome.status}:{outcome.code}")
