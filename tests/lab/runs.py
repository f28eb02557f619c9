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
from bridge.lab.scenario import PlannedLine, PlannedOrder
from bridge.lab.torture import TortureOptions, TortureRun, run_torture
from tests.databases import throwaway_database

Key = tuple[str, str]  # (tid, oid)


async def torture_on(engine: str, opts: TortureOptions) -> TortureRun:
    """``run_torture(opts)`` on a fresh database of ``engine`` ("sqlite": a file in the workdir)."""
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="bridge-torture-"))
    async with throwaway_database(engine, workdir) as dsn:
        return await run_torture(dataclasses.replace(opts, workdir=workdir, database=dsn))


def each_line(run: TortureRun) -> Iterator[tuple[PlannedOrder, str, PlannedLine]]:
    for order in run.orders:
        assert order.tid is not None
        for oid, line in zip(order.oids, order.lines, strict=True):
            yield order, oid, line


def provided_by_line(ledger: list[dict[str, Any]]) -> dict[Key, tuple[int, int, int]]:
    """(fen credited, months subscribed, cards issued) per order line, from the billing ledger."""
    totals: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
    for op in ledger:
        found = request_ids.parse(str(op["request_id"]))
        assert found is not None, f"{op['request_id']} is not a request_id the bridge builds"
        total = totals[(found.tid, found.oid)]
        total[0] += int(op.get("amount_fen") or 0) if op["kind"] == "recharge" else 0
        total[1] += int(op.get("months") or 0) if op["kind"] == "subscribe" else 0
        total[2] += int(op.get("count") or 0) if op["kind"] == "issue_cards" else 0
    return {key: (t[0], t[1], t[2]) for key, t in totals.items()}


def wrongly_provided(run: TortureRun) -> list[tuple[Key, tuple[int, int, int] | None]]:
    """Valid lines whose ledger total is not exactly what was paid for (none, short, or twice)."""
    provided = provided_by_line(run.records.ledger)
    wrong = []
    for order, oid, line in each_line(run):
        if line.expect_reason is None:
            got = provided.get((order.tid or "", oid))
            if got != (line.credit_fen, line.months, line.cards):
                wrong.append(((order.tid or "", oid), got))
    return wrong


def bad_lines_applied(run: TortureRun) -> list[Key]:
    provided = provided_by_line(run.records.ledger)
    return [
        (order.tid or "", oid)
        for order, oid, line in each_line(run)
        if line.expect_reason is not None and (order.tid or "", oid) in provided
    ]


def wrong_deliveries(run: TortureRun) -> list[tuple[str, int]]:
    """(tid, deliveries) of trades not delivered exactly once (or, with nothing valid, delivered at all)."""
    wrong = []
    for order in run.orders:
        deliveries = len(run.records.trades[int(order.tid or 0)]["deliveries"])
        wanted = 1 if any(line.expect_reason is None for line in order.lines) else 0
        if deliveries != wanted:
            wrong.append((order.tid or "", deliveries))
    return wrong


def bad_lines_not_in_exception(run: TortureRun) -> list[tuple[Key, str, str | None]]:
    """(line, expected reason, what the store shows) for every bad line not in EXCEPTION with it."""
    stored = {(ln.tid, ln.oid): ln for ln in run.lines}
    wrong = []
    for order, oid, line in each_line(run):
        if line.expect_reason is None:
            continue
        got = stored.get((order.tid or "", oid))
        shown = f"{got.state.value}:{got.reason}" if got is not None else None
        if got is None or got.state is not LineState.EXCEPTION or got.reason != line.expect_reason:
            wrong.append(((order.tid or "", oid), line.expect_reason, shown))
    return wrong


def bad_trades_without_red_memo(run: TortureRun) -> list[str]:
    return [
        order.tid or ""
        for order in run.orders
        if order.bad
        and not any(m.get("flag") == 1 for m in run.records.trades[int(order.tid or 0)]["memo_history"])
    ]


def lines_lost(run: TortureRun) -> list[tuple[Key, str | None]]:
    """Paid lines the store does not show as DELIVERED or EXCEPTION (or does not have at all)."""
    stored = {(ln.tid, ln.oid): ln.state for ln in run.lines}
    lost = []
    for order, oid, _line in each_line(run):
        state = stored.get((order.tid or "", oid))
        if state not in (LineState.DELIVERED, LineState.EXCEPTION):
            lost.append(((order.tid or "", oid), state.value if state else None))
    return lost
