"""``bridge users add`` and ``bridge exceptions …``: the console's actions from a shell."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bridge.cli.console import console_command
from bridge.cli.main import _parser
from bridge.core.states import LineState
from bridge.lab.sandboxes import bridge_config, to_toml
from bridge.services.accounts import authenticate
from bridge.services.login_guard import HashGate
from tests.web.conftest import Desk


@pytest.fixture
def config(desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration file for the desk's database, mappings and sandboxes."""
    sb = desk.rig.sb
    raw = bridge_config(sb, tmp_path)
    raw["mappings_dir"] = str(desk.deps.settings.mappings_dir)
    raw["database"] = desk.deps.settings.database
    path = tmp_path / "bridge.toml"
    path.write_text(to_toml(raw), encoding="utf-8")
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    return path


async def _run(*argv: str) -> int:
    return await console_command(_parser().parse_args(list(argv)))


async def _exception(desk: Desk) -> int:
    tid = await desk.rig.order(message="请尽快充值")
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    return ln.id


async def test_users_add_reads_the_password_from_stdin(
    desk: Desk, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script creates an account; the person can then sign in with that password."""
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert (
        await _run("users", "add", "wang.li", "--role", "admin", "--password-stdin", "--config", str(config))
        == 0
    )
    accounts, now = desk.deps.store.accounts, desk.deps.clock()
    signed = await authenticate(accounts, HashGate(), "wang.li", "a-long-password", "127.0.0.1", now)
    assert signed.user is not None and signed.user.role == "admin"


async def test_users_add_refuses_a_taken_name(
    desk: Desk, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An existing name is never overwritten (exit 1)."""
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert await _run("users", "add", "cs1", "--role", "cs", "--password-stdin", "--config", str(config)) == 1


async def test_exceptions_list_prints_one_json_object_per_line(
    desk: Desk, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scripts read the queue: one JSON object per waiting line."""
    line_id = await _exception(desk)
    capsys.readouterr()
    assert await _run("exceptions", "list", "--json", "--config", str(config)) == 0
    [row] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (row["line_id"], row["reason"]) == (line_id, "CARD_MISSING")


async def test_exceptions_show_says_what_to_do_next(
    desk: Desk, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The line's reason comes with the next step, as on the order page."""
    line_id = await _exception(desk)
    assert await _run("exceptions", "show", str(line_id), "--config", str(config)) == 0
    assert "联系买家索要 16 位智能卡号" in capsys.readouterr().out


async def test_exceptions_resolve_is_audited_under_the_given_name(desk: Desk, config: Path) -> None:
    """RESOLVED, with the note and the --as name in the audit log."""
    line_id = await _exception(desk)
    argv = ["exceptions", "resolve", str(line_id), "--resolution", "HANDLED_AT_HALL", "--note", "营业厅已办"]
    assert await _run(*argv, "--as", "ops-zhang", "--config", str(config)) == 0
    line = await desk.deps.store.console.line_by_id(line_id)
    assert line is not None and line.state is LineState.RESOLVED
    [entry] = await desk.deps.store.console.audit_entries(action="resolve")
    assert (entry.actor, entry.note) == ("ops-zhang", "营业厅已办")


async def test_exceptions_retry_reports_a_line_that_still_cannot_be_planned(
    desk: Desk, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Still no card in the buyer's text: refused (exit 1), the line stays with CS."""
    line_id = await _exception(desk)
    assert await _run("exceptions", "retry", str(line_id), "--lang", "en", "--config", str(config)) == 1
    assert "Still cannot be provisioned" in capsys.readouterr().out


async def test_exceptions_retry_of_several_lines_is_one_audit_batch(
    desk: Desk, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several ids: each line retried once, their entries under one batch header in the audit log."""
    ids = [await _exception(desk), await _exception(desk)]
    argv = ["exceptions", "retry", *map(str, ids), str(ids[0]), "--as", "ops-li", "--config", str(config)]
    assert await _run(*argv) == 1  # still no card: refused, and said so for each line
    out = capsys.readouterr().out
    assert out.count("refused") == 2 and "0 条已开通，2 条又转人工，0 条已不在队列" in out
    [header] = await desk.deps.store.console.audit_entries(actor="ops-li")
    assert (header.action, header.line_id, (header.detail or {})["count"]) == ("bulk_retry", None, 2)
    assert header.batch is not None
    members = (await desk.deps.store.queue.audit_batches([header.batch]))[header.batch]
    assert [(m.line_id, m.action, m.outcome) for m in members] == [(i, "retry", "refused") for i in ids]
