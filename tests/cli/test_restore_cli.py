"""``bridge backup`` and ``bridge recover`` from a shell, and ``bridge run`` on a restored backup."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from bridge.lab.sandboxes import bridge_config, to_toml
from bridge.store import restore_database
from tests.rig import Rig


async def _bridge(rig: Rig, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    config = bridge_config(rig.sb, tmp_path)
    config["database"] = str(rig.deps.settings.database)
    config["listen"] = "127.0.0.1:0"
    (tmp_path / "config.toml").write_text(to_toml(config), encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bridge.cli.main", *args, "--config", str(tmp_path / "config.toml"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**rig.sb.env(), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _restored(rig: Rig, tmp_path: Path) -> None:
    """A backup made by ``bridge backup``, put back in place of the store."""
    code, _out, err = await _bridge(rig, tmp_path, "backup", str(tmp_path / "backup"))
    assert code == 0, err
    await rig.deps.store.close()
    await restore_database(str(rig.deps.settings.database), tmp_path / "backup")


@pytest.mark.slow  # a backup and a daemon start in subprocesses: the full suite only
async def test_the_daemon_refuses_a_restored_backup_in_one_line_with_exit_2(rig: Rig, tmp_path: Path) -> None:
    await _restored(rig, tmp_path)
    code, _out, err = await _bridge(rig, tmp_path, "run")
    assert code == 2
    assert "bridge recover" in err and len(err.strip().splitlines()) == 1


async def test_recover_prints_its_figures_and_removes_the_mark(rig: Rig, tmp_path: Path) -> None:
    await _restored(rig, tmp_path)
    code, out, err = await _bridge(rig, tmp_path, "recover", "--json")
    assert code == 0, err
    assert json.loads(out)["lines_to_look_up"] == 0
    assert await rig.deps.store.recovery.backup_mark() is None


async def test_recover_without_a_mark_asks_for_the_backup_time(rig: Rig, tmp_path: Path) -> None:
    code, _out, err = await _bridge(rig, tmp_path, "recover")
    assert code == 2 and "--since" in err


async def test_a_backup_never_overwrites_a_file(rig: Rig, tmp_path: Path) -> None:
    (tmp_path / "backup").write_text("kept", encoding="utf-8")
    code, _out, err = await _bridge(rig, tmp_path, "backup", str(tmp_path / "backup"))
    assert code == 1 and "already exists" in err
    assert (tmp_path / "backup").read_text(encoding="utf-8") == "kept"
