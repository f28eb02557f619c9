"""Who gets in and what they may do: sessions, CSRF, growing delays, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bridge.services.accounts import session_digest
from bridge.store.console_schema import audit_log, sessions
from bridge.web.auth import SESSION_COOKIE
from tests.web.conftest import Desk
from tests.web.rig import PASSWORD, login_csrf_in

PAGES = [
    "/",
    "/dashboard/live",
    "/queue",
    "/queue/live",
    "/queue/batches/" + "0" * 32,
    "/orders?tid=1",
    "/orders/main/1",
    "/mappings",
    "/mappings/edit",
    "/mappings/history",
    "/audit",
    "/users",
    "/reconcile",
    "/reconcile/2026-12-01.csv",
]


async def test_every_console_route_is_covered_by_the_page_list(desk: Desk) -> None:
    """The list the next test walks holds every GET route of the console (none forgotten)."""
    routes = {
        r.resource.canonical
        for r in desk.client.app.router.routes()
        if r.method == "GET" and r.resource is not None
    }
    open_routes = {"/login", "/lang/{lang}", "/static"}
    walked = {p.split("?")[0] for p in PAGES} | {
        "/orders/{shop}/{tid}",
        "/queue/batches/{batch_id}",
        "/reconcile/{day}.csv",
    }
    assert routes - open_routes <= walked


async def test_no_page_opens_without_a_session(desk: Desk) -> None:
    """Without signing in, every page sends the visitor to the sign-in page."""
    for path in PAGES:
        resp = await desk.client.get(path, allow_redirects=False)
        assert (resp.status, resp.headers["Location"][:12]) == (303, "/login?next="), path


async def test_login_page_opens_without_a_session(desk: Desk) -> None:
    """The sign-in page is the one page open to everyone."""
    resp = await desk.client.get("/login")
    assert resp.status == 200 and 'name="password"' in await resp.text()


async def test_post_without_a_session_is_refused(desk: Desk) -> None:
    """A state-changing request from nobody is refused before any handler runs."""
    resp = await desk.client.post("/queue/bulk", data={"action": "retry"}, allow_redirects=False)
    assert resp.status == 403


async def test_post_without_csrf_token_is_refused_and_changes_nothing(desk: Desk) -> None:
    """A signed-in browser's POST without the token is refused and leaves no audit entry."""
    await desk.login("cs1")
    resp = await desk.client.post("/lines/1/retry", data={"note": "x"}, allow_redirects=False)
    assert resp.status == 403
    assert "安全令牌" in await resp.text()
    async with desk.deps.store.engine.connect() as conn:
        assert (await conn.execute(select(audit_log))).all() == []


async def test_post_with_another_sessions_token_is_refused(desk: Desk) -> None:
    """A token from another session (an attacker's own) does not pass."""
    await desk.login("cs2")
    stolen = await desk.csrf()
    await desk.login("cs1")
    resp = await desk.client.post("/lines/1/retry", data={"csrf": stolen}, allow_redirects=False)
    assert resp.status == 403


async def test_login_cookie_is_httponly_and_samesite_strict(desk: Desk) -> None:
    """The session cookie cannot be read by scripts nor sent by other sites."""
    resp = await desk.login("cs1")
    header = next(h for h in resp.history[0].headers.getall("Set-Cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in header and "SameSite=Strict" in header


async def test_login_rotates_the_session_id(desk: Desk) -> None:
    """Signing in again gives a new session id and ends the old one."""
    await desk.login("cs1")
    first = desk.client.session.cookie_jar.filter_cookies(desk.client.make_url("/"))[SESSION_COOKIE].value
    page = await desk.client.get("/login")
    await desk.client.post(
        "/login", data={"csrf": login_csrf_in(await page.text()), "name": "cs1", "password": PASSWORD}
    )
    second = desk.client.session.cookie_jar.filter_cookies(desk.client.make_url("/"))[SESSION_COOKIE].value
    assert first != second
    assert await desk.deps.store.accounts.session_user(session_digest(first), desk.deps.clock()) is None


async def test_session_id_is_stored_only_as_a_digest(desk: Desk) -> None:
    """The database never holds the value the browser sends."""
    await desk.login("cs1")
    token = desk.client.session.cookie_jar.filter_cookies(desk.client.make_url("/"))[SESSION_COOKIE].value
    async with desk.deps.store.engine.connect() as conn:
        stored = (await conn.execute(select(sessions.c.id_hash))).scalars().all()
    assert stored == [session_digest(token)]


async def test_failed_login_makes_the_next_try_wait(desk: Desk) -> None:
    """After a wrong password even the right one is refused until the delay has passed."""
    wrong = await desk.login("cs1", "wrong-password")
    assert wrong.status == 401
    desk.rig.later(-5)  # the next try comes within the 1 s wait, however slow this machine is today
    right = await desk.login("cs1")
    assert right.status == 401 and "登录失败次数过多" in await right.text()


async def test_logout_ends_the_session(desk: Desk) -> None:
    """After signing out the old cookie opens nothing."""
    await desk.login("cs1")
    token = desk.client.session.cookie_jar.filter_cookies(desk.client.make_url("/"))[SESSION_COOKIE].value
    await desk.post("/logout")
    assert await desk.deps.store.accounts.session_user(session_digest(token), desk.deps.clock()) is None


@pytest.mark.parametrize("path", ["/mappings/edit", "/users"])
async def test_cs_cannot_open_admin_pages(desk: Desk, path: str) -> None:
    """CS staff get a 403 page on the mapping editor and the accounts page."""
    await desk.login("cs1")
    resp = await desk.client.get(path)
    assert resp.status == 403 and "仅限管理员" in await resp.text()


async def test_cs_cannot_save_a_mapping(desk: Desk) -> None:
    """Posting the editor's form as CS writes nothing."""
    await desk.login("cs1")
    before = (desk.deps.settings.mappings_dir / "skus.toml").read_text("utf-8")
    resp = await desk.post("/mappings/edit", {"op": "save", "outer_sku_id": "X", "product": "CH-FYZQ"})
    assert resp.status == 403
    assert (desk.deps.settings.mappings_dir / "skus.toml").read_text("utf-8") == before


async def test_pages_carry_security_headers(desk: Desk) -> None:
    """Pages forbid framing and inline scripts."""
    resp = await desk.client.get("/login")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
