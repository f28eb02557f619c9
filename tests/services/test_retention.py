"""The retention job over the rig: a delivered order's old events move to the archive (counted in the
metrics), its lines stay, its history is still whole; a run cut short by the store loses nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from bridge.core.errors import StoreUnavailable
from bridge.metrics.recorder import PrometheusRecorder
from bridge.services.jobs import build_scheduler
from bridge.services.retention import archive_due
from tests.rig import Rig, line, open_rig, with_role

DAY = 86_400.0
DAY_DELTA = timedelta(days=1)


@pytest.fixture
async def rig(tmp_path: Path, database: str) -> AsyncIterator[tuple[Rig, CollectorRegistry]]:
    registry = CollectorRegistry()
    retention = {"events_days": 7, "audit_days": 0}
    async with open_rig(
        tmp_path, database=database, retention=retention, metrics=PrometheusRecorder(registry)
    ) as r:
        yield r, registry


async def _delivered_a_week_ago(rig: Rig) -> tuple[int, list[str]]:
    """An order delivered eight days before the rig's now, and its timeline's kinds."""
    card = (await rig.cards())[0]
    tid = await rig.order(line(), message=f"卡号{card}")
    await rig.cycle()
    assert {ln.state.value for ln in await rig.lines(tid)} == {"DELIVERED"}
    rig.later(8 * DAY)
    _, story = await rig.deps.store.views.trade_story((await rig.deps.store.views.find_trades(tid))[0])
    return tid, [e.kind for e in story]


async def test_old_events_move_and_the_order_keeps_its_lines_and_history(
    rig: tuple[Rig, CollectorRegistry],
) -> None:
    """Eight days on, the job archives the order's events (all but the table's newest row), counts
    them in ``bridge_rows_archived_total``, leaves the lines as they were and the timeline whole;
    audit rows (0 days) are not looked at."""
    r, registry = rig
    tid, kinds = await _delivered_a_week_ago(r)
    lines = await r.lines(tid)
    moved = await archive_due(r.deps)
    assert list(moved) == ["events"] and moved["events"] == len(kinds) - 1
    assert registry.get_sample_value("bridge_rows_archived_total", {"table": "events"}) == len(kinds) - 1
    assert await r.lines(tid) == lines
    _, story = await r.deps.store.views.trade_story((await r.deps.store.views.find_trades(tid))[0])
    assert [e.kind for e in story] == kinds


class _FailsOnSecondBatch:
    """The retention role whose second batch fails as a database error would."""

    def __init__(self, real: Any) -> None:
        self._real, self.calls = real, 0

    async def archive_batch(self, kind: Any, before: datetime, limit: int) -> int:
        self.calls += 1
        if self.calls == 2:
            raise StoreUnavailable("the database connection was lost", code="STORE_CONNECTION_LOST")
        return int(await self._real.archive_batch(kind, before, limit))

    async def archivable(self, kind: Any, before: datetime) -> int:
        return int(await self._real.archivable(kind, before))


async def test_a_run_cut_short_loses_nothing_and_the_next_run_finishes(
    rig: tuple[Rig, CollectorRegistry],
) -> None:
    """A store error after the first batch ends the run; every event is still in one of the two tables,
    and the next run moves the rest."""
    r, _ = rig
    tid, kinds = await _delivered_a_week_ago(r)
    settings = r.deps.settings
    small = settings.model_copy(update={"retention": settings.retention.model_copy(update={"batch": 2})})
    failing = replace(
        r.deps,
        settings=small,
        store=with_role(r.deps.store, "retention", _FailsOnSecondBatch(r.deps.store.retention)),
    )
    with pytest.raises(StoreUnavailable):
        await archive_due(failing)
    trade = (await r.deps.store.views.find_trades(tid))[0]
    assert [e.kind for e in (await r.deps.store.views.trade_story(trade))[1]] == kinds
    assert await r.deps.store.retention.archivable("events", r.deps.clock() - 7 * DAY_DELTA) == len(kinds) - 3
    assert (await archive_due(replace(r.deps, settings=small)))["events"] == len(kinds) - 3


async def test_the_daemon_archives_on_its_interval(rig: tuple[Rig, CollectorRegistry]) -> None:
    """The scheduler runs the job every ``[retention] interval_s`` (an hour by default)."""
    r, _ = rig
    job = build_scheduler(r.deps).get_job("archive")
    assert job is not None and job.trigger.interval.total_seconds() == 3600
