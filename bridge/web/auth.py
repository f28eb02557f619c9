"""Who may see and do what: sessions, CSRF checks, sign-in and sign-out, security headers.

Every page but the sign-in page needs a session (``/healthz`` and ``/metrics`` stay open
for monitoring, ``/static`` holds only CSS and JS). Every POST carries a CSRF
token that must match the session's (the sign-in form, before there is a
session, matches a token set in its own cookie). Cookies are HttpOnly and
SameSite=Strict, and Secure when the client came by HTTPS (directly or through one of
``[console] trusted_proxies``, see ``bridge.web.proxies``; such answers carry HSTS too); sign-in
tries are throttled per source address and account (``bridge.services.login_guard``, the
process's ``HASH_GATE`` bounding the hashing); a sign-in always starts a new session id (the old one is
ended), and the store keeps only its digest. Roles are checked per handler
with ``require_admin``. A form sent after the session ran out leads to the sign-in page and,
once signed in, back to the page it came from (its ``back`` field); a card correction's
number waits in ``bridge.web.drafts`` meanwhile.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bridge.services.accounts import authenticate, session_digest, start_session
from bridge.services.login_guard import HashGate
from bridge.web.drafts import DRAFTS_KEY, CardDraft
from bridge.web.i18n import LANG_COOKIE, LANGS
from bridge.web.order_view import CARD_FIELD_MAX
from bridge.web.render import (
    CSRF_KEY,
    USER_KEY,
    deps_of,
    forbidden,
    local_path,
    page,
    see_other,
    user_of,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HASH_GATE = web.AppKey("hash_gate", HashGate)
SESSION_COOKIE = "bridge_session"
LOGIN_CSRF_COOKIE = "bridge_login_csrf"
_OPEN_PATHS = frozenset({"/login", "/healthz", "/metrics", "/favicon.ico"})
_OPEN_PREFIXES = ("/static/", "/lang/")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_HSTS = "max-age=31536000"
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _is_open(path: str) -> bool:
    return path in _OPEN_PATHS or path.startswith(_OPEN_PREFIXES)


def _set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="Strict", secure=request.secure, path="/", max_age=None
    )


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _headers(request, response)
        raise
    _headers(request, response)
    return response


def _headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.secure:
        response.headers.setdefault("Strict-Transport-Security", _HSTS)
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")


@web.middleware
async def require_session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the signed-in user; send everyone else to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    found = None
    if token:
        deps = deps_of(request)
        found = await deps.store.accounts.session_user(session_digest(token), deps.clock())
    if found is not None:
        request[USER_KEY], request[CSRF_KEY] = found
    elif not _is_open(request.path):
        if request.method in _SAFE_METHODS:
            raise see_other("/login", next=request.path_qs)
        await _back_after_login(request)
        return forbidden(request, "no_session")
    return await handler(request)


_CARD_ACTION = re.compile(r"/lines/([0-9]{1,18})/card")


async def _back_after_login(request: web.Request) -> None:
    """A form sent after the session ran out: to the sign-in page, then back to the form's page.

    A card correction's number and note wait in the drafts (``bridge.web.drafts``): only the
    draft's token travels in the URL, so the number never reaches a log. Returns (to answer
    "please sign in") when the form names no page of this site to come back to.
    """
    form = await request.post()
    back = local_path(form.get("back"), "")
    if not back:
        return
    found = _CARD_ACTION.fullmatch(request.path)
    if found is None:
        raise see_other("/login", next=back)
    draft = CardDraft(
        line_id=int(found.group(1)),
        card=str(form.get("card", ""))[:CARD_FIELD_MAX],
        note=str(form.get("note", ""))[:500],
    )
    token = request.app[DRAFTS_KEY].keep(draft)
    raise see_other("/login", next=urlsplit(back).path + "?" + urlencode({"draft": token}), kept="card")


@web.middleware
async def check_csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse any state-changing request whose CSRF token does not match."""
    if request.method in _SAFE_METHODS:
        return await handler(request)
    form = await request.post()
    sent = str(form.get("csrf", "") or request.headers.get("X-CSRF-Token", ""))
    if request.path == "/login":
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    else:
        expected = request.get(CSRF_KEY, "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        return forbidden(request, "csrf")
    return await handler(request)


async def login_page(
    request: web.Request, error: str = "", wait_s: float = 0.0, back: object = None
) -> web.Response:
    # keep the browser's token if it has one: a second tab (or a favicon fetch) must not void the first
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if len(token) < 40:
        token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        status=200 if not error else 401,
        login_csrf=token,
        next=local_path(back if back is not None else request.query.get("next")),
        card_kept=request.query.get("kept") == "card" or "draft=" in str(back or ""),
        error=error,
        wait_s=math.ceil(wait_s),
    )
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token)
    return response


async def login_submit(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    form = await request.post()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    gate = request.app[HASH_GATE]
    outcome = await authenticate(deps.store.accounts, gate, name, password, request.remote, deps.clock())
    if outcome.user is None:
        error = "throttled" if outcome.throttled else "wrong"
        return await login_page(request, error, outcome.wait_s, form.get("next"))
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await deps.store.accounts.end_session(session_digest(old))
    token, _ = await start_session(deps.store.accounts, outcome.user, deps.clock())
    response = see_other(local_path(form.get("next")))
    _set_cookie(request, response, SESSION_COOKIE, token)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await deps_of(request).store.accounts.end_session(session_digest(token))
    response = see_other("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def switch_lang(request: web.Request) -> web.StreamResponse:
    """Remember the chosen language (a preference, not an action: no CSRF needed)."""
    lang = request.match_info["lang"]
    response = see_other(local_path(request.query.get("next")))
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="Strict", path="/", max_age=31536000)
    raise response


def require_admin(request: web.Request) -> web.Response | None:
    """None for an admin; else the 403 page to return."""
    return None if user_of(request).role == "admin" else forbidden(request, "admin_only")
