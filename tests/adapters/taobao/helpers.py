"""Test helpers: a movable clock, a shopper speaking the sandbox's JSON endpoints, raw TOP calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiohttp

from adapters.taobao.signing import format_timestamp, sign
from bridge.core.models import CST

APP_KEY = "sandbox-app"
APP_SECRET = "sandbox-secret"
SESSION_KEY = "sandbox-session"


class OffsetClock:
    """Real GMT+8 time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(CST) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class Shopper:
    """A buyer (and an inspector) using the sandbox's ``/sandbox/...`` endpoints over HTTP."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http = http
        self.base = base_url

    async def request(self, verb: str, path: str, body: object = None) -> tuple[int, Any]:
        async with self.http.request(verb, self.base + path, json=body) as resp:
            return resp.status, await resp.json()

    async def place(
        self, *, lines: int = 1, buyer_message: str | None = "卡号 8888000011112222", **extra: Any
    ) -> dict[str, Any]:
        body = {
            "buyer_nick": "tb_buyer",
            "buyer_message": buyer_message,
            "lines": [
                {
                    "outer_sku_id": f"RC-00{50 + i}",
                    "title": f"数字电视缴费卡 {i}",
                    "price": "50.00",
                    "quantity": 3,
                }
                for i in range(lines)
            ],
            **extra,
        }
        status, data = await self.request("POST", "/sandbox/trades", body)
        assert status == 200, data
        return dict(data)

    async def pay(self, tid: int) -> dict[str, Any]:
        status, data = await self.request("POST", f"/sandbox/trades/{tid}/pay")
        assert status == 200, data
        return dict(data)

    async def paid_trade(self, **kwargs: Any) -> dict[str, Any]:
        placed = await self.place(**kwargs)
        await self.pay(placed["tid"])
        return placed

    async def inspect(self, tid: int) -> dict[str, Any]:
        status, data = await self.request("GET", f"/sandbox/trades/{tid}")
        assert status == 200, data
        return dict(data)


def signed(params: dict[str, str], *, secret: str = APP_SECRET, sign_method: str = "md5") -> dict[str, str]:
    """``params`` plus the system parameters and a valid signature."""
    full = {
        "app_key": APP_KEY,
        "session": SESSION_KEY,
        "timestamp": format_timestamp(datetime.now(CST)),
        "v": "2.0",
        "format": "json",
        "sign_method": sign_method,
        **params,
    }
    full["sign"] = sign(full, secret, sign_method)
    return full


async def raw_call(
    http: aiohttp.ClientSession, url: str, params: dict[str, str], **kw: Any
) -> dict[str, Any]:
    """POST a signed TOP call and return the decoded JSON (the status must be 200)."""
    async with http.post(url, data=signed(params, **kw)) as resp:
        assert resp.status == 200
        return dict(await resp.json())
