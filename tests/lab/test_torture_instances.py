"""Several daemons on one database: the torture run with ``instances=3`` and kills spread across them.

Three ``bridge run`` processes share the SQLite file (as three hosts share a
database); SIGKILLs land on whichever the seeded draw picks, each restarted at
once. Exactly-once is checked against the sandboxes' own ledgers, as in the
single-daemon runs.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.lab.daemon_process import DaemonGroup
from bridge.lab.torture import TortureOptions, TortureRun, run_torture
from bridge.store import open_store
from tests.factories import trade
from tests.lab import runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def three_daemons(tmp_path_factory: pytest.TempPathFactory) -> TortureRun:
    opts = TortureOptions(
        orders=150,
        kills=6,
        seed=5,
        faults=False,
        calm_latency_ms=40.0,
        rate=20.0,
        timeout_s=180.0,
        instances=3,
        workdir=tmp_path_factory.mktemp("torture-instances"),
        progress=False,
    )
    run = asyncio.run(run_torture(opts))
    print(json.dumps({k: v for k, v in run.report.items() if k != "timeline"}, ensure_ascii=False))
    return run


def test_the_report_names_the_instances_and_the_engine(three_daemons: TortureRun) -> None:
    """The JSON says how many daemons ran and on which database engine."""
    assert (three_daemons.report["instances"], three_daemons.report["database"]) == (3, "sqlite")


def test_kills_landed_on_more_than_one_daemon(three_daemons: TortureRun) -> None:
    """The seeded draw spread the kills: the run proves something about several instances."""
    killed = {
        int(m.group(1))
        for _, note in three_daemons.report["timeline"]
        if (m := re.match(r"kill \d+ \(instance (\d+)\)", note))
    }
    assert three_daemons.report["kills"] == 6 and len(killed) > 1, killed


def test_every_valid_line_is_applied_exactly_once(three_daemons: TortureRun) -> None:
    """The billing ledger holds exactly what each valid line paid for: not less, not twice."""
    assert runs.wrongly_provided(three_daemons) == []
    assert (three_daemons.report["duplicates"], three_daemons.report["lost"]) == (0, 0)
    assert three_daemons.report["ok"]


def test_a_group_needs_a_member() -> None:
    """An empty group is refused at once rather than running a torture with no daemon."""
    with pytest.raises(ValueError, match="at least one member"):
        DaemonGroup([])


async def test_a_database_with_order_lines_is_refused(tmp_path: Path) -> None:
    """The verdict counts every stored line, so a used database is refused, its DSN shown."""
    dsn = f"sqlite+aiosqlite:///{tmp_path / 'used.sqlite'}"
    store = await open_store(dsn)
    try:
        await store.save_trade("main", trade(), datetime.now(UTC), "test")
    finally:
        await store.close()
    opts = TortureOptions(orders=1, kills=0, database=dsn, workdir=tmp_path / "run", progress=False)
    with pytest.raises(ValueError, match=r"needs an empty database.*used\.sqlite"):
        await run_torture(opts)
