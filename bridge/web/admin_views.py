"""The audit log (everyone may read it) and the accounts page (admins only)."""

from __future__ import annotations

from aiohttp import web

from bridge.services.accounts import ROLES, AccountError, add_user, check_account, hash_password
from bridge.web.auth import require_admin
from bridge.web.pages import is_id
from bridge.web.render import deps_of, page, see_other, user_of


async def audit(request: web.Request) -> web.Response:
    deps = deps_of(request)
    actor = request.query.get("actor", "").strip()[:80] or None
    action = request.query.get("action", "").strip()[:40] or None
    raw = request.query.get("order", "").strip()
    order = int(raw) if is_id(raw) else None
    entries = await deps.store.console.audit_entries(actor=actor, action=action, tid=order)
    actors, actions = await deps.store.console.audit_actors_and_actions()
    batches = await deps.store.queue.audit_batches([e.batch for e in entries if e.batch and not e.line_id])
    return page(
        request,
        "audit.html",
        nav="audit",
        entries=entries,
        batches=batches,
        actors=actors,
        actions=actions,
        actor=actor or "",
        action=action or "",
        order=raw if order is not None else "",
    )


async def users_page(request: web.Request) -> web.Response:
    refused = require_admin(request)
    if refused is not None:
        return refused
    return page(
        request,
        "users.html",
        nav="users",
        users=await deps_of(request).store.accounts.all_users(),
        roles=ROLES,
    )


async def users_submit(request: web.Request) -> web.StreamResponse:
    """Add an account, or change one's role, password or status; each change audited."""
    refused = require_admin(request)
    if refused is not None:
        return refused
    form = await request.post()
    op = str(form.get("op", ""))
    name = str(form.get("name", "")).strip()[:80]
    try:
        await _change(request, op, name, str(form.get("role", "")), str(form.get("password", "")))
    except AccountError as exc:
        await _audit(request, op, name, "refused", exc.code)
        raise see_other("/users", msg=f"refused:account_{exc.code}") from None
    await _audit(request, op, name, "done", "")
    raise see_other("/users", msg=f"done:account_{op}", p=name)


async def _change(request: web.Request, op: str, name: str, role: str, password: str) -> None:
    deps, me = deps_of(request), user_of(request)
    store, now = deps.store, deps.clock()
    if op == "add":
        await add_user(store.accounts, name, role, password, now)
        return
    if op == "password":
        check_account(name, "cs", password)
        changed = await store.accounts.update_user(name, now, password_hash=hash_password(password))
    elif op in ("disable", "enable") and name != me.name:
        changed = await store.accounts.update_user(name, now, disabled=op == "disable")
    elif op == "role" and name != me.name:
        if role not in ROLES:
            raise AccountError("bad_role")
        changed = await store.accounts.update_user(name, now, role=role)
    else:
        raise AccountError("not_allowed")
    if not changed:
        raise AccountError("no_user")


async def _audit(request: web.Request, op: str, name: str, outcome: str, code: str) -> None:
    deps = deps_of(request)
    await deps.store.console.add_audit(
        at=deps.clock(),
        actor=user_of(request).name,
        action=f"user_{op}" if op in ("add", "password", "disable", "enable", "role") else "user_change",
        outcome=outcome,
        note=None,
        detail={"user": name, "code": code},
    )
