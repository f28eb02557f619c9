"""``bridge reverse``: a reversal from a shell, approved only by an admin account, audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.cli.main import _dispatch, _parser
from bridge.core.states import LineState
from bridge.lab.sandboxes import bridge_config, to_toml
from tests.web.conftest import Desk

S = LineState


@pytest.fixture
def config(desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration file for the desk's database and sandboxes, reversals above 50 yuan approved."""
    sb = desk.rig.sb
    raw = bridge_config(sb, tmp_path)
    raw["mappings_dir"] = str(desk.deps.settings.mappings_dir)
    raw["database"] = desk.deps.settings.database
    raw["reversal"] = {"approval_threshold_fen": 5000}
    path = tmp_path / "bridge.toml"
    path.write_text(to_toml(raw), encoding="utf-8")
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    return path


async def _run(*argv: str) -> int:
    return await _dispatch(_parser().parse_args(list(argv)))


async def _refunded(desk: Desk) -> int:
    rig = desk.rig
    tid = await rig.order(message=(await rig.cards())[30])
    ln = await rig.refunded_after_delivery(tid, "success")
    return ln.id


async def _state(desk: Desk, line_id: int) -> LineState:
    found = await desk.deps.store.console.line_by_id(line_id)
    assert found is not None
    return found.state


async def test_cs_requests_and_an_admin_account_approves(
    desk: Desk, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line_id = await _refunded(desk)
    cfg = ("--config", str(config))
    assert await _run("reverse", str(line_id), "--as", "cs1", "--note", "买家已退款", *cfg) == 0
    assert await _state(desk, line_id) is S.REVERSAL_REQUESTED
    assert "管理员审批" in capsys.readouterr().out
    assert await _run("reverse", str(line_id), "--approve", *cfg) == 1  # no account named: not an admin
    assert await _run("reverse", str(line_id), "--approve", "--as", "cs1", *cfg) == 1
    assert await _state(desk, line_id) is S.REVERSAL_REQUESTED
    assert await _run("reverse", str(line_id), "--approve", "--as", "admin1", *cfg) == 0
    assert await _state(desk, line_id) is S.REVERSED
    stats = await desk.rig.get(f"{desk.rig.sb.billing_url}/sandbox/stats")
    assert list(stats["reversals"]["by_request_id"].values()) == [1]
    assert await _run("reverse", str(line_id), "--approve", "--as", "admin1", *cfg) == 0  # nothing to do
    actions = sorted((a.actor, a.action, a.outcome) for a in await desk.deps.store.console.audit_entries())
    assert ("admin1", "reversal_approve", "done") in actions and (
        "cs1",
        "reversal_approve",
        "refused",
    ) in actions


async def test_an_admin_rejects_with_a_reason(desk: Desk, config: Path) -> None:
    line_id = await _refunded(desk)
    cfg = ("--config", str(config))
    assert await _run("reverse", str(line_id), "--as", "cs1", *cfg) == 0
    assert await _run("reverse", str(line_id), "--reject", "买家撤销退款", "--as", "admin1", *cfg) == 0
    found = await desk.deps.store.console.line_by_id(line_id)
    assert found is not None and (found.state, found.reason_detail) == (S.REVERSAL_PENDING, "买家撤销退款")
