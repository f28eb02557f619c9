"""``bridge reconcile``: the counts per kind, --json, --csv (cards masked), each shop read or not,
and the exit code."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bridge.core import reconcile as rc
from bridge.core.models import CST, Recharge
from bridge.lab.sandboxes import bridge_config, to_toml
from tests.rig import Rig, line
from tests.two_shops import PDD_ENV, two_shops


async def _bridge(
    rig: Rig, tmp_path: Path, *args: str, config: dict[str, Any] | None = None
) -> tuple[int, str, str]:
    if config is None:
        config = bridge_config(rig.sb, tmp_path)
        config["database"] = str(rig.deps.settings.database)
    (tmp_path / "config.toml").write_text(to_toml(config), encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bridge.cli.main", *args, "--config", str(tmp_path / "config.toml"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**rig.sb.env(), **PDD_ENV, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.slow  # two reconcile runs in subprocesses: the full suite only
# SQLite only: the command's exit codes are under test; the reconciliation's SQL runs on both engines
# in tests/services/test_reconcile.py and tests/services/test_reconcile_storefronts.py
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_day_that_agrees_exits_0_and_one_that_does_not_exits_1(rig: Rig, tmp_path: Path) -> None:
    today = datetime.now(CST).date().isoformat()
    cards = await rig.cards()
    await rig.order(line(), message=f"卡号{cards[0]}")
    await rig.cycle()
    code, out, err = await _bridge(rig, tmp_path, "reconcile", "--date", today)
    assert code == 0, err
    assert f"reconciliation of {today}: 0 disagreement(s)" in out
    assert all(f"{kind}" in out for kind in rc.KINDS)

    unknown_tid = await rig.order(line(), message=f"卡号{cards[1]}")  # paid, never polled
    rig.sb.billing.sandbox.state.apply(Recharge("counter-1", cards[2], 3000))  # applied at the counter
    report = tmp_path / "out.csv"
    code, out, err = await _bridge(
        rig, tmp_path, "reconcile", "--date", today, "--json", "--csv", str(report)
    )
    assert code == 1, err
    found = json.loads(out)
    assert (found["date"], found["disagreements"], found["listing"]) == (today, 2, "LISTED")
    assert found["by_kind"] == dict.fromkeys(rc.KINDS, 0) | {rc.PAID_UNKNOWN: 1, rc.NOT_SENT: 1}
    assert {(r["kind"], r["tid"], r["request_id"]) for r in found["rows"]} == {
        (rc.PAID_UNKNOWN, unknown_tid, None),
        (rc.NOT_SENT, None, "counter-1"),
    }
    text = report.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == rc.CSV_COLUMNS
    by_kind = {r["kind"]: r for r in rows}
    assert (
        by_kind[rc.PAID_UNKNOWN]["tid"] == str(unknown_tid)
        and by_kind[rc.PAID_UNKNOWN]["paid_fen"] == "10000"
    )
    assert by_kind[rc.NOT_SENT]["applied_fen"] == "3000"
    assert cards[2] not in text and cards[2][-4:] in text


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # refused before any SQL
async def test_a_date_that_is_not_one_is_refused_by_name(rig: Rig, tmp_path: Path) -> None:
    code, _, err = await _bridge(rig, tmp_path, "reconcile", "--date", "2026-02-30")
    assert code == 2 and "'2026-02-30' is not a date written YYYY-MM-DD" in err


@pytest.mark.slow  # a reconcile run in a subprocess: the full suite only
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # SQLite only: as the test above
async def test_a_shop_that_cannot_be_listed_is_reported_and_exits_3(tmp_path: Path, database: str) -> None:
    """The Pinduoduo shop's token lapsed: exit 3 (not 1: the shop must be read again), the JSON's
    ``shops`` names it with the storefront's code, the Taobao shop is listed and its missed order
    found; the human report says the shop was not listed."""
    today = datetime.now(CST).date().isoformat()
    async with two_shops(tmp_path, database) as shops:
        cards = await shops.rig.cards()
        unknown_tid = await shops.rig.order(line(), message=f"卡号{cards[0]}")
        await shops.admin("/sandbox/knobs", {"token_expired": True})
        code, out, err = await _bridge(
            shops.rig, tmp_path, "reconcile", "--date", today, "--json", config=shops.config
        )
        assert code == 3, err
        found = json.loads(out)
        listed, unlisted = found["shops"]
        assert listed == {"name": "main", "storefront": "taobao", "listed": True, "error": None}
        assert (unlisted["name"], unlisted["storefront"], unlisted["listed"]) == ("pdd", "pinduoduo", False)
        assert unlisted["error"]["code"] == "PDD_ACCESS_TOKEN_EXPIRED" and unlisted["error"]["message"]
        assert {(r["kind"], r["shop"], r["tid"]) for r in found["rows"]} == {
            (rc.SHOP_UNLISTED, "pdd", None),
            (rc.PAID_UNKNOWN, "main", unknown_tid),
        }
        code, out, err = await _bridge(shops.rig, tmp_path, "reconcile", "--date", today, config=shops.config)
        assert code == 3, err
        assert "shop main (taobao): listed" in out
        assert "shop pdd (pinduoduo): NOT LISTED (PDD_ACCESS_TOKEN_EXPIRED: " in out
