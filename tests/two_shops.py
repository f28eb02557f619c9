"""A bridge with a Taobao shop (``main``) and a Pinduoduo shop (``pdd``), each on its sandbox over
real HTTP: the rig of ``tests.rig`` for the Taobao shop and the billing core, plus the Pinduoduo
sandbox and the configuration as ``bridge`` commands read it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.pinduoduo.sandbox.app import RunningSandbox, start_sandbox
from bridge.lab.sandboxes import Sandboxes, bridge_config
from bridge.settings import Settings, settings_from_dict
from tests.rig import Rig, open_rig

PDD_ENV = {"BRIDGE_PDD_CLIENT_SECRET": "sandbox-secret", "BRIDGE_PDD_ACCESS_TOKEN": "sandbox-token"}


@dataclass
class TwoShops:
    rig: Rig  # the Taobao shop ``main``, the billing core, the bridge
    pdd: RunningSandbox  # the Pinduoduo shop ``pdd``'s storefront
    config: dict[str, Any]  # the bridge's configuration, as ``bridge reconcile`` would read it

    async def pdd_order(self, card: str) -> str:
        """A paid 100-yuan top-up on Pinduoduo for ``card``; its order_sn."""
        item = {"outer_id": "TV-RC-0100", "goods_name": "100元充值卡", "price": "100.00"}
        placed = await self.admin("/sandbox/orders", {"items": [item], "recharge_account": card})
        return str(placed["order_sn"])

    async def admin(self, path: str, body: object) -> Any:
        async with self.rig.http.post(f"{self.pdd.url}{path}", json=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()


@asynccontextmanager
async def two_shops(tmp_path: Path, database: str, *, settle_s: float = 600.0) -> AsyncIterator[TwoShops]:
    """A bridge with a Taobao shop (``main``) and a Pinduoduo shop (``pdd``), each on its sandbox."""
    pdd = await start_sandbox()
    config: dict[str, Any] = {}

    def settings_for(sb: Sandboxes, workdir: Path, **sections: dict[str, Any]) -> Settings:
        config.update(bridge_config(sb, workdir, **sections))
        config["database"] = database
        config["shops"]["pdd"] = {
            "storefront": "pinduoduo",
            "url": pdd.router_url,
            "client_id": "sandbox-client",
            "logistics_id": 1,
            "timeout_s": 2.0,
        }
        return settings_from_dict(config, {**sb.env(), **PDD_ENV}, source="<generated>")

    try:
        async with open_rig(
            tmp_path, settings_for=settings_for, push={"enabled": False}, reconcile={"settle_s": settle_s}
        ) as rig:
            yield TwoShops(rig, pdd, config)
    finally:
        await pdd.runner.cleanup()
