"""What the console tests share: a bridge on both sandboxes, accounts, orders and form helpers."""

from __future__ import annotations

import functools
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bridge.core.records import LineRecord
from bridge.lab.sandboxes import REPO_MAPPINGS, Sandboxes, bridge_settings
from bridge.services.accounts import hash_password
from bridge.services.delivery import write_back_due
from bridge.services.deps import Deps
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from bridge.services.memos import write_memos_due
from bridge.services.planning import plan_due
from bridge.settings import Settings

PASSWORD = "correct-horse-1"
USERS = {"cs1": "cs", "cs2": "cs", "admin1": "admin"}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_LOGIN_CSRF = re.compile(r'action="/login">\s*<input type="hidden" name="csrf" value="([^"]+)"')


def console_settings(sb: Sandboxes, workdir: Path, **sections: dict[str, Any]) -> Settings:
    """Settings for a bridge on ``sb`` with its own copy of the mappings (the console writes them)."""
    mappings = shutil.copytree(REPO_MAPPINGS, workdir / "mappings", ignore=shutil.ignore_patterns("history"))
    return bridge_settings(sb, workdir, **sections).model_copy(update={"mappings_dir": mappings})


@functools.cache
def _password_hash() -> str:
    """argon2 is slow on purpose: hash the shared test password once per run."""
    return hash_password(PASSWORD)


async def add_users(deps: Deps) -> None:
    for name, role in USERS.items():
        assert await deps.store.add_user(name, role, _password_hash(), deps.clock())


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


def line(sku: str = "TV-RC-0100", price: str = "100.00", qty: int = 1) -> dict[str, Any]:
    return {"outer_sku_id": sku, "title": "测试商品", "price": price, "quantity": qty}


@dataclass
class Market:
    """The shopper's and the auditor's side: place orders, read the billing ledger."""

    sb: Sandboxes
    http: aiohttp.ClientSession

    async def order(self, *lines: dict[str, Any], message: str | None = None, nick: str = "tb_test") -> int:
        body = {"buyer_nick": nick, "buyer_message": message, "lines": list(lines or (line(),))}
        async with self.http.post(f"{self.sb.market_url}/sandbox/trades", json=body) as resp:
            assert resp.status == 200, await resp.text()
            tid = int((await resp.json())["tid"])
        async with self.http.post(f"{self.sb.market_url}/sandbox/trades/{tid}/pay") as resp:
            assert resp.status == 200
        return tid

    async def ledger(self, tid: int | None = None) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.sb.billing_url}/sandbox/ledger") as resp:
            ops = (await resp.json())["operations"]
        return [op for op in ops if tid is None or f":{tid}:" in op["request_id"]]

    async def cards(self, status: str = "active", two_way: bool = True) -> list[str]:
        url = f"{self.sb.billing_url}/sandbox/subscribers?status={status}&two_way={str(two_way).lower()}"
        async with self.http.get(url) as resp:
            return [s["card_no"] for s in (await resp.json())["subscribers"]]

    def unknown_card(self) -> str:
        """A well-formed card number no subscriber has."""
        return "8371999999990000"


async def cycle(deps: Deps) -> None:
    """One pass of every job, in the daemon's order (burst mode)."""
    await poll_all(deps)
    await plan_due(deps)
    await fulfil_due(deps)
    await write_back_due(deps)
    await write_memos_due(deps)


async def lines_of(deps: Deps, tid: int) -> list[LineRecord]:
    [trade] = await deps.store.find_trades(tid)
    return await deps.store.trade_lines(trade.id)
