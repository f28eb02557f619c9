"""A Pinduoduo shop beside a Taobao one: its paid order is listed, credited once in the billing core
and delivered on Pinduoduo, through the real client and sandbox over HTTP, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.pinduoduo.sandbox.app import RunningSandbox, start_sandbox
from bridge.core.errors import ConfigError
from bridge.core.states import LineState
from bridge.lab.sandboxes import bridge_config, running_sandboxes
from bridge.services.delivery import write_back_due
from bridge.services.deps import Deps
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from bridge.services.planning import plan_due
from bridge.settings import settings_from_dict
from bridge.wiring import build_deps

PDD_ENV = {"BRIDGE_PDD_CLIENT_SECRET": "sandbox-secret", "BRIDGE_PDD_ACCESS_TOKEN": "sandbox-token"}


@asynccontextmanager
async def _bridge(tmp_path: Path, database: str) -> AsyncIterator[tuple[Deps, RunningSandbox, str]]:
    """Both storefronts' sandboxes and the billing core's, a bridge with one shop on each."""
    pdd = await start_sandbox()
    try:
        async with running_sandboxes(seed=11) as sb:
            config = bridge_config(sb, tmp_path, push={"enabled": False})
            config["database"] = database
            config["shops"]["pdd"] = {
                "storefront": "pinduoduo",
                "url": pdd.router_url,
                "client_id": "sandbox-client",
                "logistics_id": 1,
                "timeout_s": 5.0,
            }
            settings = settings_from_dict(config, {**sb.env(), **PDD_ENV}, source="<generated>")
            async with build_deps(settings) as deps:
                yield deps, pdd, sb.billing_url
    finally:
        await pdd.runner.cleanup()


async def _json(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with http.request(method, url, json=body) as answer:
        answer.raise_for_status()
        return await answer.json()


async def _cycle(deps: Deps) -> None:
    await poll_all(deps)
    await plan_due(deps)
    await fulfil_due(deps)
    await write_back_due(deps)


async def test_a_pinduoduo_order_is_credited_once_and_delivered(tmp_path: Path, database: str) -> None:
    """A paid 100-yuan top-up with the card in the virtual order's recharge account: one recharge
    under ``pdd:ORDER_SN:SKU_ID:0``, the order delivered once, the line DELIVERED."""
    async with _bridge(tmp_path, database) as (deps, pdd, billing_url), aiohttp.ClientSession() as http:
        cards = await _json(http, "GET", f"{billing_url}/sandbox/subscribers?status=active&two_way=true")
        card = cards["subscribers"][0]["card_no"]
        item = {"outer_id": "TV-RC-0100", "goods_name": "100元充值卡", "price": "100.00"}
        placed = await _json(
            http, "POST", f"{pdd.url}/sandbox/orders", {"items": [item], "recharge_account": card}
        )
        order_sn, sku_id = placed["order_sn"], placed["sku_ids"][0]
        for _ in range(3):
            await _cycle(deps)
        lines = [ln for ln in await deps.store.views.all_lines() if ln.shop == "pdd"]
        assert [(ln.tid, ln.oid, ln.state) for ln in lines] == [(order_sn, sku_id, LineState.DELIVERED)]
        ledger = (await _json(http, "GET", f"{billing_url}/sandbox/ledger"))["operations"]
        assert [op["request_id"] for op in ledger] == [f"pdd:{order_sn}:{sku_id}:0"]
        delivered = (await _json(http, "GET", f"{pdd.url}/sandbox/deliveries"))["orders"]
        assert [(o["order_sn"], o["delivered"]) for o in delivered] == [(order_sn, 1)]


@pytest.mark.parametrize("key", ["app_key", "session_env"])
def test_a_taobao_key_in_a_pinduoduo_shop_stops_the_start(key: str) -> None:
    """The shop's table is checked as its storefront's: a Taobao key there is refused by name."""
    raw = {
        "mappings_dir": "m",
        "billing": {"base_url": "http://127.0.0.1:1", "api_key": "k"},
        "shops": {"pdd": {"storefront": "pinduoduo", "client_id": "c", "logistics_id": 1, key: "x"}},
    }
    with pytest.raises(ConfigError, match=f"shops.pdd.{key}: unknown key"):
        settings_from_dict(raw, {"BRIDGE_BILLING_SECRET": "b", **PDD_ENV}, source="bridge.toml")
