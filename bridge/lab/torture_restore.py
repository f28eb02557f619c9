"""The torture's restore drill (``bridge torture --restore-at N``): a backup put back mid-run.

When N lines have been delivered, the store is copied with ``bridge backup``'s
function (a marked copy, taken while the daemons work). Once every order is
placed and the kills are over, the bridge works on until every line has
settled (or a minute has passed), so lines go on being applied and trades
delivered after the backup; then the drill does what the README's runbook
tells an operator: stop every daemon, put the backup back, run ``bridge
recover`` (the real command, in its own process), start the daemons. The run
then goes on to its usual verdict, against a billing core that (with
``--billing-no-dedupe``) applies a request_id sent twice twice. One figure is
added: ``forgotten``, valid lines the marketplace shows delivered that the
store does not hold DELIVERED (what intake never re-reads after a restore).

``recovery=False`` (the tests' proof that the step matters) restores without
it, as an unmarked copy would be: the mark removed, the daemons started.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bridge.core.records import LineRecord
from bridge.core.states import REVERSAL_WAITING, LineState
from bridge.lab.daemon_process import DaemonGroup
from bridge.lab.scenario import PlannedOrder
from bridge.lab.torture_chaos import ChaosLog
from bridge.lab.torture_report import settled
from bridge.lab.verify import Records, seen_on_storefront
from bridge.ports import StorePort
from bridge.store import SqlStore, backup_database, restore_database

_WORK_ON_S = 60.0  # at most this long between "every order placed" and the restore
_STOP_GRACE_S = 30.0


@dataclass
class RestoreDrill:
    """A backup taken at ``at`` delivered lines, restored by ``restore`` (``recovery``: with the step)."""

    at: int
    store: SqlStore  # the run's own (closed before the restore: the next read reconnects)
    dsn: str
    config: Path
    env: dict[str, str]
    recovery: bool = True
    backup: Path | None = None
    figures: dict[str, Any] = field(default_factory=dict)

    async def take_backup(self, store: StorePort, log: ChaosLog) -> None:
        """Wait for ``at`` delivered lines, then copy the store (the daemons keep working)."""
        while True:  # the store is the daemons' (other processes): read until it shows enough
            if (await store.views.progress()).get(LineState.DELIVERED.value, 0) >= self.at:
                break
            await asyncio.sleep(0.2)
        taken_at = await store.database_time()
        sqlite = make_url(self.dsn).get_backend_name() == "sqlite"
        path = self.config.parent / ("backup.sqlite" if sqlite else "backup.sql")
        started = time.monotonic()
        await backup_database(self.dsn, path, taken_at)
        delivered = (await store.views.progress()).get(LineState.DELIVERED.value, 0)
        self.backup = path
        self.figures.update(
            restore_at=self.at,
            backup_taken_at=taken_at.isoformat(),
            backup_s=round(time.monotonic() - started, 2),
            delivered_at_backup=delivered,
        )
        log.note(f"backup taken at {delivered} delivered lines: {path.name}")

    async def restore(
        self, store: StorePort, daemons: DaemonGroup, placed: list[PlannedOrder], log: ChaosLog
    ) -> None:
        """Once the bridge has worked on past the backup: stop, put the backup back, recover, start."""
        expected = sum(len(o.lines) for o in placed)
        deadline = time.monotonic() + _WORK_ON_S
        while True:
            done = settled(await store.views.progress(), expected)
            if self.backup is None and done:
                self.figures["restore"] = f"never: fewer than {self.at} lines were delivered"
                log.note("no backup to restore: the run settled first")
                return
            if self.backup is not None and (done or time.monotonic() > deadline):
                break
            await asyncio.sleep(0.5)
        before = await store.views.progress()
        await daemons.close(grace_s=_STOP_GRACE_S)
        await self.store.close()  # the next read opens new connections, to the restored database
        started = time.monotonic()
        await restore_database(self.dsn, self.backup)
        self.figures.update(
            delivered_before_restore=before.get(LineState.DELIVERED.value, 0),
            restore_s=round(time.monotonic() - started, 2),
            recovered=self.recovery,
        )
        log.note(f"backup restored over {self.figures['delivered_before_restore']} delivered lines")
        if self.recovery:
            self.figures["recovery"] = await self._recover()
            log.note("bridge recover done")
        else:
            await store.recovery.clear_backup_mark()  # as if restored from an unmarked copy
        await daemons.start()

    async def _recover(self) -> dict[str, Any]:
        """``bridge recover --json`` in its own process, as the operator runs it; its figures."""
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bridge.cli.main",
            "recover",
            "--config",
            str(self.config),
            "--json",
            env={**os.environ, **self.env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"bridge recover exited {proc.returncode}: {err.decode()[-500:]}")
        figures: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
        figures["recover_s"] = round(time.monotonic() - started, 2)
        return figures


def drill_for(
    at: int | None, recovery: bool, store: SqlStore, dsn: str, config: Path, env: dict[str, str]
) -> RestoreDrill | None:
    """The drill of ``--restore-at at`` (None without it); the backup is written beside ``config``."""
    return None if at is None else RestoreDrill(at, store, dsn, config, env, recovery)


def forgotten(
    placed: list[PlannedOrder], records: Records, lines: list[LineRecord], shops: Mapping[str, str]
) -> int:
    """Valid lines of orders their storefront shows delivered that the store does not hold DELIVERED.

    ``shops``: each shop's name → its storefront (one shop per storefront).
    """
    stored = {(ln.shop, ln.tid, ln.oid): ln.state for ln in lines}
    shop_of = {front: name for name, front in shops.items()}
    count = 0
    for order in placed:
        if not seen_on_storefront(order, records).deliveries:
            continue
        for oid, line in zip(order.oids, order.lines, strict=True):
            key = (shop_of[order.storefront], order.tid or "", oid)
            if line.expect_reason is None and stored.get(key) not in _KNOWN_DELIVERED:
                count += 1
    return count


_KNOWN_DELIVERED = frozenset({LineState.DELIVERED, LineState.REVERSED, *REVERSAL_WAITING})
"""A delivered line as the store may hold it at the end (the reversal phase refunds some)."""


def restore_line(r: dict[str, Any]) -> str:
    """The drill's line in the torture's text report."""
    if "restore_s" not in r:
        return f"restore: {r.get('restore', 'not done')}"
    rec = r.get("recovery", {})
    how = (
        f"recovered in {rec.get('recover_s')} s: {rec.get('found_applied')} lines found applied, "
        f"{rec.get('waiting')} looked up again later, {rec.get('trades_stored')} trades stored again, "
        f"{rec.get('trades_delivered')} delivered"
        if r.get("recovered")
        else "restored WITHOUT bridge recover"
    )
    return (
        f"restore: backup at {r['delivered_at_backup']} delivered lines, restored over "
        f"{r['delivered_before_restore']} · {how} · forgotten {r['forgotten']}"
    )
