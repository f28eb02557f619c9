"""The `bridge` command end to end: the demo's acceptance run and `order show`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from bridge.cli.main import main
from bridge.core.errors import ConfigError
from bridge.core.masking import mask_card
from bridge.lab.sandboxes import bridge_config, to_toml
from bridge.lab.scenario import BAD_KINDS, PDD_BAD_KINDS
from bridge.store import head_revision, migrations, open_store
from bridge.store.engine import create_engine_for
from tests.databases import ENGINES, throwaway_database
from tests.factories import trade
from tests.rig import Rig, line


def _demo_report(tmp_path: Path, database: str, *extra: str, orders: int = 90) -> dict[str, Any]:
    """`bridge demo --orders 90 --exit-when-done --json` in its own process; exit 0 required."""
    args = ["demo", "--orders", str(orders), "--exit-when-done", "--json", "--database", database, *extra]
    run = subprocess.run(
        [sys.executable, "-m", "bridge.cli", *args],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return dict(json.loads(run.stdout))


@pytest.fixture(scope="module", params=ENGINES)  # not the long runs' worker: this file's own unit
def demo_report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    engine = str(request.param)
    """One demo run per engine, on a fresh database, read by the tests below."""
    workdir = tmp_path_factory.mktemp("demo")

    async def run() -> dict[str, Any]:
        async with throwaway_database(engine, workdir) as dsn:
            return await asyncio.to_thread(_demo_report, workdir, dsn)

    return asyncio.run(run())


@pytest.mark.slow  # a demo run in a subprocess: the full suite only, not the quick loop
@pytest.mark.timeout(300)
def test_demo_settles_every_line_exactly_once(demo_report: dict[str, Any]) -> None:
    """`bridge demo --orders 90 --exit-when-done --json` exits 0 with no duplicates, nothing lost,
    every valid line delivered, each kind of bad order in EXCEPTION with its own reason, and the
    day's three-way reconciliation (with the billing core's listing) finding no disagreement."""
    report = demo_report
    assert (report["duplicates"], report["lost"], report["wrong_reason"]) == (0, 0, 0)
    assert (report["reconcile"]["disagreements"], report["reconcile"]["listing"]) == (0, "LISTED")
    bad = sum(report["exceptions"].values())
    assert report["delivered"] == report["lines"] - bad
    assert set(report["exceptions"]) == {*BAD_KINDS.values(), "CODES_NOT_DELIVERABLE"}


@pytest.mark.slow  # a demo run in a subprocess: the full suite only, not the quick loop
@pytest.mark.timeout(300)
def test_demo_reports_a_taobao_a_pinduoduo_and_a_channel_shop(demo_report: dict[str, Any]) -> None:
    """By default the demo's orders are dealt to "main" on Taobao, "pdd" on Pinduoduo and the channel
    "hall" through the order API, a third each, and each shop's block says its orders, lines,
    delivered, exceptions, duplicates and lost, which sum to the top-level figures."""
    shops = demo_report["shops"]
    assert [(s["name"], s["storefront"], s["orders"]) for s in shops] == [
        ("main", "taobao", 30),
        ("pdd", "pinduoduo", 30),
        ("hall", "api", 30),
    ]
    for key in ("orders", "lines", "delivered", "duplicates", "lost"):
        assert demo_report[key] == sum(s[key] for s in shops), key
    listed = {s["name"]: s["listed"] for s in demo_report["reconcile"]["shops"]}
    assert listed == {"main": True, "pdd": True, "hall": True}
    for shop in shops:
        assert (shop["duplicates"], shop["lost"]) == (0, 0), shop
        assert shop["delivered"] == shop["lines"] - sum(shop["exceptions"].values()), shop


@pytest.mark.slow  # a demo run in a subprocess: the full suite only, not the quick loop
@pytest.mark.timeout(300)
def test_demo_puts_every_bad_kind_in_exception_with_its_reason_on_both(demo_report: dict[str, Any]) -> None:
    """Each storefront's shop shows every bad kind's reason; Pinduoduo's also card codes it cannot deliver."""
    by_name = {s["name"]: s for s in demo_report["shops"]}
    assert set(by_name["main"]["exceptions"]) == set(BAD_KINDS.values())
    assert set(by_name["pdd"]["exceptions"]) == set(PDD_BAD_KINDS.values())
    assert set(by_name["hall"]["exceptions"]) == set(BAD_KINDS.values())
    assert all(s["wrong_reason"] == 0 and s["bad_without_memo"] == 0 for s in by_name.values())


@pytest.mark.slow  # a demo run in a subprocess: the full suite only, not the quick loop
@pytest.mark.timeout(300)
def test_demo_acknowledges_every_settled_channel_order_and_answers_duplicates_alike(
    demo_report: dict[str, Any],
) -> None:
    """The channel's callbacks: every settled order's acknowledged by the receiver, none pending in the
    outbox; each duplicate submission answered exactly as the first; every drill refused by its code."""
    callbacks = demo_report["callbacks"]
    assert callbacks["settled"] == callbacks["acknowledged"] > 0, callbacks
    assert callbacks["pending"] == 0
    sent = demo_report["duplicate_submissions"]
    assert sent["sent"] == sent["identical"] > 0
    assert demo_report["channel"]["unexpected"] == []


@pytest.mark.slow  # a demo run in a subprocess: the full suite only, not the quick loop
@pytest.mark.timeout(300)
def test_demo_can_run_the_taobao_shop_alone(tmp_path: Path) -> None:
    """`--storefronts taobao`: one shop, every order on Taobao (as the demo was before Pinduoduo)."""
    report = _demo_report(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'alone.sqlite'}", "--storefronts", "taobao", orders=60
    )
    assert [(s["name"], s["storefront"], s["orders"]) for s in report["shops"]] == [("main", "taobao", 60)]
    assert (report["duplicates"], report["lost"]) == (0, 0)


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
