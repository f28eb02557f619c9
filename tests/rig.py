"""A bridge wired to both sandboxes over real HTTP, in this process, its services called directly.

``Rig`` gives the tests what a shopper and an operator see: place an order,
read the billing ledger and the sandboxes' stats, and run one pass of every
job in the daemon's order (burst mode). The bridge's clock can be moved
forward without sleeping, so backoff, leases and the breaker are exercised
deterministically. Shared by tests/services, tests/lab and tests/web.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from adapters.billing_core.sandbox import BillingKnobs
from adapters.taobao.sandbox import TaobaoSandbox
from bridge.core import request_ids
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.lab.sandboxes import Sandboxes, bridge_settings, running_sandboxes
from bridge.ports import MetricsPort
from bridge.services.delivery import write_back_due
from bridge.services.deps import Deps
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from bridge.services.memos import write_memos_due
from bridge.services.planning import plan_due
from bridge.settings import Settings
from bridge.wiring import build_deps


@dataclass
class Rig:
    sb: Sandboxes
    deps: Deps
    http: aiohttp.ClientSession
    offset: list[float] = field(default_factory=lambda: [0.0])

    def later(self, seconds: float) -> None:
        """Move the bridge's clock forward (backoff, leases, the breaker) without sleeping."""
        self.offset[0] += seconds

    async def order(
        self, *lines: dict[str, Any], message: str | None = None, pay: bool = True, nick: str = "tb_e2e"
    ) -> str:
        """Place (and pay) one order as a shopper (default: one ``line()``); its tid."""
        body = {"buyer_nick": nick, "buyer_message": message, "lines": list(lines or (line(),))}
        data = json.dumps(body, ensure_ascii=False).encode()  # not \uXXXX: long texts stay under 1 MB
        headers = {"Content-Type": "application/json"}
        async with self.http.post(f"{self.sb.market_url}/sandbox/trades", data=data, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            tid = str((await resp.json())["tid"])
        if pay:
            async with self.http.post(f"{self.sb.market_url}/sandbox/trades/{tid}/pay") as resp:
                assert resp.status == 200, await resp.text()
        return tid

    async def refund(self, tid: str, oid: str, outcome: str) -> None:
        """The buyer asks for a refund (``requested``), gets it (``success``) or withdraws (``closed``)."""
        url = f"{self.sb.market_url}/sandbox/trades/{tid}/refund"
        async with self.http.post(url, json={"oid": oid, "outcome": outcome}) as resp:
            assert resp.status == 200, await resp.text()

    async def get(self, url: str) -> Any:
        async with self.http.get(url) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def market_trade(self, tid: str) -> dict[str, Any]:
        return dict(await self.get(f"{self.sb.market_url}/sandbox/trades/{tid}"))

    async def ledger(self, tid: str | None = None) -> list[dict[str, Any]]:
        ops = (await self.get(f"{self.sb.billing_url}/sandbox/ledger"))["operations"]
        return [op for op in ops if tid is None or _tid_of(op["request_id"]) == tid]

    async def cards(self, status: str = "active", two_way: bool = True) -> list[str]:
        url = f"{self.sb.billing_url}/sandbox/subscribers?status={status}&two_way={str(two_way).lower()}"
        return [s["card_no"] for s in (await self.get(url))["subscribers"]]

    async def billing_calls(self, status: str) -> int:
        """How many /v1 calls the billing sandbox answered with ``status`` so far."""
        stats = await self.get(f"{self.sb.billing_url}/sandbox/stats")
        return sum(int(by.get(status, 0)) for by in stats["calls"].values())

    async def cycle(self) -> None:
        """One pass of every job, in the daemon's order."""
        await poll_all(self.deps)
        await plan_due(self.deps)
        await fulfil_due(self.deps)
        await write_back_due(self.deps)
        await write_memos_due(self.deps)

    async def planned(self, *lines: dict[str, Any]) -> str:
        """An order (one 100-yuan top-up unless ``lines``) placed, stored and planned, nothing sent
        yet; its tid."""
        tid = await self.order(*(lines or (line(),)), message=(await self.cards())[0])
        await poll_all(self.deps)
        await plan_due(self.deps)
        return tid

    async def refunded_after_delivery(self, tid: str, refund: str = "requested") -> LineRecord:
        """Trade ``tid`` (one line) delivered, then its refund ``refund`` (requested, success) in the
        shop: its line in REVERSAL_PENDING."""
        await self.cycle()
        oid = str((await self.market_trade(tid))["lines"][0]["oid"])
        await self.refund(tid, oid, refund)
        self.later(2)
        await self.cycle()
        [ln] = await self.lines(tid)
        assert ln.state is LineState.REVERSAL_PENDING
        return ln

    async def lines(self, tid: str | None = None) -> list[LineRecord]:
        if tid is None:
            return await self.deps.store.views.all_lines()
        [trade] = await self.deps.store.views.find_trades(tid)
        return await self.deps.store.delivery.trade_lines(trade.id)


def with_role(store: Any, name: str, role: Any) -> Any:
    """The same store with one of its roles replaced (a wrapped repository that fails on cue)."""
    changed = copy.copy(store)
    setattr(changed, name, role)
    return changed


def _tid_of(request_id: str) -> str | None:
    """The trade a billing operation's request_id names (``None``: not one the bridge built)."""
    found = request_ids.parse(request_id)
    return found.tid if found is not None else None


def line(sku: str = "TV-RC-0100", price: str = "100.00", qty: int = 1, **extra: Any) -> dict[str, Any]:
    """One order line for ``Rig.order`` (default: a 100-yuan top-up)."""
    return {"outer_sku_id": sku, "title": "测试商品", "price": price, "quantity": qty, **extra}


@asynccontextmanager
async def open_rig(
    tmp_path: Path,
    *,
    billing_knobs: BillingKnobs | None = None,
    market_sandbox: TaobaoSandbox | None = None,
    settings_for: Callable[..., Settings] = bridge_settings,
    metrics: MetricsPort | None = None,
    **sections: dict[str, Any],
) -> AsyncIterator[Rig]:
    """Sandboxes, a bridge on them (``sections`` override its configuration), its clock movable by the test.

    ``settings_for(sb, tmp_path, **sections)`` writes the configuration (the console's adds its own mappings);
    ``metrics`` records the bridge's calls (the daemon's recorder), none by default.
    """
    async with running_sandboxes(seed=11, billing_knobs=billing_knobs, market_sandbox=market_sandbox) as sb:
        sections.setdefault("polling", {"overlap_s": 120, "initial_lookback_s": 300})
        settings = settings_for(sb, tmp_path, **sections)
        offset = [0.0]
        async with (
            build_deps(settings, shift=lambda: offset[0], metrics=metrics) as deps,
            aiohttp.ClientSession() as http,
        ):
            yield Rig(sb, deps, http, offset)
