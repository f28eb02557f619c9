"""SIGKILLs of the daemon while it talks to an older billing core (no deduplication, slow applies).

The crash test's run (on each engine), but every resend of a call that landed (or was still
landing) when the daemon died would credit twice: the ledger must show each
valid line provided exactly once, and nothing lost.
"""

from __future__ import annotations

import asyncio

import pytest

from bridge.lab.torture import TortureOptions, TortureRun
from tests.lab import runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(200)]


@pytest.fixture(scope="module")
def old_core_run(engine: str, tmp_path_factory: pytest.TempPathFactory) -> TortureRun:
    opts = TortureOptions(
        orders=200,
        kills=4,
        seed=3,
        faults=False,
        rate=15.0,
        calm_latency_ms=100.0,  # calls in flight when the kills land
        billing_no_dedupe=True,
        timeout_s=150.0,
        workdir=tmp_path_factory.mktemp("old-core"),
        progress=False,
    )
    run = asyncio.run(runs.torture_on(engine, opts))
    print({k: v for k, v in run.report.items() if k != "timeline"})
    return run


def test_kills_landed_mid_call_against_a_core_that_applies_twice(old_core_run: TortureRun) -> None:
    """The dangerous moments happened: kills with calls in flight, slow applies, no deduplication."""
    report = old_core_run.report
    assert report["billing_dedupe"] is False and report["kills"] == 4
    assert report["kills_mid_call"] >= 1
    assert report["faults"]["billing"]["slow_applies"] >= 1


def test_every_valid_line_is_applied_exactly_once(old_core_run: TortureRun) -> None:
    """The billing ledger holds exactly what each valid line paid for: not less, not twice."""
    assert runs.wrongly_provided(old_core_run) == []
    assert (old_core_run.report["duplicates"], old_core_run.report["lost"]) == (0, 0)
    assert old_core_run.report["ok"]
