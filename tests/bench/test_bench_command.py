"""``python -m bench``: one tiny cell through the real command, and the pieces its figures come from."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bench.__main__ import _parser, cells_from, run_cells
from bench.cells import Cell, default_cells
from bench.rig import per_line, per_trade
from bench.table import format_table
from bench.watch import Sample, steady

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a bench cell in a subprocess: the full suite only, not the quick loop
@pytest.mark.timeout(60)
def test_one_small_cell_prints_its_figures_as_json() -> None:
    """20 orders on SQLite with one daemon: every figure's key is there, with a plausible value."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--orders", "20", "--engine", "sqlite", "--instances", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=55,
        check=True,
    )
    (cell,) = json.loads(done.stdout)["cells"]
    assert (cell["kind"], cell["engine"], cell["instances"], cell["orders"]) == (
        "throughput",
        "sqlite",
        1,
        20,
    )
    assert cell["drained"] is True and cell["lines_settled"] == cell["lines"] >= 20
    assert cell["duplicates"] == 0 and cell["lost"] == 0
    assert cell["lines_per_s"] > 0 and cell["ratio_to_capacity"] == pytest.approx(
        cell["lines_per_s"] / 320, abs=0.01
    )
    assert 0 < cell["cpu_ms_per_line"] < 1000
    assert cell["statements_per_line"] > 1 and 0 < cell["transactions_per_line"] < cell["statements_per_line"]
    by_job = cell["statements_per_line_by_job"]
    assert by_job["poll"] > 0 and by_job["fulfil"] > 0 and by_job["writeback"] > 0
    assert sum(by_job.values()) == pytest.approx(cell["statements_per_line"], abs=0.1)
    assert cell["market_calls_per_trade"]["taobao.trade.fullinfo.get"] >= 1
    assert 20 < cell["rss_mb"]["end"] <= cell["rss_mb"]["peak"] < 2000


async def test_pinduoduo_cells_it_cannot_run_are_skipped_with_the_reason() -> None:
    """Pinduoduo has no push, and the rss cell is Taobao's: asked for, they say so and run nothing."""
    small = Cell(kind="latency", storefront="pinduoduo", orders=1, rate=50.0, backlog_lines=5, limit_s=5.0)
    push, rss = replace(small, intake="push"), replace(small, kind="rss")
    results = await run_cells([push, rss])
    assert [r["skipped"] for r in results] == [
        "Pinduoduo has no push intake (polling alone)",
        "the rss cell runs with the Taobao shop only",
    ]


@pytest.mark.slow  # a bench cell in a subprocess: the full suite only, not the quick loop
@pytest.mark.timeout(60)
def test_one_small_pinduoduo_cell_drains_exactly_once() -> None:
    """20 orders placed in the Pinduoduo sandbox, drained by the daemon through the real client:
    every line settled, none twice or lost, each order read in full with its virtual fields."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--storefront", "pinduoduo", "--orders", "20", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=55,
        check=True,
    )
    (cell,) = json.loads(done.stdout)["cells"]
    assert (cell["kind"], cell["storefront"], cell["orders"]) == ("throughput", "pinduoduo", 20)
    assert cell["drained"] is True and cell["lines_settled"] == cell["lines"] >= 20
    assert cell["duplicates"] == 0 and cell["lost"] == 0
    calls = cell["market_calls_per_trade"]
    assert calls["pdd.order.information.get"] >= 1 and calls["pdd.order.virtual.information.get"] >= 1
    assert "taobao.trade.fullinfo.get" not in calls


def _samples(*rows: tuple[float, int, float]) -> list[Sample]:
    return [Sample(t, n, n, cpu, 50.0, 60.0) for t, n, cpu in rows]


def test_steady_rate_leaves_out_start_and_tail() -> None:
    """Lines/s and CPU per line are taken between 10 % and 90 % settled."""
    samples = _samples((0, 0, 0.0), (10, 10, 1.0), (20, 50, 2.0), (30, 90, 5.0), (60, 100, 9.0))
    rate, cpu_ms, span = steady(samples, 100)
    assert (rate, cpu_ms, span) == (4.0, 50.0, 20.0)


def test_steady_rate_of_a_short_run_is_the_whole_run() -> None:
    """When 10 % and 90 % fall in the same second, the whole run is the window."""
    rate, cpu_ms, span = steady(_samples((0, 0, 0.0), (1, 20, 0.5)), 20)
    assert (rate, cpu_ms, span) == (20.0, 25.0, 1.0)


def test_calls_and_sql_are_divided_by_what_they_served() -> None:
    """Per trade: only the calls made in between; per line: missing counts are None, not 0."""
    calls = per_trade({"a": 3}, {"a": 13, "b": 5, "c": 0}, 10)
    assert calls == {"a": 1.0, "b": 0.5}
    counts = {"statements": 120, "statements.poll": 20, "transactions": 40, "commits": 30}
    assert per_line(counts, 10) == {
        "statements_per_line": 12.0,
        "transactions_per_line": 4.0,
        "commits_per_line": 3.0,
        "statements_per_line_by_job": {"poll": 2.0},
        "transactions_per_line_by_job": {},
    }
    assert per_line({}, 10)["statements_per_line"] is None


def test_options_pick_one_cell_or_the_whole_list() -> None:
    """Cell options run that cell alone; no option runs the whole list; --intake means a latency cell."""
    (one,) = cells_from(_parser().parse_args(["--engine", "postgresql", "--instances", "3", "--cap", "64"]))
    assert one == Cell(kind="throughput", engine="postgresql", instances=3, cap=64)
    (lat,) = cells_from(_parser().parse_args(["--intake", "poll"]))
    assert (lat.kind, lat.intake, lat.orders) == ("latency", "poll", 300)
    assert cells_from(_parser().parse_args([])) == default_cells(Cell(kind="throughput"))
    kinds = [c.kind for c in default_cells(Cell(kind="throughput"))]
    assert kinds.count("throughput") == 11 and kinds.count("latency") == 3 and kinds.count("rss") == 1


def test_the_storefront_option_runs_one_pinduoduo_cell() -> None:
    """--storefront alone is a throughput cell; Pinduoduo's latency cell polls every 30 s unless told."""
    (one,) = cells_from(_parser().parse_args(["--storefront", "pinduoduo"]))
    assert (one.kind, one.storefront, one.name) == (
        "throughput",
        "pinduoduo",
        "throughput sqlite ×1 pdd 50 ms/cap 16",
    )
    (lat,) = cells_from(_parser().parse_args(["--storefront", "pinduoduo", "--intake", "poll"]))
    assert (lat.kind, lat.poll_interval_s, lat.name) == (
        "latency",
        30.0,
        "latency sqlite ×1 pdd poll 30 s 5/s",
    )
    (fast,) = cells_from(
        _parser().parse_args(["--storefront", "pinduoduo", "--cell", "latency", "--poll-interval-s", "5"])
    )
    assert fast.poll_interval_s == 5.0


def test_the_default_list_has_a_pinduoduo_throughput_and_latency_cell() -> None:
    """Beside the Taobao cells (unchanged): Pinduoduo's throughput at 50 ms/cap 16 on SQLite, and its
    latency at 5 orders/s polling alone every 30 s."""
    pdd = [c for c in default_cells(Cell(kind="throughput")) if c.storefront == "pinduoduo"]
    assert [(c.kind, c.engine, c.instances, c.latency_ms, c.cap) for c in pdd] == [
        ("throughput", "sqlite", 1, 50.0, 16),
        ("latency", "sqlite", 1, 50.0, 16),
    ]
    assert (pdd[1].intake, pdd[1].poll_interval_s, pdd[1].rate, pdd[1].orders) == ("poll", 30.0, 5.0, 300)


def test_table_shows_skipped_cells_and_unfinished_drains() -> None:
    """A skipped cell says why; a drain stopped at its limit is starred and explained."""
    text = format_table(
        [
            {"cell": "latency sqlite ×1 push 5/s", "skipped": "push intake not available"},
            {
                "cell": "rss sqlite ×1",
                "lines_settled": 7,
                "drained": False,
                "rss_mb": {"peak": 90, "end": 80},
            },
        ]
    )
    assert "skipped: push intake not available" in text
    assert "7*" in text and "90/80" in text and "stopped at the cell's time limit" in text


def test_a_pinduoduo_cell_shows_its_full_reads_in_the_fullinfo_column() -> None:
    """A Pinduoduo cell has no fullinfo: the column shows its detail reads per trade."""
    calls = {"pdd.order.information.get": 1.23, "pdd.order.virtual.information.get": 1.23}
    text = format_table([{"cell": "throughput sqlite ×1 pdd", "market_calls_per_trade": calls}])
    assert "1.23" in text.splitlines()[1]


def test_no_line_settled_means_no_cpu_per_line() -> None:
    """A drain stopped before any line settled reports 0 lines/s and no CPU per line."""
    rate, cpu_ms, _ = steady(_samples((0, 0, 0.0), (60, 0, 4.0)), 100)
    assert (rate, cpu_ms) == (0.0, None)
