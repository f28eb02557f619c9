"""The audit log (everyone may read it) and the accounts page (admins only)."""

from __future__ import annotations

from aiohttp import web

from bridge.services.accounts import (
    ROLES,
    AccountError,
    account_note,
    add_user,
    check_account,
    hash_password,
)
from bridge.web.auth import require_admin
from bridge.web.pages import is_id
from bridge.web.render import deps_of, page, see_other, user_of


async def audit(request: web.Request) -> web.Response:
    deps = deps_of(request)
    actor = request.query.get("actor", "").strip()[:80] or None
    action = request.query.get("action", "").strip()[:40] or None
    raw = request.query.get("order", "").strip()
    order = raw if is_id(raw) else None
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
    """Add an account, or change one's role, password or status; each change audited (with it)."""
    refused = require_admin(request)
    if refused is not None:
        return refused
    form = await request.post()
    op = str(form.get("op", ""))
    name = str(form.get("name", "")).strip()[:80]
    deps, me = deps_of(request), user_of(request)
    try:
        await _change(request, op, name, str(form.get("role", "")), str(form.get("password", "")))
    except AccountError as exc:
        note = account_note(deps.clock(), me.name, op, name, "refused", exc.code)
        await deps.store.console.add_audit(
            at=note.at, actor=note.actor, action=note.action, outcome=note.outcome, detail=note.detail
        )
        raise see_other("/users", msg=f"refused:account_{exc.code}") from None
    raise see_other("/users", msg=f"done:account_{op}", p=name)


async def _change(request: web.Request, op: str, name: str, role: str, password: str) -> None:
    """Make the change with its audit entry (one transaction); ``AccountError`` when refused."""
    deps, me = deps_of(request), user_of(request)
    store, now = deps.store, deps.clock()
    audit = account_note(now, me.name, op, name)
    if op == "add":
        await add_user(store.accounts, name, role, password, now, audit)
        return
    if op == "password":
        check_account(name, "cs", password)
        changed = await store.accounts.update_user(
            name, now, password_hash=hash_password(password), audit=audit
        )
    elif op in ("disable", "enable") and name != me.name:
        changed = await store.accounts.update_user(name, now, disabled=op == "disable", audit=audit)
    elif op == "role" and name != me.name:
        if role not in ROLES:
            raise AccountError("bad_role")
        changed = await store.accounts.update_user(name, now, role=role, audit=audit)
    else:
        raise AccountError("not_allowed")
    if not changed:
        raise AccountError("no_user")
