"""``python -m bench``: the bridge's figures, one cell at a time, as a table or one JSON object.

By default every cell of the list runs (about 25 minutes on two cores):
throughput at 50 ms and 100 ms / cap 16 on SQLite and PostgreSQL with one
and three daemons, and at 50 ms / cap 64 on PostgreSQL; payment → delivered at
5 orders/s with push and with polling alone; memory through a 100,000-line
backlog; a throughput cell and a latency cell (polling alone, every 30 s) with
a Pinduoduo shop. ``--cell`` with ``--engine``, ``--instances``,
``--latency-ms``, ``--cap``, ``--orders``, ``--intake`` or ``--storefront``
runs one cell alone. PostgreSQL cells are skipped with a message when the
server is not reachable.

    python -m bench --cell throughput --engine postgresql --instances 3 --cap 64 --json
    python -m bench --cell latency --storefront pinduoduo --intake poll --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bench.cells import KINDS, PDD_POLL_INTERVAL_S, STOREFRONTS, Cell, Kind, default_cells
from bench.databases import ENGINES, postgresql_problem
from bench.drain import run_drain
from bench.steady import push_available, run_steady
from bench.table import format_table

_ONE_CELL = ("engine", "instances", "latency_ms", "cap", "intake", "storefront")
_POLL_INTERVAL_S = 5.0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--cell", choices=KINDS, help="run one cell of this kind (default: every cell)")
    p.add_argument("--engine", choices=ENGINES, help="database of the cell (default sqlite)")
    p.add_argument("--instances", type=int, help="daemons on the one database (default 1)")
    p.add_argument("--latency-ms", type=float, help="billing-core latency, constant (default 50)")
    p.add_argument("--cap", type=int, help="billing-core in-flight cap, shared by the daemons (default 16)")
    p.add_argument(
        "--orders", type=int, help="throughput: backlog (600 orders); latency: orders placed (300)"
    )
    p.add_argument("--intake", choices=("push", "poll"), help="latency cell: push intake or polling alone")
    p.add_argument("--storefront", choices=STOREFRONTS, help="the shop's storefront (default taobao)")
    p.add_argument("--rate", type=float, default=5.0, help="latency cell: orders per second (default 5)")
    p.add_argument(
        "--poll-interval-s", type=float, help="latency cell, polling alone (5; Pinduoduo's cell 30)"
    )
    p.add_argument("--backlog-lines", type=int, default=100_000, help="rss cell: backlog lines (100,000)")
    p.add_argument("--limit-s", type=float, help="stop waiting for a drain after this long (rss: 600)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the order stream")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    return p


def cells_from(args: argparse.Namespace) -> list[Cell]:
    """The cells the options ask for: one alone, or the whole list."""
    pdd = args.storefront == "pinduoduo"
    base = Cell(
        kind="throughput",
        rate=args.rate,
        poll_interval_s=args.poll_interval_s or (PDD_POLL_INTERVAL_S if pdd else _POLL_INTERVAL_S),
        backlog_lines=args.backlog_lines,
        seed=args.seed,
    )
    chosen = {k: getattr(args, k) for k in _ONE_CELL if getattr(args, k) is not None}
    kind: Kind | None = args.cell or ("latency" if "intake" in chosen else "throughput" if chosen else None)
    if kind is None:
        cells = default_cells(base if args.orders is None else replace(base, orders=args.orders))
        return [c if args.limit_s is None else replace(c, limit_s=args.limit_s) for c in cells]
    cell = replace(base, kind=kind, **chosen)
    orders = args.orders or (300 if kind == "latency" else cell.orders)
    limit = args.limit_s or (600.0 if kind == "rss" else cell.limit_s)
    return [replace(cell, orders=orders, limit_s=limit)]


async def _skip_reason(cell: Cell, pg_problem: str | None) -> str | None:
    if cell.engine == "postgresql" and pg_problem:
        return pg_problem
    if cell.kind == "latency" and cell.intake == "push" and not push_available():
        return "push intake not available"
    if cell.storefront == "pinduoduo" and cell.kind == "latency" and cell.intake == "push":
        return "Pinduoduo has no push intake (polling alone)"
    if cell.storefront == "pinduoduo" and cell.kind == "rss":
        return "the rss cell runs with the Taobao shop only"
    return None


async def run_cells(cells: list[Cell]) -> list[dict[str, Any]]:
    """Each cell in turn (progress on stderr); a skipped cell says why."""
    pg_problem = await postgresql_problem() if any(c.engine == "postgresql" for c in cells) else None
    results = []
    for cell in cells:
        head: dict[str, Any] = {
            "cell": cell.name,
            "kind": cell.kind,
            "engine": cell.engine,
            "instances": cell.instances,
            "billing_latency_ms": cell.latency_ms,
            "billing_cap": cell.cap,
            "storefront": cell.storefront,
        }
        if cell.kind == "latency":
            head.update(intake=cell.intake, orders_per_s=cell.rate)
        if reason := await _skip_reason(cell, pg_problem):
            results.append({**head, "skipped": reason})
            print(f"bench: {cell.name}: skipped: {reason}", file=sys.stderr)
            continue
        print(f"bench: {cell.name} …", file=sys.stderr, flush=True)
        figures = await (run_steady(cell) if cell.kind == "latency" else run_drain(cell))
        results.append({**head, **figures})
    return results


def _machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    results = asyncio.run(run_cells(cells_from(args)))
    if args.json:
        print(json.dumps({"machine": _machine(), "cells": results}, ensure_ascii=False))
    else:
        print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
