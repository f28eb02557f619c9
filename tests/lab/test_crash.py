"""Issue 2's crash test: SIGKILL the daemon at random moments while 300 orders flow.

One run per engine (a module fixture on ``engine``: a SQLite file, then a fresh
PostgreSQL database) of ``bridge.lab.torture`` with well-behaved sandboxes,
so that the kills are the only disturbance: the daemon is a separate process,
killed with SIGKILL at least 5 times and restarted at once each time. Each
test checks one promise against the sandboxes' own records (the billing
ledger, the marketplace's deliveries and memos); only the exception reasons,
which exist nowhere else, are read from the bridge's store.
"""

from __future__ import annotations

import asyncio

import pytest

from bridge.lab.torture import TortureOptions, TortureRun
from tests.lab import runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

KILLS = 6


@pytest.fixture(scope="module")
def crash_run(engine: str, tmp_path_factory: pytest.TempPathFactory) -> TortureRun:
    opts = TortureOptions(
        orders=300,
        kills=KILLS,
        seed=2,
        faults=False,
        rate=15.0,
        calm_latency_ms=100.0,  # calls in flight when the kills land
        timeout_s=120.0,
        workdir=tmp_path_factory.mktemp("crash"),
        progress=False,
    )
    run = asyncio.run(runs.torture_on(engine, opts))
    print({k: v for k, v in run.report.items() if k != "timeline"})
    return run


def test_the_daemon_was_killed_repeatedly_while_orders_flowed(crash_run: TortureRun) -> None:
    """At least 5 SIGKILLs before the last order was placed, each followed by a restart."""
    timeline = [what for _, what in crash_run.report["timeline"]]
    placed_at = timeline.index("every order placed")
    assert crash_run.report["kills"] == KILLS
    assert crash_run.report["daemon_starts"] == KILLS + 1
    assert sum(what.startswith("kill") for what in timeline[:placed_at]) >= 5


def test_kills_land_while_lines_are_submitted(crash_run: TortureRun) -> None:
    """The dangerous moment was hit: a call sent (or about to be) and its answer not yet recorded."""
    assert crash_run.report["kills_mid_call"] >= 1


def test_every_valid_line_is_applied_exactly_once(crash_run: TortureRun) -> None:
    """The billing ledger holds exactly what each valid line paid for: not less, not twice."""
    assert runs.wrongly_provided(crash_run) == []


def test_no_bad_line_is_applied(crash_run: TortureRun) -> None:
    """Nothing reaches the ledger for a line that needs a person."""
    assert runs.bad_lines_applied(crash_run) == []


def test_every_trade_is_delivered_exactly_once(crash_run: TortureRun) -> None:
    """The marketplace saw one delivery per trade with a valid line, none for the others."""
    assert runs.wrong_deliveries(crash_run) == []


def test_every_bad_line_is_in_exception_with_its_reason(crash_run: TortureRun) -> None:
    """Each deliberately bad line waits for a person, with the reason its fault calls for."""
    assert runs.bad_lines_not_in_exception(crash_run) == []


def test_every_bad_trade_carries_a_red_memo(crash_run: TortureRun) -> None:
    """CS sees every bad trade flagged red in the marketplace's own seller memo."""
    assert runs.bad_trades_without_red_memo(crash_run) == []


def test_nothing_is_lost(crash_run: TortureRun) -> None:
    """Every paid line is stored and ends DELIVERED or in EXCEPTION."""
    assert runs.lines_lost(crash_run) == []
