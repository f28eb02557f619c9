"""A Pinduoduo cell checked on the sandboxes' own records: exactly once, nothing lost, latencies.

The same verdict as ``bridge.lab.verify`` gives a Taobao run, read from the
Pinduoduo sandbox's orders (each with its deliveries, paid and delivered
times to the second, as the platform stamps them) and the billing sandbox's
ledger: a good line must be delivered and completely provisioned once, a bad
line must rest in EXCEPTION with nothing applied. Payment → delivered is the
order's ``pay_time`` to its first delivery. To be folded into
``bridge.lab.verify`` once the lab checks both storefronts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import aiohttp

from bridge.core import request_ids
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.core.trends import percentile
from bridge.lab.scenario import PlannedLine, PlannedOrder

Ops = dict[tuple[str, str], list[dict[str, Any]]]


async def fetch_pdd_records(
    http: aiohttp.ClientSession, pdd_url: str, billing_url: str
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The Pinduoduo sandbox's orders by order_sn, and the billing sandbox's ledger."""
    async with http.get(f"{pdd_url}/sandbox/orders") as resp:
        resp.raise_for_status()
        orders = {str(o["order_sn"]): o for o in (await resp.json())["orders"]}
    async with http.get(f"{billing_url}/sandbox/ledger") as resp:
        resp.raise_for_status()
        ledger = (await resp.json())["operations"]
    return orders, ledger


def _applied(ledger: list[dict[str, Any]], shop: str) -> Ops:
    by_line: Ops = defaultdict(list)
    for op in ledger:
        found = request_ids.parse(str(op["request_id"]))
        counts = op.get("status", "applied") in ("applied", "reversed")
        if counts and found is not None and found.shop == shop:
            by_line[(found.tid, found.oid)].append(op)
    return by_line


def _provided(ops: list[dict[str, Any]]) -> tuple[int, int]:
    """Fen credited and months subscribed by a line's applied operations."""
    credited = sum(int(o.get("amount_fen") or 0) for o in ops if o["kind"] == "recharge")
    months = sum(int(o.get("months") or 0) for o in ops if o["kind"] == "subscribe")
    return credited, months


def _line_verdict(line: PlannedLine, ops: list[dict[str, Any]], delivered: bool) -> tuple[int, int]:
    """(duplicates, lost) of one good line."""
    credited, months = _provided(ops)
    excess = credited > line.credit_fen or months > line.months
    complete = credited >= line.credit_fen and months >= line.months
    return int(excess), int(not (delivered and complete))


def _seconds(order: dict[str, Any]) -> float | None:
    if not order.get("deliveries") or not order.get("pay_time"):
        return None
    paid = datetime.fromisoformat(order["pay_time"])
    return (datetime.fromisoformat(order["deliveries"][0]["at"]) - paid).total_seconds()


def verify_pdd_run(
    placed: list[PlannedOrder],
    orders: dict[str, dict[str, Any]],
    ledger: list[dict[str, Any]],
    store_lines: list[LineRecord],
    shop: str,
) -> dict[str, Any]:
    """The run's figures; ``duplicates`` and ``lost`` must both be 0."""
    applied = _applied(ledger, shop)
    stored = {(ln.tid, ln.oid): ln for ln in store_lines}
    duplicates = lost = 0
    seconds: list[float] = []
    for planned in placed:
        order = orders.get(planned.tid or "", {})
        deliveries = len(order.get("deliveries", []))
        duplicates += max(0, deliveries - 1)
        if (took := _seconds(order)) is not None:
            seconds.append(took)
        for oid, line in zip(planned.oids, planned.lines, strict=True):
            ops = applied.get((planned.tid or "", oid), [])
            if line.expect_reason is None:
                dup, gone = _line_verdict(line, ops, deliveries > 0)
                duplicates, lost = duplicates + dup, lost + gone
            else:
                duplicates += len(ops)
                record = stored.get((planned.tid or "", oid))
                lost += int(record is None or record.state is not LineState.EXCEPTION)
    return {"duplicates": duplicates, "lost": lost, "latency_ms": latency_ms(seconds)}


def latency_ms(seconds: list[float]) -> dict[str, float | None]:
    """p50 / p95 / p99 / max in milliseconds (None without a delivery)."""
    if not seconds:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    picks = {f"p{q}": percentile(seconds, q) for q in (50, 95, 99)}
    return {k: round(v * 1000, 1) for k, v in {**picks, "max": max(seconds)}.items() if v is not None}
