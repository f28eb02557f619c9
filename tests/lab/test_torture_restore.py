"""The torture's restore drill: a backup taken mid-run is restored later, against an older billing core.

A small run per engine (``engine``: SQLite, then PostgreSQL) of ``bridge.lab.torture`` with
``restore_at``: the store is backed up when a few lines have been delivered, the bridge works on
(lines applied and trades delivered after the backup), then every daemon is stopped, the backup
put back, ``bridge recover`` run and the daemons started again, against a billing core that
applies a request_id sent twice twice. The sandboxes' own records decide. A second run restores
without the recovery step, to show the drill catches what the step prevents.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bridge.lab.torture import TortureOptions, TortureRun
from tests.lab import runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _options(workdir: Path, *, recovery: bool) -> TortureOptions:
    return TortureOptions(
        orders=60,
        kills=2,
        seed=8,
        faults=False,
        calm_latency_ms=40.0,
        rate=5.0,  # 12 s of orders: the backup falls while they arrive, so trades are paid after it
        timeout_s=120.0 if recovery else 15.0,  # without the step the forgotten lines never settle
        workdir=workdir,
        progress=False,
        billing_no_dedupe=True,
        restore_at=5,
        restore_recovery=recovery,
    )


@pytest.fixture(scope="module")
def torture_run(engine: str, tmp_path_factory: pytest.TempPathFactory) -> TortureRun:
    opts = _options(tmp_path_factory.mktemp("torture-restore"), recovery=True)
    run = asyncio.run(runs.torture_on(engine, opts))
    print(json.dumps({k: v for k, v in run.report.items() if k != "timeline"}, ensure_ascii=False))
    return run


def test_a_restored_backup_credits_nothing_twice_and_loses_nothing(torture_run: TortureRun) -> None:
    report = torture_run.report
    assert (report["duplicates"], report["lost"], report["restore"]["forgotten"]) == (0, 0, 0)
    assert report["ok"] and report["settled"]


def test_the_backup_was_restored_over_later_work(torture_run: TortureRun) -> None:
    """The drill proves something only if lines were delivered between the backup and the restore."""
    restore = torture_run.report["restore"]
    assert restore["delivered_before_restore"] > restore["delivered_at_backup"]
    recovery = restore["recovery"]
    assert restore["recovered"] and recovery["lines_to_look_up"] + recovery["trades_stored"] > 0


def test_without_the_recovery_step_the_drill_finds_double_credits_or_forgotten_lines(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Restored as an unmarked copy and started at once: the run fails (SQLite only: the proof is the
    drill's, not the engine's)."""
    opts = _options(tmp_path_factory.mktemp("torture-restore-bare"), recovery=False)
    report = asyncio.run(runs.torture_on("sqlite", opts)).report
    print(json.dumps({"duplicates": report["duplicates"], "lost": report["lost"], **report["restore"]}))
    assert report["duplicates"] > 0 or report["restore"]["forgotten"] > 0
    assert not report["ok"]
