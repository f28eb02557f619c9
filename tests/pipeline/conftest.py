"""A bridge wired to both sandboxes over real HTTP, its services called directly (burst mode)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bridge.deps import Deps, utc_now
from bridge.fulfil import fulfil_due
from bridge.ingest import poll_all
from bridge.plan import plan_due
from bridge.sandboxes import Sandboxes, bridge_settings, running_sandboxes
from bridge.wiring import build_deps
from bridge.writeback import write_back_due, write_memos_due

CARD_OK = "8371000000000000"  # replaced by a real seeded card in the fixture


@dataclass
class Rig:
    sb: Sandboxes
    deps: Deps
    http: aiohttp.ClientSession
    offset: list[float] = field(default_factory=lambda: [0.0])

    def later(self, seconds: float) -> None:
        """Move the bridge's clock forward (backoff and leases) without sleeping."""
        self.offset[0] += seconds

    async def order(self, *lines: dict[str, Any], message: str | None = None, pay: bool = True) -> int:
        body = {"buyer_nick": "tb_test", "buyer_message": message, "lines": list(lines)}
        async with self.http.post(f"{self.sb.market_url}/sandbox/trades", json=body) as resp:
            assert resp.status == 200, await resp.text()
            tid = int((await resp.json())["tid"])
        if pay:
            async with self.http.post(f"{self.sb.market_url}/sandbox/trades/{tid}/pay") as resp:
                assert resp.status == 200
        return tid

    async def refund(self, tid: int, oid: int, outcome: str) -> None:
        url = f"{self.sb.market_url}/sandbox/trades/{tid}/refund"
        async with self.http.post(url, json={"oid": oid, "outcome": outcome}) as resp:
            assert resp.status == 200, await resp.text()

    async def market_trade(self, tid: int) -> dict[str, Any]:
        async with self.http.get(f"{self.sb.market_url}/sandbox/trades/{tid}") as resp:
            return dict(await resp.json())

    async def ledger(self, tid: int | None = None) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.sb.billing_url}/sandbox/ledger") as resp:
            ops = (await resp.json())["operations"]
        return [op for op in ops if tid is None or f":{tid}:" in op["request_id"]]

    async def cards(self, status: str = "active", two_way: bool = True) -> list[str]:
        url = f"{self.sb.billing_url}/sandbox/subscribers?status={status}&two_way={str(two_way).lower()}"
        async with self.http.get(url) as resp:
            return [s["card_no"] for s in (await resp.json())["subscribers"]]

    async def cycle(self) -> None:
        """One pass of every job, in the daemon's order."""
        await poll_all(self.deps)
        await plan_due(self.deps)
        await fulfil_due(self.deps)
        await write_back_due(self.deps)
        await write_memos_due(self.deps)

    async def lines(self, tid: int) -> list[Any]:
        [trade] = await self.deps.store.find_trades(tid)
        return await self.deps.store.trade_lines(trade.id)


def line(sku: str = "TV-RC-0100", price: str = "100.00", qty: int = 1, **extra: Any) -> dict[str, Any]:
    return {"outer_sku_id": sku, "title": "测试商品", "price": price, "quantity": qty, **extra}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_sandboxes(seed=11) as sb:
        settings = bridge_settings(sb, tmp_path, polling={"overlap_s": 120, "initial_lookback_s": 300})
        async with build_deps(settings) as deps, aiohttp.ClientSession() as http:
            r = Rig(sb, deps, http)
            deps.clock = lambda: utc_now() + timedelta(seconds=r.offset[0])
            yield r


def now() -> datetime:
    return utc_now()
