"""``python -m bench.console_1m`` on a tiny store: the command runs and prints every figure it promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"dashboard", "dashboard_live", "queue", "search", "order_lookup", "metrics"}


@pytest.mark.slow  # a bench cell in a subprocess: the full suite only, not the quick loop
@pytest.mark.timeout(90)
def test_a_small_console_cell_prints_its_figures_as_json() -> None:
    """2,000 lines on SQLite, no delivery runs: each page's p50 and p95, the fill and the figures' reading."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.console_1m",
            "--lines",
            "2000",
            "--requests",
            "3",
            "--orders",
            "0",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=85,
        check=True,
    )
    figures = json.loads(done.stdout)
    assert (figures["engine"], figures["lines"]) == ("sqlite", 2000)
    assert set(figures["pages"]) == PAGES
    for page in figures["pages"].values():
        assert 0 < page["p50_ms"] <= page["p95_ms"]
    assert figures["fill_s"] >= 0 and figures["figures_read_ms"] > 0
