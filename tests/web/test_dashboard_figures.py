"""The dashboard's and /metrics' store figures: one reading per interval, whoever watches, shown aged.

The console here is the real one (``make_console_app``) with ``/metrics`` mounted
beside it as the daemon does, over a store whose monitoring role counts its
readings (and fails on cue): every figures reading goes through it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application, Request

from bridge.app import METRICS_KEY, metrics
from bridge.core.errors import StoreUnavailable
from bridge.core.records import StoreFigures
from bridge.metrics import BridgeMetrics
from bridge.services.console_figures import refresh_figures
from bridge.services.deps import Deps
from bridge.services.health import report
from bridge.services.jobs import _guarded, build_scheduler
from bridge.web import make_console_app
from tests.rig import Rig, open_rig, with_role
from tests.web.conftest import ClientFactory
from tests.web.rig import PASSWORD, add_users, console_settings, login_csrf_in

EVERY_S = 60.0
VIEWERS = 10


class _CountedFigures:
    """The monitoring role, counting its readings; each takes a moment (so viewers overlap), or fails."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.readings = 0
        self.down = False

    async def figures(self) -> StoreFigures:
        self.readings += 1
        await asyncio.sleep(0.05)
        if self.down:
            raise StoreUnavailable("cannot connect to the database", code="STORE_UNREACHABLE")
        figures: StoreFigures = await self._inner.figures()
        return figures


def _age_shown(html: str) -> int:
    """The figures' age the page states, in seconds ("数据更新于 …（N 秒前）")."""
    found = re.search(r"（(\d+) 秒前）", html.split('id="figures-at"')[1])
    assert found is not None, "the page does not say how old its figures are"
    return int(found.group(1))


@dataclass
class Watched:
    rig: Rig
    deps: Deps
    counted: _CountedFigures
    client: TestClient[Request, Application]

    async def login(self) -> None:
        token = login_csrf_in(await (await self.client.get("/login")).text())
        form = {"csrf": token, "name": "cs1", "password": PASSWORD, "next": "/"}
        resp = await self.client.post("/login", data=form, allow_redirects=False)  # not to the dashboard
        assert resp.status == 303

    async def body(self) -> str:
        resp = await self.client.get("/dashboard/live")
        assert resp.status == 200
        return await resp.text()


@pytest.fixture
async def watched(tmp_path: Path, database: str, aiohttp_client: ClientFactory) -> AsyncIterator[Watched]:
    """The console and /metrics over a rig whose figures are read at most once a minute."""
    async with open_rig(
        tmp_path, settings_for=console_settings, database=database, console={"figures_every_s": EVERY_S}
    ) as rig:
        await add_users(rig.deps)
        counted = _CountedFigures(rig.deps.store.monitoring)
        deps = replace(rig.deps, store=with_role(rig.deps.store, "monitoring", counted))
        app = make_console_app(deps)
        app[METRICS_KEY] = BridgeMetrics()
        app.router.add_get("/metrics", metrics)
        w = Watched(rig, deps, counted, await aiohttp_client(app))
        await w.login()
        yield w


async def test_many_viewers_at_once_cost_one_reading(watched: Watched) -> None:
    """Ten dashboards and a scrape asked at the same moment, no snapshot yet: the store is read once."""
    asks = [watched.client.get("/dashboard/live") for _ in range(VIEWERS)]
    answers = await asyncio.gather(*asks, watched.client.get("/metrics"))
    assert [r.status for r in answers] == [200] * (VIEWERS + 1)
    assert watched.counted.readings == 1


async def test_viewers_within_the_interval_are_served_the_snapshot(watched: Watched) -> None:
    """Refreshes within the interval read nothing; the first one after it reads the store again."""
    for _ in range(3):
        await watched.body()
        assert (await watched.client.get("/metrics")).status == 200
    assert watched.counted.readings == 1
    watched.rig.later(EVERY_S)
    await watched.body()
    assert watched.counted.readings == 2


async def test_the_dashboard_says_how_old_its_figures_are(watched: Watched) -> None:
    """The page names the moment its figures were read and their age in seconds."""
    await watched.body()
    watched.rig.later(30)
    assert 30 <= _age_shown(await watched.body()) < 35  # 30 s later, give or take a slow machine


async def test_a_failed_reading_keeps_the_last_figures_and_says_so(watched: Watched) -> None:
    """The database down at the next reading: the last figures are served with their age, the page and the
    gauges say the reading fails."""
    await watched.body()
    watched.counted.down = True
    watched.rig.later(EVERY_S + 5)
    body = await watched.body()
    assert 65 <= _age_shown(body) < 70 and "数据库暂时读不到" in body.split('id="figures-at"')[1]
    scraped = await (await watched.client.get("/metrics")).text()
    assert "bridge_store_figures_failing 1.0" in scraped
    age = re.search(r"^bridge_store_figures_age_seconds (\S+)$", scraped, re.M)
    assert age is not None and 65 <= float(age.group(1)) < 70
    assert 'bridge_lines{state="DELIVERED"}' in scraped  # the last snapshot's gauges, not left out


async def test_no_figures_ever_read_is_a_503_page(watched: Watched) -> None:
    """The store down before any reading: the dashboard says the figures cannot be read, never a 500."""
    watched.counted.down = True
    resp = await watched.client.get("/")
    assert resp.status == 503
    assert "暂时读不到数据" in await resp.text()


async def test_the_figures_job_failing_reaches_health(watched: Watched) -> None:
    """The ``figures`` job ending on an unreadable store is a store fault /healthz reports once it lasts."""
    watched.counted.down = True
    await _guarded("figures", refresh_figures, watched.deps)()
    watched.rig.later(watched.deps.settings.store.failing_s + 1)
    status, body = await report(watched.deps)
    assert status == 503
    assert any(r["job"] == "figures" for r in body["reasons"] if r["kind"] == "store_writes_failing")


async def test_the_job_skips_a_reading_a_viewer_just_made(watched: Watched) -> None:
    """A viewer read the figures (the job ran late): the job's run moments later reads nothing more."""
    await watched.body()
    await refresh_figures(watched.deps)
    assert watched.counted.readings == 1
    watched.rig.later(EVERY_S / 2)
    await refresh_figures(watched.deps)
    assert watched.counted.readings == 2


async def test_the_daemon_reads_the_figures_on_the_configured_interval(watched: Watched) -> None:
    """The scheduler's ``figures`` job runs every ``[console] figures_every_s``."""
    job = build_scheduler(watched.deps).get_job("figures")
    assert job is not None and job.trigger.interval == timedelta(seconds=EVERY_S)
