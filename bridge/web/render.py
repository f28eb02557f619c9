"""What every page shares: the request's user, language and CSRF token, and the page render.

Handlers stay short: they gather data and call ``page(request, "x.html", ...)``;
the template gets the translator ``t``, the signed-in ``user``, the ``csrf``
token for its forms and the outcome message of the last action (``msg``),
which arrives as a key in the URL (after POST → redirect → GET) and is only
ever looked up in the catalogue, never shown as given.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp_jinja2
from aiohttp import web

from bridge.core.reasons import REASONS
from bridge.core.records import UserRecord
from bridge.services.deps import Deps
from bridge.web.i18n import LANG_COOKIE, Translator, pick_lang
from bridge.web.keys import DEPS_KEY
from bridge.web.storefronts import storefront_of

USER_KEY = web.RequestKey("console_user", UserRecord)
CSRF_KEY = web.RequestKey("console_csrf", str)


def deps_of(request: web.Request) -> Deps:
    return request.app[DEPS_KEY]


def translator(request: web.Request) -> Translator:
    return Translator(pick_lang(request.cookies.get(LANG_COOKIE)), deps_of(request).clock())


def user_of(request: web.Request) -> UserRecord:
    return request[USER_KEY]


def _message(request: web.Request, t: Translator) -> dict[str, str] | None:
    """The outcome of the last action, from ``?msg=status:code`` (known keys only)."""
    raw = request.query.get("msg", "")
    status, _, code = raw.partition(":")
    if status not in ("done", "unchanged", "refused", "info") or not t.has(f"outcome.{code}"):
        return None
    params = {k: request.query.get(k, "")[:80] for k in ("n", "m", "k", "p")}
    p = params["p"]
    if p in REASONS:
        params["p"] = t.reason(p)
    elif t.has(f"state.{p}"):
        params["p"] = t.state(p)
    return {"status": status, "text": t(f"outcome.{code}", **params)}


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    t = translator(request)
    user = request.get(USER_KEY)
    deps = deps_of(request)
    base = {
        "t": t,
        "lang": t.lang,
        "user": user,
        "is_admin": bool(user and user.role == "admin"),
        "csrf": request.get(CSRF_KEY, ""),
        "path": request.path,
        "here": request.path_qs,
        "msg": _message(request, t),
        "nav": "",
        "storefront": lambda shop: storefront_of(deps, shop),  # templates/_storefront.html's badge
    }
    response = aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


_MESSAGE_KEYS = frozenset({"msg", "n", "m", "k", "p"})


def see_other(target: str, **query: object) -> web.HTTPSeeOther:
    """A redirect after a POST (to be raised): ``see_other("/queue?q=x", msg="done:queued")``.

    The target's own query is kept (filters stay set), minus any earlier message.
    """
    parts = urlsplit(target)
    merged = {k: v for k, v in parse_qsl(parts.query) if k not in _MESSAGE_KEYS}
    merged.update({k: str(v) for k, v in query.items() if v not in (None, "")})
    return web.HTTPSeeOther(parts.path + ("?" + urlencode(merged) if merged else ""))


def local_path(value: object, default: str = "/") -> str:
    """``value`` when it is a path on this site (no scheme, no host), else ``default``.

    Anything a browser could read as another site is refused: ``//host``, a backslash, and control
    characters (a browser drops the tab of ``/<TAB>/x`` and goes to ``//x``).
    """
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(c < " " or c == "\x7f" for c in value):
        return default
    return value


def forbidden(request: web.Request, reason: str) -> web.Response:
    return page(request, "error.html", status=403, error=reason)


def not_found(request: web.Request, reason: str = "not_found") -> web.Response:
    return page(request, "error.html", status=404, error=reason)
