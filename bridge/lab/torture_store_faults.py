"""``bridge torture --store-faults``: the database turns read-only, refuses connections, fills up.

The ground is laid before the daemons start (``fault_ground``): on SQLite the
database sits on a small disk of its own, on PostgreSQL the daemons reach the
server through a ``TcpGate``. Mid-run, ``store_fault_phase`` injects each
fault of ``bridge.lab.store_faults`` in turn, holds it ``hold_s`` (longer, up
to ``EXTEND_S``, until a daemon's ``/healthz`` has said 503, for a fault where
it can), lifts it and waits until every daemon answers 200 again. Throughout
it polls each daemon's ``/healthz``; the report names each fault, when it
started (seconds on the run's clock), how long it was held, and per daemon how
long health said 503, how long it did not answer, the reasons' codes, and how
long after the lift every daemon was healthy.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import make_url

from bridge.core.models import CST
from bridge.lab.daemon_process import DaemonGroup, free_port
from bridge.lab.store_faults import (
    PgFull,
    PgReadOnly,
    PgRefused,
    SqliteFull,
    SqliteImmutable,
    SqliteMovedAway,
    StoreFault,
    loop_disk,
)
from bridge.lab.tcp_gate import TcpGate
from bridge.lab.torture_chaos import ChaosLog
from bridge.store import SqlStore

__all__ = ["FAILING_S", "FaultGround", "FaultPlan", "fault_ground", "reconcile_today", "store_fault_phase"]

FAILING_S = 5.0
"""The daemons' ``[store] failing_s`` in such a run: a refused connection or a disk I/O error makes
``/healthz`` 503 after this long (read-only and full at once), well inside a fault's hold."""
EXTEND_S = 30.0
HEALTHY_WITHIN_S = 60.0
POLL_S = 0.5
HEALTH_TIMEOUT_S = 5.0  # on a loaded machine a /healthz that is up can take seconds
DISK_MB = 256
RECONCILE_WITHIN_S = 300.0


@dataclass
class FaultPlan:
    """The faults in their order, and the torture's own store (whose sessions do not outlive a fault)."""

    faults: list[StoreFault]
    harness: SqlStore


@dataclass
class FaultGround:
    """Where the daemons' database is (``daemon_dsn``), where the torture reads it, and its faults."""

    daemon_dsn: str
    harness_dsn: str
    faults: Callable[[DaemonGroup], list[StoreFault]]

    def plan(self, daemons: DaemonGroup, harness: SqlStore) -> FaultPlan:
        return FaultPlan(self.faults(daemons), harness)


@asynccontextmanager
async def fault_ground(workdir: Path, database: str | None) -> AsyncIterator[FaultGround]:
    """The ground for the faults: SQLite on a loop-mounted disk (root only), or a gate before PostgreSQL."""
    if database is None or database.startswith("sqlite"):
        if database is not None:
            raise ValueError("--store-faults on SQLite makes its own database file: leave out --database")
        if os.geteuid() != 0:
            raise ValueError("--store-faults on SQLite needs root: the file goes on a disk of its own")
        with loop_disk(workdir / "disk", DISK_MB) as disk:
            directory = disk / "db"
            directory.mkdir()
            dsn = f"sqlite+aiosqlite:///{directory / 'bridge.sqlite'}"
            yield FaultGround(
                dsn,
                dsn,
                lambda daemons: [
                    SqliteImmutable(directory / "bridge.sqlite"),
                    SqliteMovedAway(directory, daemons),
                    SqliteFull(disk),
                ],
            )
        return
    url = make_url(database)
    gate = TcpGate(url.host or "127.0.0.1", url.port or 5432, free_port())
    await gate.open()
    try:
        through = url.set(host="127.0.0.1", port=gate.port).render_as_string(hide_password=False)
        yield FaultGround(
            through, database, lambda _: [PgReadOnly(database), PgRefused(gate), PgFull(database)]
        )
    finally:
        await gate.shut()


@dataclass
class _Seen:
    """One daemon's /healthz through one fault."""

    unhealthy_s: float = 0.0
    silent_s: float = 0.0
    first_503_s: float | None = None  # after the fault started
    codes: set[str] = field(default_factory=set)
    last: int = 0  # the latest status (0: no answer)


async def _status(http: aiohttp.ClientSession, url: str | None) -> tuple[int, set[str]]:
    if url is None:
        return 0, set()
    try:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_S)) as resp:
            body = await resp.json(content_type=None)
            return resp.status, {str(r.get("code")) for r in body.get("reasons", []) if r.get("code")}
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return 0, set()


async def _watch(daemons: DaemonGroup, seen: list[_Seen], started: float) -> None:
    """Poll every daemon's /healthz every ``POLL_S`` until cancelled, adding up what each said."""
    async with aiohttp.ClientSession() as http:
        last = time.monotonic()
        while True:
            answers = await asyncio.gather(*(_status(http, m.health_url) for m in daemons.members))
            now = time.monotonic()
            for s, (status, codes) in zip(seen, answers, strict=True):
                s.last, s.codes = status, s.codes | codes
                if status == 503:
                    s.unhealthy_s += now - last
                    s.first_503_s = s.first_503_s if s.first_503_s is not None else now - started
                elif status == 0:
                    s.silent_s += now - last
            last = now
            await asyncio.sleep(POLL_S)


async def _until(check: Callable[[], bool], limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while not check() and time.monotonic() < deadline:  # noqa: ASYNC110 - polled figures, no event to wait on
        await asyncio.sleep(0.25)


async def _one(
    fault: StoreFault, daemons: DaemonGroup, log: ChaosLog, hold_s: float, harness: SqlStore
) -> dict[str, Any]:
    seen = [_Seen() for _ in daemons.members]
    log.note(f"store fault {fault.kind}: on")
    await fault.start()
    started = time.monotonic()
    watch = asyncio.create_task(_watch(daemons, seen, started))
    try:
        await asyncio.sleep(hold_s)
        if fault.expects_503:
            await _until(lambda: any(s.first_503_s is not None for s in seen), EXTEND_S)
    finally:
        await asyncio.shield(fault.stop())  # lifted even when the run is cut short
    # the torture's own sessions opened during the fault (read-only ones) are dropped: only the
    # daemons are under test, and the torture writes later (reversals, reconciliation)
    await harness.engine.dispose()
    lifted = time.monotonic()
    log.note(f"store fault {fault.kind}: off")
    try:
        await daemons.restart_dead()
        await _until(lambda: all(s.last == 200 for s in seen), HEALTHY_WITHIN_S)
        healthy = all(s.last == 200 for s in seen)
    finally:
        watch.cancel()
    return {
        "fault": fault.kind,
        "exercises": fault.exercises,
        "expects_503": fault.expects_503,
        "at_s": round(started - log.started, 1),
        "held_s": round(lifted - started, 1),
        "health_503_s": [round(s.unhealthy_s, 1) for s in seen],
        "health_silent_s": [round(s.silent_s, 1) for s in seen],
        "first_503_after_s": [None if s.first_503_s is None else round(s.first_503_s, 1) for s in seen],
        "codes": sorted(set().union(*(s.codes for s in seen))),
        "healthy_after_lift_s": round(time.monotonic() - lifted, 1) if healthy else None,
    }


async def store_fault_phase(
    plan: FaultPlan, daemons: DaemonGroup, log: ChaosLog, after_s: float, hold_s: float
) -> None:
    """After ``after_s``, each fault in turn; what each did is appended to ``log.store_faults``."""
    await asyncio.sleep(after_s)
    for fault in plan.faults:
        log.store_faults.append(await _one(fault, daemons, log, hold_s, plan.harness))


async def reconcile_today(config: Path, env: dict[str, str]) -> dict[str, Any]:
    """``bridge reconcile --json`` for today (China time) on the daemons' configuration and
    environment (the secrets): its summary, or ``{"error": ...}`` when it could not run."""
    day = datetime.now(CST).date().isoformat()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bridge.cli",
        "reconcile",
        "--date",
        day,
        "--config",
        str(config),
        "--json",
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), RECONCILE_WITHIN_S)
    try:
        result = dict(json.loads(out))
    except ValueError:
        return {"error": f"exit {proc.returncode}: {err.decode(errors='replace').strip()[-500:]}"}
    return {k: v for k, v in result.items() if k != "rows"} | {"rows": result.get("rows", [])[:20]}
