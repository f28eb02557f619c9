"""The demo's two console accounts (one CS, one admin) and the banner that announces them.

``bridge demo`` runs on a temporary database, so it creates these accounts
with fresh random passwords each run and prints them: they exist only as long
as the demo does.
"""

from __future__ import annotations

import secrets

from bridge.services.accounts import add_user
from bridge.services.deps import Deps

DEMO_USERS = (("demo-cs", "cs"), ("demo-admin", "admin"))


async def create_demo_logins(deps: Deps) -> dict[str, str]:
    """Create the demo accounts; returns ``{name: password}``."""
    logins = {}
    for name, role in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        await add_user(deps.store.accounts, name, role, password, deps.clock())
        logins[name] = password
    return logins


def console_banner(url: str, logins: dict[str, str]) -> str:
    """What the demo prints (to stderr) so a person can open the console."""
    cs, admin = (name for name, _ in DEMO_USERS)
    return (
        f"控制台 console: {url}\n"
        f"  客服 CS      {cs} / {logins[cs]}\n"
        f"  管理员 admin {admin} / {logins[admin]}\n"
        "  (demo-only accounts in a temporary database)\n"
    )
