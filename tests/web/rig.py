"""What the console tests add to the shared rig (tests/rig.py): accounts, CSRF tokens, own mappings."""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge.lab import DEMO_MAPPINGS
from bridge.lab.sandboxes import Sandboxes, bridge_config, bridge_settings
from bridge.services.accounts import hash_password
from bridge.services.deps import Deps
from bridge.settings import Settings, settings_from_dict

PASSWORD = "correct-horse-1"
USERS = {"cs1": "cs", "cs2": "cs", "admin1": "admin"}
UNKNOWN_CARD = "8371999999990000"  # well-formed, but no subscriber has it
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_LOGIN_CSRF = re.compile(r'action="/login">\s*<input type="hidden" name="csrf" value="([^"]+)"')


def console_settings(sb: Sandboxes, workdir: Path, **sections: dict[str, Any]) -> Settings:
    """Settings for a bridge on ``sb`` with its own copy of the mappings (the console writes them); the
    dashboard's figures read at each request, so a page shows what the test just did."""
    mappings = shutil.copytree(DEMO_MAPPINGS, workdir / "mappings", ignore=shutil.ignore_patterns("history"))
    sections = {**sections, "console": {"figures_every_s": 0, **sections.get("console", {})}}
    return bridge_settings(sb, workdir, **sections).model_copy(update={"mappings_dir": mappings})


PDD_SHOP = "pdd"
PDD_ENV = {"BRIDGE_PDD_CLIENT_SECRET": "sandbox-secret", "BRIDGE_PDD_ACCESS_TOKEN": "sandbox-token"}


def two_storefronts(pdd_router_url: str) -> Callable[..., Settings]:
    """``console_settings`` with a Pinduoduo shop (``pdd``, on the sandbox at ``pdd_router_url``) beside the
    Taobao shop ``main``."""

    def settings_for(sb: Sandboxes, workdir: Path, **sections: dict[str, Any]) -> Settings:
        mappings = shutil.copytree(
            DEMO_MAPPINGS, workdir / "mappings", ignore=shutil.ignore_patterns("history")
        )
        sections = {**sections, "console": {"figures_every_s": 0, **sections.get("console", {})}}
        config = bridge_config(sb, workdir, **sections)
        config["mappings_dir"] = str(mappings)
        config["shops"][PDD_SHOP] = {
            "storefront": "pinduoduo",
            "url": pdd_router_url,
            "client_id": "sandbox-client",
            "logistics_id": 1,
            "timeout_s": 5.0,
        }
        return settings_from_dict(config, {**sb.env(), **PDD_ENV}, source="<generated>")

    return settings_for


@functools.cache
def _password_hash() -> str:
    """argon2 is slow on purpose: hash the shared test password once per run."""
    return hash_password(PASSWORD)


async def add_users(deps: Deps) -> None:
    for name, role in USERS.items():
        assert await deps.store.accounts.add_user(name, role, _password_hash(), deps.clock())


def csrf_in(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def login_csrf_in(html: str) -> str:
    """The CSRF token of the sign-in form (a signed-in page also has the sign-out form's)."""
    found = _LOGIN_CSRF.search(html)
    assert found is not None, "no sign-in form on the page"
    return found.group(1)
