"""Implementations the ``BillingPort`` contract suite runs against, with the hooks it needs.

To run the suite against another implementation, add an async context
manager yielding a ``ContractTarget`` to ``TARGETS``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.billing_core import BillingClient
from adapters.billing_core.sandbox import BillingSandbox, start_billing_sandbox
from bridge.ports import BillingPort


@dataclass
class Cards:
    active_two_way: str
    active_one_way: str
    suspended: str
    closed: str
    unknown: str = "8371999999999999"


@dataclass
class ContractTarget:
    port: BillingPort
    cards: Cards
    set_knobs: Callable[..., Awaitable[None]]
    spend: Callable[[str, int], Awaitable[None]]
    with_credentials: Callable[..., BillingPort]  # api_key=, secret=, clock_offset_s=, listing_page=


@asynccontextmanager
async def _sandbox_over_http() -> AsyncIterator[ContractTarget]:
    served = await start_billing_sandbox(BillingSandbox())
    base = served.base_url
    try:
        async with aiohttp.ClientSession() as http:

            async def admin(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
                async with http.request(method, base + path, json=body) as resp:
                    assert resp.status == 200, await resp.text()
                    return await resp.json()

            async def pick(query: str) -> str:
                found = await admin("GET", f"/sandbox/subscribers?{query}&limit=1")
                return str(found["subscribers"][0]["card_no"])

            def port(
                api_key: str = "sandbox-key",
                secret: str = "sandbox-secret",
                clock_offset_s: float = 0.0,
                listing_page: int = 500,
            ) -> BillingPort:
                return BillingClient(
                    http,
                    base_url=base,
                    api_key=api_key,
                    secret=secret,
                    timeout_s=2.0,
                    clock=lambda: time.time() + clock_offset_s,
                    listing_page=listing_page,
                )

            async def set_knobs(**knobs: Any) -> None:
                await admin("POST", "/sandbox/knobs", knobs)

            async def spend(card_no: str, amount_fen: int) -> None:
                await admin("POST", f"/sandbox/subscribers/{card_no}/spend", {"amount_fen": amount_fen})

            cards = Cards(
                active_two_way=await pick("status=active&two_way=true"),
                active_one_way=await pick("status=active&two_way=false"),
                suspended=await pick("status=suspended"),
                closed=await pick("status=closed"),
            )
            yield ContractTarget(port(), cards, set_knobs, spend, port)
    finally:
        await served.stop(grace_s=0)


TARGETS: dict[str, Callable[[], AbstractAsyncContextManager[ContractTarget]]] = {
    "client+sandbox-http": _sandbox_over_http,
}
