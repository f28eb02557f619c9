"""The figures as a person reads them: one row per cell, ``-`` where a figure does not apply."""

from __future__ import annotations

from typing import Any

_COLUMNS = (
    ("cell", 40),
    ("lines", 7),
    ("lines/s", 8),
    ("ratio", 6),
    ("CPU ms/line", 11),
    ("stmts/line", 10),
    ("tx/line", 8),
    ("fullinfo/trade", 14),
    ("p50/p95/p99 s", 16),
    ("RSS peak/end MB", 16),
)
FULLINFO = "taobao.trade.fullinfo.get"
PDD_DETAIL = "pdd.order.information.get"  # a Pinduoduo cell's full read (its column: fullinfo/trade)


def _num(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _latency(result: dict[str, Any]) -> str:
    lat = result.get("latency_ms")
    if not lat or lat.get("p50") is None:
        return "-"
    return "/".join(_num(lat[k] / 1000) for k in ("p50", "p95", "p99"))


def _row(result: dict[str, Any]) -> list[str]:
    if "skipped" in result:
        return [result["cell"], f"skipped: {result['skipped']}"]
    rss = result.get("rss_mb") or {}
    calls = result.get("market_calls_per_trade") or {}
    lines = f"{result.get('lines_settled', 0)}" + ("" if result.get("drained", True) else "*")
    return [
        result["cell"],
        lines,
        _num(result.get("lines_per_s")),
        _num(result.get("ratio_to_capacity"), 2),
        _num(result.get("cpu_ms_per_line"), 2),
        _num(result.get("statements_per_line")),
        _num(result.get("transactions_per_line")),
        _num(calls.get(FULLINFO, calls.get(PDD_DETAIL)), 2),
        _latency(result),
        f"{_num(rss.get('peak'), 0)}/{_num(rss.get('end'), 0)}" if rss else "-",
    ]


def format_table(results: list[dict[str, Any]]) -> str:
    """A fixed-width table; ``*`` marks a cell stopped at its time limit before it drained."""
    out = ["  ".join(name.ljust(width) for name, width in _COLUMNS).rstrip()]
    for result in results:
        cells = _row(result)
        out.append("  ".join(c.ljust(w) for c, (_, w) in zip(cells, _COLUMNS, strict=False)).rstrip())
    if any(not r.get("drained", True) for r in results):
        out.append("* stopped at the cell's time limit before every line settled")
    return "\n".join(out)
