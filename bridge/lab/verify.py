"""Check a run against the sandboxes' own records: exactly once, nothing lost, per shop.

Each storefront's sandbox says which of its orders were delivered (and how
often) and which notes CS got: Taobao's ``GET /sandbox/trades`` (deliveries,
memo flags), Pinduoduo's ``GET /sandbox/orders`` (deliveries, note tags); the
channel client's orders are read back from the order API itself
(``GET /api/v1/orders?date=D``, paged: delivered, or needing a person); the
billing sandbox's ledger says what was applied, each operation's shop, tid and
oid read from its request_id by ``bridge.core.request_ids``. The bridge's store
is consulted only for the exception reasons it shows a person.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import aiohttp
from sqlalchemy.engine import make_url

from bridge.core import request_ids
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.lab.scenario import PlannedOrder
from bridge.ports import StorePort

PDD_RED_TAG = 1
"""Pinduoduo's ``remark_tag`` for red: the colour of a note that asks CS to act."""


@dataclass
class Records:
    trades: dict[int, dict[str, Any]]
    """Taobao's trades by tid."""
    ledger: list[dict[str, Any]]
    pdd_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Pinduoduo's orders by order_sn (empty when the run placed none there)."""
    api_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The channel client's orders by order id, as the order API lists them (empty: none placed)."""


class Seen(NamedTuple):
    """One order as its storefront saw it: deliveries, whether CS was asked to act, and when."""

    deliveries: int
    red_note: bool
    paid_at: datetime | None
    delivered_at: datetime | None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def seen_on_storefront(order: PlannedOrder, records: Records) -> Seen:
    """What ``order``'s storefront sandbox recorded for it (nothing, when it has no such order); for
    the order API, what it answers: delivered once at most, and when last changed."""
    if order.storefront == "api":
        doc = records.api_orders.get(order.tid or "", {})
        delivered = doc.get("state") == "delivered"
        return Seen(
            int(delivered),
            doc.get("state") == "needs_attention",
            _when(doc.get("paid_at")),
            _when(doc.get("modified_at")) if delivered else None,
        )
    if order.storefront == "pinduoduo":
        pdd = records.pdd_orders.get(order.tid or "", {})
        shipped = pdd.get("deliveries", [])
        return Seen(
            len(shipped),
            any(n.get("tag") == PDD_RED_TAG for n in pdd.get("notes", [])),
            _when(pdd.get("pay_time")),
            _when(shipped[0]["at"]) if shipped else None,
        )
    trade = records.trades.get(int(order.tid or -1), {})
    return Seen(
        len(trade.get("deliveries", [])),
        any(m.get("flag") == 1 for m in trade.get("memo_history", [])),
        _when(trade.get("paid_at")),
        _when(trade.get("consigned_at")),
    )


async def _get(http: aiohttp.ClientSession, url: str, key: str) -> list[dict[str, Any]]:
    async with http.get(url) as resp:
        resp.raise_for_status()
        return list((await resp.json())[key])


async def fetch_records(
    http: aiohttp.ClientSession, market_url: str, billing_url: str, pdd_url: str | None = None
) -> Records:
    """The sandboxes' records: Taobao's trades, the ledger and, with ``pdd_url``, Pinduoduo's orders."""
    trades = {int(t["tid"]): t for t in await _get(http, f"{market_url}/sandbox/trades", "trades")}
    ledger = await _get(http, f"{billing_url}/sandbox/ledger", "operations")
    pdd = (
        {str(o["order_sn"]): o for o in await _get(http, f"{pdd_url}/sandbox/orders", "orders")}
        if pdd_url
        else {}
    )
    return Records(trades, ledger, pdd)


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


def verify_run(
    orders: list[PlannedOrder], records: Records, store_lines: list[LineRecord], shop: str
) -> dict[str, Any]:
    """One shop's figures (``orders`` are its own); ``duplicates`` and ``lost`` must both be 0."""
    figures, latencies = _verify_shop(orders, records, [ln for ln in store_lines if ln.shop == shop], shop)
    return {**figures, "latency_ms": _percentiles(latencies)}


_SUMMED = (
    "orders",
    "lines",
    "delivered",
    "duplicates",
    "lost",
    "wrong_reason",
    "bad_without_memo",
    "bad_delivered",
)


def verify_shops(
    orders: list[PlannedOrder], records: Records, store_lines: list[LineRecord], shops: Mapping[str, str]
) -> dict[str, Any]:
    """Every shop's figures (``shops``: name → storefront, one shop per storefront) and their sums.

    The top level keeps the single-shop report's keys, summed over the shops (exceptions by
    reason, latency over every order); ``shops`` lists each shop's own.
    """
    per_shop: list[dict[str, Any]] = []
    every_latency: list[float] = []
    for name, storefront in shops.items():
        mine = [o for o in orders if o.storefront == storefront]
        lines = [ln for ln in store_lines if ln.shop == name]
        figures, latencies = _verify_shop(mine, records, lines, name)
        per_shop.append(
            {"name": name, "storefront": storefront, **figures, "latency_ms": _percentiles(latencies)}
        )
        every_latency += latencies
    reasons: Counter[str] = Counter()
    for one in per_shop:
        reasons.update(one["exceptions"])
    return {
        **{key: sum(int(one[key]) for one in per_shop) for key in _SUMMED},
        "exceptions": dict(sorted(reasons.items())),
        "latency_ms": _percentiles(every_latency),
        "shops": per_shop,
    }


def _verify_shop(
    orders: list[PlannedOrder], records: Records, store_lines: list[LineRecord], shop: str
) -> tuple[dict[str, Any], list[float]]:
    """One shop's figures without latency, and its payment → delivery times in ms."""
    applied = _applied_by_line(records.ledger, shop)
    stored = {(ln.tid, ln.oid): ln for ln in store_lines}
    expected_per_card: Counter[str] = Counter()
    delivered = lost = duplicates = wrong_reason = bad_without_memo = bad_delivered = 0
    latencies: list[float] = []
    for order in orders:
        seen = seen_on_storefront(order, records)
        deliveries = seen.deliveries
        duplicates += max(0, deliveries - 1)
        if order.bad and not seen.red_note:
            bad_without_memo += 1
        if order.bad and all(line.expect_reason for line in order.lines):
            bad_delivered += deliveries  # nothing was provisioned, yet the buyer sees it delivered
        if deliveries and seen.paid_at and seen.delivered_at:
            latencies.append((seen.delivered_at - seen.paid_at).total_seconds() * 1000)
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
    figures = {
        "orders": len(orders),
        "lines": sum(len(o.lines) for o in orders),
        "delivered": delivered,
        "exceptions": dict(sorted((str(k), v) for k, v in reasons.items())),
        "duplicates": duplicates + overcredited,
        "lost": lost,
        "wrong_reason": wrong_reason,
        "bad_without_memo": bad_without_memo,
        "bad_delivered": bad_delivered,
    }
    return figures, latencies
