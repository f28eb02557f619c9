"""Facts about a finished torture run, computed from the sandboxes' own records.

The crash test and the torture test check the same promises; each check
returns the offending lines or trades (empty when the promise held), so a
failure names exactly what went wrong. Deliberately independent of
``bridge.lab.verify``: the harness's arithmetic is not trusted to check itself.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bridge.core import request_ids
from bridge.core.states import LineState
from bridge.lab.channel import CHANNEL
from bridge.lab.scenario import PlannedLine, PlannedOrder
from bridge.lab.torture import SHOPS, TortureOptions, TortureRun, run_torture
from tests.databases import throwaway_database

Key = tuple[str, str, str]  # (shop, tid, oid)
SHOP_OF = {**{front: name for name, front in SHOPS.items()}, "api": CHANNEL}  # storefront → its shop


async def torture_on(engine: str, opts: TortureOptions) -> TortureRun:
    """``run_torture(opts)`` on a fresh database of ``engine`` ("sqlite": a file in the workdir)."""
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="bridge-torture-"))
    async with throwaway_database(engine, workdir) as dsn:
        return await run_torture(dataclasses.replace(opts, workdir=workdir, database=dsn))


def each_line(run: TortureRun) -> Iterator[tuple[PlannedOrder, Key, PlannedLine]]:
    """Every placed line with its key: the shop of its storefront, its order's id, its own."""
    for order in run.orders:
        assert order.tid is not None
        for oid, line in zip(order.oids, order.lines, strict=True):
            yield order, (SHOP_OF[order.storefront], order.tid, oid), line


def storefront_record(run: TortureRun, order: PlannedOrder) -> tuple[int, bool]:
    """(deliveries, a red note from the bridge) as ``order``'s storefront sandbox recorded them (the
    channel's: delivered, or needing a person, as the order API lists it)."""
    if order.storefront == "api":
        state = run.records.api_orders.get(order.tid or "", {}).get("state")
        return int(state == "delivered"), state == "needs_attention"
    if order.storefront == "pinduoduo":
        pdd = run.records.pdd_orders[order.tid or ""]
        return len(pdd["deliveries"]), any(n.get("tag") == 1 for n in pdd["notes"])
    trade = run.records.trades[int(order.tid or 0)]
    return len(trade["deliveries"]), any(m.get("flag") == 1 for m in trade["memo_history"])


def provided_by_line(ledger: list[dict[str, Any]]) -> dict[Key, tuple[int, int, int]]:
    """(fen credited, months subscribed, cards issued) per order line, from the billing ledger."""
    totals: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
    for op in ledger:
        found = request_ids.parse(str(op["request_id"]))
        assert found is not None, f"{op['request_id']} is not a request_id the bridge builds"
        total = totals[(found.shop, found.tid, found.oid)]
        total[0] += int(op.get("amount_fen") or 0) if op["kind"] == "recharge" else 0
        total[1] += int(op.get("months") or 0) if op["kind"] == "subscribe" else 0
        total[2] += int(op.get("count") or 0) if op["kind"] == "issue_cards" else 0
    return {key: (t[0], t[1], t[2]) for key, t in totals.items()}


def wrongly_provided(run: TortureRun) -> list[tuple[Key, tuple[int, int, int] | None]]:
    """Valid lines whose ledger total is not exactly what was paid for (none, short, or twice)."""
    provided = provided_by_line(run.records.ledger)
    wrong = []
    for _, key, line in each_line(run):
        if line.expect_reason is None:
            got = provided.get(key)
            if got != (line.credit_fen, line.months, line.cards):
                wrong.append((key, got))
    return wrong


def bad_lines_applied(run: TortureRun) -> list[Key]:
    provided = provided_by_line(run.records.ledger)
    return [key for _, key, line in each_line(run) if line.expect_reason is not None and key in provided]


def wrong_deliveries(run: TortureRun) -> list[tuple[str, int]]:
    """(tid, deliveries) of trades not delivered exactly once (or, with nothing valid, delivered at all)."""
    wrong = []
    for order in run.orders:
        deliveries, _ = storefront_record(run, order)
        wanted = 1 if any(line.expect_reason is None for line in order.lines) else 0
        if deliveries != wanted:
            wrong.append((order.tid or "", deliveries))
    return wrong


def bad_lines_not_in_exception(run: TortureRun) -> list[tuple[Key, str, str | None]]:
    """(line, expected reason, what the store shows) for every bad line not in EXCEPTION with it."""
    stored = {(ln.shop, ln.tid, ln.oid): ln for ln in run.lines}
    wrong = []
    for _, key, line in each_line(run):
        if line.expect_reason is None:
            continue
        got = stored.get(key)
        shown = f"{got.state.value}:{got.reason}" if got is not None else None
        if got is None or got.state is not LineState.EXCEPTION or got.reason != line.expect_reason:
            wrong.append((key, line.expect_reason, shown))
    return wrong


def bad_trades_without_red_memo(run: TortureRun) -> list[str]:
    return [order.tid or "" for order in run.orders if order.bad and not storefront_record(run, order)[1]]


def lines_lost(run: TortureRun) -> list[tuple[Key, str | None]]:
    """Paid lines the store does not show as DELIVERED or EXCEPTION (or does not have at all)."""
    stored = {(ln.shop, ln.tid, ln.oid): ln.state for ln in run.lines}
    lost = []
    for _, key, _line in each_line(run):
        state = stored.get(key)
        if state not in (LineState.DELIVERED, LineState.EXCEPTION):
            lost.append((key, state.value if state else None))
    return lost
