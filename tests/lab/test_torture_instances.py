"""Several daemons on one PostgreSQL database against an older billing core, with SIGKILLs.

Three ``bridge run`` processes share a fresh PostgreSQL database (as three
hosts would), every fault knob is on, and the billing core is an older one:
it does not deduplicate request_ids and some applies land after the client's
timeout. SIGKILLs land on whichever daemon the seeded draw picks, each
restarted at once. Exactly-once is checked against the sandboxes' own
ledgers, as in the single-daemon runs.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bridge.lab.daemon_process import DaemonGroup
from bridge.lab.torture import TortureOptions, TortureRun, run_torture
from bridge.store import open_store
from tests.factories import trade
from tests.lab import runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


@pytest.fixture(scope="module", params=["postgresql"], ids=["postgresql-run"])  # with the other runs
def three_daemons(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TortureRun:
    opts = TortureOptions(
        orders=500,
        kills=8,
        seed=5,
        faults=True,
        rate=20.0,
        timeout_s=240.0,
        instances=3,
        billing_no_dedupe=True,
        workdir=tmp_path_factory.mktemp("torture-instances"),
        progress=False,
    )
    run = asyncio.run(runs.torture_on(request.param, opts))
    print(json.dumps({k: v for k, v in run.report.items() if k != "timeline"}, ensure_ascii=False))
    return run


def test_the_report_names_the_instances_and_the_engine(three_daemons: TortureRun) -> None:
    """The JSON says how many daemons ran and on which database engine."""
    report = three_daemons.report
    assert (report["instances"], report["database"], report["billing_dedupe"]) == (3, "postgresql", False)


def test_kills_landed_on_more_than_one_daemon(three_daemons: TortureRun) -> None:
    """The seeded draw spread the kills: the run proves something about several instances."""
    killed = {
        int(m.group(1))
        for _, note in three_daemons.report["timeline"]
        if (m := re.match(r"kill \d+ \(instance (\d+)\)", note))
    }
    assert three_daemons.report["kills"] == 8 and len(killed) > 1, killed


def test_every_valid_line_is_applied_exactly_once(three_daemons: TortureRun) -> None:
    """The billing ledger holds exactly what each valid line paid for: not less, not twice."""
    assert runs.wrongly_provided(three_daemons) == []
    assert (three_daemons.report["duplicates"], three_daemons.report["lost"]) == (0, 0)
    assert three_daemons.report["ok"]


def test_a_group_needs_a_member() -> None:
    """An empty group is refused at once rather than running a torture with no daemon."""
    with pytest.raises(ValueError, match="at least one member"):
        DaemonGroup([])


async def test_a_database_with_order_lines_is_refused(tmp_path: Path, database: str) -> None:
    """The verdict counts every stored line, so a used database is refused, its DSN shown."""
    dsn = database
    store = await open_store(dsn)
    try:
        await store.intake.save_trade("main", trade(), datetime.now(UTC), "test")
    finally:
        await store.close()
    opts = TortureOptions(orders=1, kills=0, database=dsn, workdir=tmp_path / "run", progress=False)
    shown = re.escape(make_url(dsn).render_as_string())
    with pytest.raises(ValueError, match=f"torture needs an empty database; {shown} has order lines"):
        await run_torture(opts)


def test_the_older_billing_core_really_misbehaved(three_daemons: TortureRun) -> None:
    """Slow applies happened and kills landed mid-call: the no-dedupe core had chances to double-credit."""
    report = three_daemons.report
    assert report["faults"]["billing"]["slow_applies"] > 0, report["faults"]["billing"]
    assert report["kills_mid_call"] > 0
