"""Storefronts the ``StorefrontPort`` contract suite runs against, with the hooks it needs.

Every hook speaks the bridge's words, never a platform's: place a paid order
for a recharge account, move its refund, count its deliveries, edit it, and
``misbehave`` with neutral knob names (each target maps them onto its own
sandbox's). To run the suite against another storefront (the Taobao client
and sandbox next), add an async context manager yielding a
``ContractTarget`` to ``TARGETS``.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.pinduoduo import PinduoduoClient
from adapters.pinduoduo.sandbox import VIRTUAL_LOGISTICS_ID, PinduoduoSandbox, start_sandbox
from bridge.ports.storefront import StorefrontPort

MISBEHAVIOURS = frozenset(
    {
        "late_listing_s",  # a change shows in listings this long after it happened
        "edits_while_paging",  # each list page served edits one of its orders
        "duplicates",  # each list page also repeats a row of the page before
        "partial_pages",  # half the list pages drop their last row
        "rate_limit",  # every call is refused as over the call limit
        "expired_token",  # the shop's authorisation has lapsed
        "clock_skew_s",  # the storefront's clock runs this far ahead
        "latency_ms",  # every answer takes this long
        "vague_already_shipped",  # a second delivery is refused without saying why
    }
)


@dataclass
class ContractTarget:
    name: str
    port: StorefrontPort
    make_port: Callable[..., StorefrontPort]  # timeout_s=, max_retries=
    place_paid: Callable[[str], Awaitable[str]]  # recharge account → tid
    refund: Callable[[str, str], Awaitable[None]]  # tid, requested | success | withdrawn | refused
    edit: Callable[[str], Awaitable[None]]  # bump the order's modified time
    delivered: Callable[[str], Awaitable[int]]  # how often the storefront recorded a delivery
    misbehave: Callable[..., Awaitable[None]]  # neutral names of MISBEHAVIOURS
    expired_token_code: str
    oversized_note: str  # a note longer than ``port.notes`` allows


_PDD_KNOBS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "late_listing_s": lambda v: {"visibility_delay_s": v},
    "edits_while_paging": lambda v: {"shift_pages": v},
    "duplicates": lambda v: {"duplicate_rate": 1.0 if v else 0.0},
    "partial_pages": lambda v: {"partial_page_rate": 0.5 if v else 0.0},
    "rate_limit": lambda v: {"error_rate": {"rate_limit": 1.0 if v else 0.0}},
    "expired_token": lambda v: {"token_expired": v},
    "clock_skew_s": lambda v: {"clock_skew_s": v},
    "latency_ms": lambda v: {"latency_ms": v},
    "vague_already_shipped": lambda v: {"vague_already_shipped": v},
}
assert set(_PDD_KNOBS) == MISBEHAVIOURS


@asynccontextmanager
async def _pinduoduo() -> AsyncIterator[ContractTarget]:
    served = await start_sandbox(sandbox=PinduoduoSandbox(rng=random.Random(20261207)))
    base = served.url
    try:
        async with aiohttp.ClientSession() as http:

            async def admin(path: str, body: object = None) -> Any:
                async with http.request(
                    "POST" if body is not None else "GET", base + path, json=body
                ) as resp:
                    assert resp.status == 200, await resp.text()
                    return await resp.json()

            def make_port(
                timeout_s: float = 5.0, max_retries: int = 0, page_size: int = 100
            ) -> StorefrontPort:
                return PinduoduoClient(
                    http,
                    url=served.router_url,
                    client_id="sandbox-client",
                    client_secret="sandbox-secret",
                    access_token="sandbox-token",
                    logistics_id=VIRTUAL_LOGISTICS_ID,
                    page_size=page_size,
                    timeout_s=timeout_s,
                    max_retries=max_retries,
                    backoff_base_s=0.01,
                    backoff_max_s=0.05,
                )

            async def place_paid(account: str) -> str:
                item = {"outer_id": "RC-50", "goods_name": "有线电视充值50元", "price": "50.00"}
                placed = await admin("/sandbox/orders", {"items": [item], "recharge_account": account})
                return str(placed["order_sn"])

            async def refund(tid: str, outcome: str) -> None:
                await admin(f"/sandbox/orders/{tid}/refund", {"outcome": outcome})

            async def edit(tid: str) -> None:
                await admin(f"/sandbox/orders/{tid}/edit", {})

            async def delivered(tid: str) -> int:
                rows = (await admin("/sandbox/deliveries"))["orders"]
                return int(next(r["delivered"] for r in rows if r["order_sn"] == tid))

            async def misbehave(**neutral: Any) -> None:
                knobs: dict[str, Any] = {}
                for name, value in neutral.items():
                    knobs.update(_PDD_KNOBS[name](value))
                await admin("/sandbox/knobs", knobs)

            yield ContractTarget(
                name="pinduoduo",
                port=make_port(max_retries=2),
                make_port=make_port,
                place_paid=place_paid,
                refund=refund,
                edit=edit,
                delivered=delivered,
                misbehave=misbehave,
                expired_token_code="PDD_ACCESS_TOKEN_EXPIRED",
                oversized_note="备" * 301,
            )
    finally:
        await served.runner.cleanup()


TARGETS: dict[str, Callable[[], AbstractAsyncContextManager[ContractTarget]]] = {"pinduoduo": _pinduoduo}
