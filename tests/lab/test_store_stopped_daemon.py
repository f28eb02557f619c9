"""A PostgreSQL server stopped for 30 s under the running daemon: /healthz says 503 with its reason, never
a bare 500, and once the server is back the daemon is 200 and delivers everything, with no restart.

The server is a cluster of the test's own (``pg_createcluster`` on a free port, as root), stopped and
started by the test and dropped at the end; the shared test server is never touched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bridge.lab import DEMO_MAPPINGS
from bridge.lab.daemon_process import free_port
from bridge.lab.sandboxes import running_sandboxes
from bridge.lab.scenario import OrderMaker, fetch_subscribers
from bridge.lab.verify import fetch_records, verify_run
from bridge.services.mappings import load_mapping_set
from bridge.store import MappingDir
from tests.lab.conftest import running_daemon, wait_for
from tests.lab.test_store_faults_daemon import WITHIN_S, all_settled, health_of, place_numbered, until_health

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

STOPPED_S = 30.0


@dataclass
class Cluster:
    name: str
    port: int

    @property
    def dsn(self) -> str:
        return f"postgresql+asyncpg://bridge:bridge@127.0.0.1:{self.port}/bridge"

    def ctl(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "15", self.name, action, "-m", "fast"], check=True, capture_output=True
        )


def _as_postgres(port: int, sql: str) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-p", str(port), "-c", sql],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL 15 cluster of this test's own with a role and database ``bridge``; dropped afterwards."""
    if os.geteuid() != 0 or shutil.which("pg_createcluster") is None:
        pytest.skip("needs root and pg_createcluster to make a PostgreSQL cluster of its own")
    c = Cluster(f"bridge_stop_{os.getpid()}", free_port())
    subprocess.run(["pg_createcluster", "15", c.name, "--port", str(c.port)], check=True, capture_output=True)
    try:
        subprocess.run(["pg_ctlcluster", "15", c.name, "start"], check=True, capture_output=True)
        _as_postgres(c.port, "CREATE ROLE bridge LOGIN PASSWORD 'bridge'")
        _as_postgres(c.port, "CREATE DATABASE bridge OWNER bridge")
        yield c
    finally:
        subprocess.run(["pg_dropcluster", "--stop", "15", c.name], check=False, capture_output=True)


@dataclass
class Outage:
    statuses: set[int]  # every /healthz status seen while the server was down
    bodies: list[dict[str, Any]]
    healthy_after_s: float
    report: dict[str, Any]
    pids: set[int | None]


async def _outage(workdir: Path, c: Cluster) -> Outage:
    async with (
        running_sandboxes(seed=9) as sb,
        aiohttp.ClientSession() as http,
        running_daemon(sb, workdir, database=c.dsn) as d,
    ):
        maker = OrderMaker(
            load_mapping_set(MappingDir(DEMO_MAPPINGS)), await fetch_subscribers(http, sb.billing_url), 9
        )
        pids = {d.process.pid}
        placed = await place_numbered(http, sb.market_url, maker, range(10))
        await wait_for(
            lambda: all_settled(d, sum(len(o.lines) for o in placed)), 60, "the first orders to settle"
        )
        await asyncio.to_thread(c.ctl, "stop")
        placed += await place_numbered(http, sb.market_url, maker, range(10, 20))
        statuses, bodies, until = set(), [], time.monotonic() + STOPPED_S
        while time.monotonic() < until:
            status, body = await health_of(http, d)
            statuses.add(status)
            bodies.append(body)
            await asyncio.sleep(1)
        await asyncio.to_thread(c.ctl, "start")
        pids.add(d.process.pid)
        up_s, _ = await until_health(http, d, 200)
        await wait_for(lambda: all_settled(d, sum(len(o.lines) for o in placed)), 90, "every order to settle")
        records = await fetch_records(http, sb.market_url, sb.billing_url)
        report = verify_run(placed, records, await d.store.views.all_lines(), "main")
        pids.add(d.process.pid)
    print(
        f"\nserver stopped {STOPPED_S:.0f} s: /healthz {sorted(statuses)}; 200 {up_s:.1f} s after it started"
    )
    return Outage(statuses, bodies, up_s, report, pids)


@pytest.fixture(scope="module")
def outage(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Outage:
    return asyncio.run(_outage(tmp_path_factory.mktemp("stopped"), cluster))


def test_health_is_503_with_json_while_the_server_is_down(outage: Outage) -> None:
    """Every answer while the server was stopped is a 503 with the store's code, never a bare 500."""
    assert outage.statuses == {503}
    assert all(any(r.get("code") == "STORE_UNREACHABLE" for r in body["reasons"]) for body in outage.bodies)


def test_health_is_200_within_30_s_of_the_server_starting_with_no_restart(outage: Outage) -> None:
    """The server back, nothing else done: /healthz answers 200 within 30 s, the same daemon process."""
    assert outage.healthy_after_s < WITHIN_S and len(outage.pids) == 1


def test_every_order_is_delivered_exactly_once(outage: Outage) -> None:
    """Orders placed before and during the outage: none lost, none provisioned twice."""
    assert (outage.report["duplicates"], outage.report["lost"]) == (0, 0)
