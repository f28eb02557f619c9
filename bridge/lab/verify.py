"""Check a run against the sandboxes' own records: exactly once, nothing lost.

The marketplace sandbox says which trades were delivered (and how often) and
which memos CS got; the billing sandbox's ledger says what was applied. The
bridge's store is consulted only for the exception reasons it shows a person.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from sqlalchemy.engine import make_url

from bridge.core import request_ids
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.lab.scenario import PlannedOrder
from bridge.ports import StorePort


@dataclass
class Records:
    trades: dict[int, dict[str, Any]]
    ledger: list[dict[str, Any]]


async def fetch_records(http: aiohttp.ClientSession, market_url: str, billing_url: str) -> Records:
    async with http.get(f"{market_url}/sandbox/trades") as resp:
        resp.raise_for_status()
        trades = {int(t["tid"]): t for t in (await resp.json())["trades"]}
    async with http.get(f"{billing_url}/sandbox/ledger") as resp:
        resp.raise_for_status()
        ledger = (await resp.json())["operations"]
    return Records(trades, ledger)


class UsedDatabaseError(ValueError):
    """A run was pointed at a database that already holds order lines."""


async def refuse_used_database(store: StorePort, dsn: str, run: str) -> None:
    """The verdict counts every stored line: a database with lines from elsewhere would blur it."""
    if await store.views.all_lines():
        shown = make_url(dsn).render_as_string()  # the password hidden
        raise UsedDatabaseError(f"{run} needs an empty database; {shown} has order lines")


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(ordered[-1], 1)}


def _of_shop(op: dict[str, Any], shop: str) -> request_ids.RequestId | None:
    """The ledger entry's request_id read, when ``shop`` sent it."""
    found = request_ids.parse(str(op["request_id"]))
    return found if found is not None and found.shop == shop else None


def _applied_by_line(ledger: list[dict[str, Any]], shop: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    by_line: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for op in ledger:
        found = _of_shop(op, shop)
        if found is not None and op.get("status", "applied") in ("applied", "reversed"):
            by_line[(found.tid, found.oid)].append(op)
    return by_line


def _provided(op_list: list[dict[str, Any]]) -> tuple[int, int, int]:
    """What the ledger gave one line: fen credited, months subscribed, cards issued."""
    credited = sum(int(o.get("amount_fen") or 0) for o in op_list if o["kind"] == "recharge")
    subscribed = sum(int(o.get("months") or 0) for o in op_list if o["kind"] == "subscribe")
    issued = sum(int(o.get("count") or 0) for o in op_list if o["kind"] == "issue_cards")
    return credited, subscribed, issued


def _excess(op_list: list[dict[str, Any]], credit_fen: int, months: int, cards: int) -> bool:
    credited, subscribed, issued = _provided(op_list)
    return credited > credit_fen or subscribed > months or issued > cards


def _complete(op_list: list[dict[str, Any]], credit_fen: int, months: int, cards: int) -> bool:
    """Every part applied: a delivered line must have got all it was paid for, from the ledger's view."""
    credited, subscribed, issued = _provided(op_list)
    return credited >= credit_fen and subscribed >= months and issued >= cards and bool(op_list)


def _payment_to_delivery_ms(trade: dict[str, Any]) -> float:
    paid, shipped = (datetime.fromisoformat(trade[k]) for k in ("paid_at", "consigned_at"))
    return (shipped - paid).total_seconds() * 1000


def verify_run(
    orders: list[PlannedOrder], records: Records, store_lines: list[LineRecord], shop: str
) -> dict[str, Any]:
    """The run's figures; ``duplicates`` and ``lost`` must both be 0."""
    applied = _applied_by_line(records.ledger, shop)
    stored = {(ln.tid, ln.oid): ln for ln in store_lines}
    expected_per_card: Counter[str] = Counter()
    delivered = lost = duplicates = wrong_reason = bad_without_memo = bad_delivered = 0
    latencies: list[float] = []
    for order in orders:
        trade = records.trades.get(int(order.tid or -1), {})
        deliveries = len(trade.get("deliveries", []))
        duplicates += max(0, deliveries - 1)
        if order.bad and not any(m.get("flag") == 1 for m in trade.get("memo_history", [])):
            bad_without_memo += 1
        if order.bad and all(line.expect_reason for line in order.lines):
            bad_delivered += deliveries  # nothing was provisioned, yet the buyer sees it delivered
        if deliveries and trade.get("paid_at") and trade.get("consigned_at"):
            latencies.append(_payment_to_delivery_ms(trade))
        for oid, line in zip(order.oids, order.lines, strict=True):
            ops = applied.get((order.tid or "", oid), [])
            if line.expect_reason is None:
                expected_per_card[line.card_no or ""] += line.credit_fen
                duplicates += int(_excess(ops, line.credit_fen, line.months, line.cards))
                if deliveries and _complete(ops, line.credit_fen, line.months, line.cards):
                    delivered += 1
                else:
                    lost += 1
            else:
                duplicates += len(ops)
                record = stored.get((order.tid or "", oid))
                if record is None or record.state is not LineState.EXCEPTION:
                    lost += 1
                elif record.reason != line.expect_reason:
                    wrong_reason += 1
    credited: Counter[str] = Counter()
    for op in records.ledger:
        if op["kind"] == "recharge" and _of_shop(op, shop) is not None:
            credited[str(op["card_no"])] += int(op["amount_fen"])
    overcredited = sum(1 for card, fen in credited.items() if fen > expected_per_card.get(card, 0))
    reasons = Counter(ln.reason for ln in store_lines if ln.state is LineState.EXCEPTION)
    return {
        "orders": len(orders),
        "lines": sum(len(o.lines) for o in orders),
        "delivered": delivered,
        "exceptions": dict(sorted((str(k), v) for k, v in reasons.items())),
        "duplicates": duplicates + overcredited,
        "lost": lost,
        "wrong_reason": wrong_reason,
        "bad_without_memo": bad_without_memo,
        "bad_delivered": bad_delivered,
        "latency_ms": _percentiles(latencies),
    }
