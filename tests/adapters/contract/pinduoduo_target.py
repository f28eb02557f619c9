"""The contract suite's Pinduoduo target: ``PinduoduoClient`` against the Pinduoduo sandbox over HTTP.

Its sandbox plays every misbehaviour; a lapsed token is ``Permanent``
(``PDD_ACCESS_TOKEN_EXPIRED``); notes are counted in characters; the delivery
carries no codes (``delivers_codes`` is ``False``); a delivery is refused
while a refund is asked; a delivered order refunded in full stays shipped
(its after-sales state says refunded).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from adapters.pinduoduo import PinduoduoClient
from adapters.pinduoduo.sandbox import VIRTUAL_LOGISTICS_ID, PinduoduoSandbox, start_sandbox
from bridge.core.errors import Permanent
from bridge.core.trades import OrderState
from bridge.ports.storefront import StorefrontPort

from .target import MISBEHAVIOURS, ContractTarget

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
async def pinduoduo() -> AsyncIterator[ContractTarget]:
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

            async def delivered_codes(tid: str) -> list[str]:
                return []  # its delivery carries none

            yield ContractTarget(
                name="pinduoduo",
                port=make_port(max_retries=2),
                make_port=make_port,
                place_paid=place_paid,
                refund=refund,
                edit=edit,
                delivered=delivered,
                delivered_codes=delivered_codes,
                misbehave=misbehave,
                unknown_tid="261207-999999999999999",
                expired_token_error=Permanent,
                expired_token_code="PDD_ACCESS_TOKEN_EXPIRED",
                oversized_note="备" * 301,
                refunded_after_delivery=OrderState.SHIPPED,
                blocks_delivery_while_refund_asked=True,
            )
    finally:
        await served.runner.cleanup()
