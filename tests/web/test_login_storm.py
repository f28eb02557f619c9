"""Sign-in under a storm: parallel guesses checked a handful of times, the owner back in within
seconds, unknown names treated like known ones, trusted proxies, odd ``next=`` values."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bridge.services import accounts
from bridge.services.login_guard import ACCOUNT_DELAY_MAX_S
from bridge.settings import ConsoleSettings
from bridge.web import make_console_app
from bridge.web.auth import SESSION_COOKIE
from tests.web.conftest import Desk
from tests.web.rig import PASSWORD, login_csrf_in

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes the password was checked against, one per check (the real check runs)."""
    seen: list[str] = []
    real = accounts.verify_password

    def spy(password_hash: str, password: str) -> bool:
        seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", spy)
    return seen


@pytest.fixture
async def proxied(desk: Desk, aiohttp_client: ClientFactory) -> Client:
    """The console behind a proxy at 127.0.0.1 (the test client's address), trusted."""
    console = ConsoleSettings(trusted_proxies=["127.0.0.1"])  # type: ignore[list-item]
    settings = desk.deps.settings.model_copy(update={"console": console})
    return await aiohttp_client(make_console_app(replace(desk.deps, settings=settings)))


async def _sign_in(client: Client, name: str, password: str, **extra: Any) -> aiohttp.ClientResponse:
    headers = extra.pop("headers", {})
    page = await client.get("/login")
    form = {"csrf": login_csrf_in(await page.text()), "name": name, "password": password, **extra}
    return await client.post("/login", data=form, headers=headers, allow_redirects=False)


async def _storm(client: Client, name: str, sources: list[str]) -> list[int]:
    """One wrong password for ``name`` from each address in ``sources``, all at once."""
    page = await client.get("/login")
    token = login_csrf_in(await page.text())
    form = {"csrf": token, "name": name, "password": "wrong-password"}
    posts = [client.post("/login", data=form, headers={"X-Forwarded-For": ip}) for ip in sources]
    return [resp.status for resp in await asyncio.gather(*posts)]


async def test_fifty_parallel_guesses_from_one_address_are_checked_a_handful_of_times(
    desk: Desk, checked: list[str]
) -> None:
    """Fifty wrong passwords at once: the password is checked at most a handful of times."""
    statuses = await _storm(desk.client, "admin1", ["203.0.113.9"] * 50)  # not trusted: the peer counts
    assert statuses == [401] * 50
    assert 1 <= len(checked) <= 3


async def test_fifty_parallel_guesses_from_fifty_addresses_are_checked_a_handful_of_times(
    proxied: Client, checked: list[str]
) -> None:
    """A spread storm (fifty addresses, through the trusted proxy): the account's own slot holds."""
    statuses = await _storm(proxied, "admin1", [f"198.51.100.{n}" for n in range(50)])
    assert statuses == [401] * 50
    assert 1 <= len(checked) <= 3


async def test_after_a_storm_the_owner_signs_in_within_the_bounded_delay(desk: Desk, proxied: Client) -> None:
    """Someone else's fifty failures keep the account's owner out for a few seconds at most."""
    await _storm(proxied, "admin1", [f"198.51.100.{n}" for n in range(50)])
    desk.rig.later(ACCOUNT_DELAY_MAX_S)
    signed = await _sign_in(proxied, "admin1", PASSWORD, headers={"X-Forwarded-For": "192.0.2.7"})
    assert signed.status == 303 and SESSION_COOKIE in signed.cookies, await signed.text()


async def test_a_spray_from_one_address_stops_there_and_leaves_others_in(desk: Desk, proxied: Client) -> None:
    """An address trying name after name is held back; a person elsewhere signs in at once."""
    spray = {"X-Forwarded-For": "203.0.113.66"}
    tries = [await _sign_in(proxied, f"user{n}", "wrong-password", headers=spray) for n in range(8)]
    statuses = [resp.status for resp in tries]
    held = await _sign_in(proxied, "cs1", PASSWORD, headers=spray)
    assert statuses == [401] * 8 and held.status == 401 and "登录失败次数过多" in await held.text()
    signed = await _sign_in(proxied, "cs1", PASSWORD, headers={"X-Forwarded-For": "192.0.2.7"})
    assert signed.status == 303


async def test_an_unknown_name_is_checked_and_throttled_like_a_known_one(
    desk: Desk, checked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown name costs one check (against a dummy hash) and then waits, as a known name does."""
    # the account's wait after one failure is 1 s: a slow hash on a loaded machine would outlast it
    monkeypatch.setattr(accounts, "account_delay_s", lambda failures: 60.0)
    for name in ("cs1", "no.such.person"):
        first = await _sign_in(desk.client, name, "wrong-password")
        again = await _sign_in(desk.client, name, "wrong-password")
        assert (first.status, again.status) == (401, 401)
        assert "登录失败次数过多" in await again.text()
    known, unknown = checked
    assert known != unknown and unknown == accounts._DUMMY_HASH


async def test_a_trusted_proxy_saying_https_gets_a_secure_cookie_and_hsts(proxied: Client) -> None:
    """Behind the trusted TLS proxy the session cookie is Secure and answers carry HSTS."""
    signed = await _sign_in(proxied, "cs1", PASSWORD, headers={"X-Forwarded-Proto": "https"})
    cookie = next(h for h in signed.headers.getall("Set-Cookie") if h.startswith(SESSION_COOKIE))
    assert "Secure" in cookie
    assert signed.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_forwarded_headers_from_an_untrusted_peer_are_ignored(desk: Desk) -> None:
    """Without trusted_proxies, X-Forwarded-Proto makes no cookie Secure and adds no HSTS."""
    signed = await _sign_in(desk.client, "cs1", PASSWORD, headers={"X-Forwarded-Proto": "https"})
    cookie = next(h for h in signed.headers.getall("Set-Cookie") if h.startswith(SESSION_COOKIE))
    assert "Secure" not in cookie and "Strict-Transport-Security" not in signed.headers


ODD_NEXT = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nSet-Cookie: x=1",
    "/\x00x",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", ODD_NEXT)
async def test_an_odd_next_after_signing_in_goes_home(desk: Desk, target: str) -> None:
    """Whatever ``next`` holds, signing in never leaves the site and never fails: 303 to /."""
    signed = await _sign_in(desk.client, "cs1", PASSWORD, next=target)
    assert (signed.status, signed.headers["Location"]) == (303, "/")


@pytest.mark.parametrize("target", ODD_NEXT)
async def test_an_odd_next_on_the_sign_in_page_is_dropped(desk: Desk, target: str) -> None:
    """The sign-in page opens with an odd ``next`` in its address, and the form carries / instead."""
    page = await desk.client.get("/login", params={"next": target})
    assert page.status == 200 and 'name="next" value="/"' in await page.text()
