"""The deadlines' series on /metrics: the most urgent line's time left by storefront, misses counted once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bridge.metrics import BridgeMetrics
from bridge.services.deadlines import escalate_deadlines
from bridge.services.jobs import build_scheduler
from tests.composition.test_metrics import _scrape, _values
from tests.rig import line, open_rig

HOUR = {"taobao_s": 3600, "margin_s": 600}
REMAINING = ("bridge_deadline_seconds_remaining", (("storefront", "taobao"),))


def _missed(storefront: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return "bridge_deadline_missed_total", (("storefront", storefront),)


async def test_the_most_urgent_lines_time_left_is_served_by_storefront(tmp_path: Path, database: str) -> None:
    """Nothing awaiting delivery: no sample; a stuck line paid 50 minutes ago: about 10 minutes left."""
    bundle = BridgeMetrics()
    async with open_rig(tmp_path, database=database, metrics=bundle.recorder, deadlines=HOUR) as rig:
        assert REMAINING not in _values(await _scrape(bundle, rig))
        await rig.order(line(), message="卡号8888888888888888")  # unknown card: waits in EXCEPTION
        await rig.cycle()
        rig.later(50 * 60)
        values = _values(await _scrape(bundle, rig))
    assert 500 < values[REMAINING] <= 600


async def test_the_time_left_keeps_running_between_readings_of_the_store(
    tmp_path: Path, database: str
) -> None:
    """Served from a snapshot read 2 minutes before the scrape: the time left is 2 minutes shorter."""
    bundle = BridgeMetrics()
    slow = {"figures_every_s": 300}
    async with open_rig(
        tmp_path, database=database, metrics=bundle.recorder, deadlines=HOUR, console=slow
    ) as rig:
        await rig.order(line(), message="卡号8888888888888888")
        await rig.cycle()
        first = _values(await _scrape(bundle, rig))[REMAINING]
        rig.later(120)
        second = _values(await _scrape(bundle, rig))[REMAINING]
    assert 119 < first - second < 121


async def test_a_missed_line_is_counted_once_and_both_storefronts_start_at_zero(
    tmp_path: Path, database: str
) -> None:
    """Both storefronts' counters are there from the start; a line past its deadline adds one, once."""
    bundle = BridgeMetrics()
    async with open_rig(tmp_path, database=database, metrics=bundle.recorder, deadlines=HOUR) as rig:
        before = _values(await _scrape(bundle, rig))
        await rig.order(line(), message="卡号8888888888888888")
        await rig.cycle()
        rig.later(61 * 60)
        await escalate_deadlines(rig.deps)
        await escalate_deadlines(rig.deps)
        after = _values(await _scrape(bundle, rig))
    assert before[_missed("taobao")] == before[_missed("pinduoduo")] == 0
    assert after[_missed("taobao")] == 1 and after[REMAINING] < 0


async def test_the_deadlines_job_runs_every_interval(tmp_path: Path) -> None:
    """The scheduler holds the lines against their deadlines every [deadlines] interval_s."""
    async with open_rig(tmp_path, deadlines={"interval_s": 45}) as rig:
        job = build_scheduler(rig.deps).get_job("deadlines")
    assert job is not None and job.trigger.interval.total_seconds() == 45
    assert job.next_run_time <= datetime.now(UTC)
