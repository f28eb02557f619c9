"""`bridge run` on a database it cannot open: one line naming the file or DSN and the reason, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.lab import DEMO_MAPPINGS
from bridge.lab.sandboxes import to_toml
from bridge.lab.store_faults import fill
from tests.store.test_store_healing import tiny_disk

__all__ = ["tiny_disk"]  # the fixture, used here by name

pytestmark = pytest.mark.slow  # a daemon started in a subprocess per test: the full suite only

ENV = {"BRIDGE_BILLING_SECRET": "b", "BRIDGE_SHOP_APP_SECRET": "a", "BRIDGE_SHOP_SESSION": "s"}


def _run(tmp_path: Path, database: str) -> subprocess.CompletedProcess[str]:
    config = {
        "database": database,
        "mappings_dir": str(DEMO_MAPPINGS),
        "listen": "127.0.0.1:0",
        "billing": {"base_url": "http://127.0.0.1:9", "api_key": "k"},
        "shops": {"main": {"app_key": "1", "url": "http://127.0.0.1:9/router"}},
    }
    path = tmp_path / "bridge.toml"
    path.write_text(to_toml(config), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bridge.cli", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={**os.environ, **ENV},
    )


def test_a_sqlite_file_whose_directory_cannot_be_made_is_named_in_one_line(tmp_path: Path) -> None:
    """The database's directory is a plain file: exit 2, one line with the path and the reason."""
    (tmp_path / "not-a-directory").write_text("", encoding="utf-8")
    path = tmp_path / "not-a-directory" / "bridge.sqlite"
    run = _run(tmp_path, f"sqlite+aiosqlite:///{path}")
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert str(path) in line and "cannot open it" in line and "File exists" in line


def test_a_refused_postgresql_port_is_named_in_one_line_with_the_password_hidden(tmp_path: Path) -> None:
    """Nothing listens on the DSN's port: exit 2, one line with the DSN (no password) and the reason."""
    run = _run(tmp_path, "postgresql+asyncpg://bridge:hunter2@127.0.0.1:9/bridge")
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert "postgresql+asyncpg://bridge:***@127.0.0.1:9/bridge" in line and "hunter2" not in line
    assert "STORE_UNREACHABLE" in line


def test_a_sqlite_file_on_a_full_disk_is_named_in_one_line(tmp_path: Path, tiny_disk: Path) -> None:
    """A new database on a disk with no room left: exit 2, one line with the path and STORE_FULL."""
    fill(tiny_disk)
    path = tiny_disk / "bridge.sqlite"
    run = _run(tmp_path, f"sqlite+aiosqlite:///{path}")
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert str(path) in line and "STORE_FULL" in line
