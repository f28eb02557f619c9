"""The `bridge` command end to end: the demo's acceptance run and `order show`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from bridge.cli.main import main
from bridge.core.errors import ConfigError
from bridge.core.masking import mask_card
from bridge.lab.sandboxes import bridge_config, to_toml
from bridge.store import head_revision, migrations, open_store
from bridge.store.engine import create_engine_for
from tests.factories import trade
from tests.rig import Rig, line


@pytest.mark.timeout(300)
def test_demo_settles_every_line_exactly_once(tmp_path: Path, database: str) -> None:
    """`bridge demo --orders 60 --exit-when-done --json` exits 0 with no duplicates, nothing lost,
    every valid line delivered, each kind of bad order in EXCEPTION with its own reason, and the
    day's three-way reconciliation (with the billing core's listing) finding no disagreement."""
    args = ["demo", "--orders", "60", "--exit-when-done", "--json", "--database", database]
    run = subprocess.run(
        [sys.executable, "-m", "bridge.cli", *args],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert (report["duplicates"], report["lost"], report["wrong_reason"]) == (0, 0, 0)
    assert (report["reconcile"]["disagreements"], report["reconcile"]["listing"]) == (0, "LISTED")
    bad = sum(report["exceptions"].values())
    assert report["delivered"] == report["lines"] - bad
    assert set(report["exceptions"]) == {
        "SUBSCRIBER_NOT_FOUND",
        "SUBSCRIBER_INACTIVE",
        "UNMAPPED_SKU",
        "AMOUNT_MISMATCH",
        "TWO_WAY_REQUIRED",
        "CARD_MISSING",
    }


async def test_demo_refuses_a_database_that_holds_order_lines(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bridge demo --database DSN` on a used database exits 2 naming it: its verdict counts every line."""
    store = await open_store(database)
    try:
        await store.intake.save_trade("main", trade(), datetime.now(UTC), "test")
    finally:
        await store.close()
    args = ["demo", "--orders", "1", "--exit-when-done", "--json", "--database", database]
    code = await asyncio.to_thread(main, args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"demo needs an empty database; {make_url(database).render_as_string()} has order lines" in err


async def test_order_show_prints_lines_and_timeline_masked(rig: Rig, tmp_path: Path) -> None:
    """`bridge order show TID` lists the lines with their states and the timeline, card masked as
    ``mask_card`` shows it everywhere."""
    card = (await rig.cards())[30]
    tid = await rig.order(line(), message=f"卡号{card}")
    await rig.cycle()
    config = bridge_config(rig.sb, tmp_path)
    config["database"] = str(rig.deps.settings.database)
    (tmp_path / "config.toml").write_text(to_toml(config), encoding="utf-8")
    env = {**rig.sb.env(), "PATH": "/usr/bin:/bin"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bridge.cli.main",
        "order",
        "show",
        str(tid),
        "--config",
        str(tmp_path / "config.toml"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out_b, err_b = await asyncio.wait_for(proc.communicate(), timeout=60)
    out, err = out_b.decode(), err_b.decode()
    assert proc.returncode == 0, err
    assert f"trade {tid}" in out and "DELIVERED" in out
    assert "received" in out and "submit" in out and "trade_delivered" in out
    assert card not in out and f"card {mask_card(card)} · DELIVERED" in out  # the one card mask


async def test_db_upgrade_brings_an_old_schema_up_and_the_daemon_then_starts(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bridge db upgrade` migrates the configured database; before it, opening the store is refused."""
    await (await open_store(database)).close()
    engine = create_engine_for(database)
    scripts = ScriptDirectory(str(Path(migrations.__file__).parent))
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: MigrationContext.configure(c).stamp(scripts, "0001"))
    await engine.dispose()
    with pytest.raises(ConfigError, match="bridge db upgrade"):
        await open_store(database)
    config = {
        "database": database,
        "billing": {"base_url": "http://127.0.0.1:9", "api_key": "k"},
        "shops": {"main": {"app_key": "a"}},
    }
    (tmp_path / "config.toml").write_text(to_toml(config), encoding="utf-8")
    for name in ("BRIDGE_BILLING_SECRET", "BRIDGE_SHOP_APP_SECRET", "BRIDGE_SHOP_SESSION"):
        monkeypatch.setenv(name, "x")
    code = await asyncio.to_thread(main, ["db", "upgrade", "--config", str(tmp_path / "config.toml")])
    assert code == 0 and head_revision() in capsys.readouterr().out
    await (await open_store(database)).close()
