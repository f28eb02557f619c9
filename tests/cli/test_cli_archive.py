"""`bridge archive [--dry-run]`: the retention job run once from a shell, counting first if asked."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.lab.sandboxes import bridge_config, to_toml
from bridge.store.schema import events
from tests.rig import Rig, line


async def _archive(rig: Rig, config: Path, *extra: str) -> str:
    env = {**rig.sb.env(), "PATH": "/usr/bin:/bin"}
    args = ["-m", "bridge.cli.main", "archive", "--config", str(config), *extra]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_archive_counts_with_dry_run_then_moves_and_the_order_keeps_its_timeline(
    rig: Rig, tmp_path: Path
) -> None:
    """An order whose events are ten days old (aged by hand) with ``events_days = 7``: ``--dry-run`` says
    how many events would move and moves none; the run moves them; the order's story is the same."""
    tid = await rig.order(line(), message=f"卡号{(await rig.cards())[0]}")
    await rig.cycle()
    async with rig.deps.store.engine.begin() as conn:
        await conn.execute(events.update().values(at=datetime.now(UTC) - timedelta(days=10)))
    trade = (await rig.deps.store.views.find_trades(tid))[0]
    _, story = await rig.deps.store.views.trade_story(trade)
    config = bridge_config(rig.sb, tmp_path, retention={"events_days": 7, "audit_days": 0})
    config["database"] = str(rig.deps.settings.database)
    (tmp_path / "config.toml").write_text(to_toml(config), encoding="utf-8")
    old = len(story) - 1  # the table's newest row stays
    counted = await _archive(rig, tmp_path / "config.toml", "--dry-run")
    assert counted.startswith(f"events: {old} row(s) written before ") and "would move" in counted
    assert await rig.deps.store.retention.archivable("events", rig.deps.clock()) == len(story) - 1
    moved = await _archive(rig, tmp_path / "config.toml")
    assert moved.startswith(f"events: {old} row(s) written before ") and "moved to the archive" in moved
    assert (await rig.deps.store.views.trade_story(trade))[1] == story
    assert await rig.deps.store.retention.archivable("events", rig.deps.clock()) == 0
