"""``bridge torture --store-faults`` in small: the database read-only, refusing, full, under the daemon.

One short run per engine (a module fixture on ``engine``): 60 orders, one
SIGKILL, well-behaved sandboxes (the store faults are the weather), each store
fault held 8 s. SQLite needs root (its file goes on a loop-mounted disk of its
own); PostgreSQL gets a fresh database, reached by the daemon through the
torture's gate. The figures (each fault, how long /healthz said 503) are
printed, never timed.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from bridge.lab.store_faults import FAULT_KINDS
from bridge.lab.torture import TortureOptions, TortureRun, run_torture
from tests.lab import runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def faulted_run(engine: str, tmp_path_factory: pytest.TempPathFactory) -> TortureRun:
    if engine == "sqlite" and os.geteuid() != 0:
        pytest.skip("needs root to mount the SQLite file's disk")
    opts = TortureOptions(
        orders=60,
        kills=1,
        seed=18,
        faults=False,
        rate=10.0,
        timeout_s=120.0,
        workdir=tmp_path_factory.mktemp("store-faults"),
        progress=False,
        store_faults=True,
        store_fault_s=8.0,
    )
    run = asyncio.run(run_torture(opts) if engine == "sqlite" else runs.torture_on(engine, opts))
    print(json.dumps(run.report["store_faults"], ensure_ascii=False, indent=1))
    print(f"elapsed {run.report['elapsed_s']} s, reconcile {run.report.get('reconcile')}")
    return run


def test_each_store_fault_was_injected_in_turn(faulted_run: TortureRun) -> None:
    """Read-only, refused and full, each held and lifted, in that order."""
    assert [f["fault"] for f in faulted_run.report["store_faults"]] == list(FAULT_KINDS)


def test_health_said_503_during_each_fault_the_daemon_lived_through(faulted_run: TortureRun) -> None:
    """A fault the daemon keeps answering through makes some daemon's /healthz say 503."""
    faults = faulted_run.report["store_faults"]
    said = {f["fault"]: max(f["health_503_s"]) for f in faults if f["expects_503"]}
    assert said and all(seconds > 0 for seconds in said.values()), said


def test_every_daemon_is_healthy_again_after_each_fault(faulted_run: TortureRun) -> None:
    """Once a fault is lifted, every daemon answers 200 again, with no restart asked for."""
    assert all(f["healthy_after_lift_s"] is not None for f in faulted_run.report["store_faults"])


def test_nothing_is_lost_or_applied_twice(faulted_run: TortureRun) -> None:
    """Orders placed before, during and after the faults: every line stored, none lost, none twice."""
    report = faulted_run.report
    assert (report["settled"], report["duplicates"], report["lost"]) == (True, 0, 0)
    assert runs.wrongly_provided(faulted_run) == []


def test_the_day_reconciles_with_no_disagreement(faulted_run: TortureRun) -> None:
    """Shop, bridge and billing core agree on the day (``bridge reconcile``) after the faults."""
    assert faulted_run.report["reconcile"]["disagreements"] == 0
