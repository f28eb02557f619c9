"""deploy/systemd/storefront-bridge.service: restarts on failure, stops gracefully within the
daemon's shutdown grace, keeps its secrets to the service user and runs in a tight sandbox."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.settings import Settings

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "storefront-bridge.service"
CANCEL_WAIT_S = 5.0
"""After the grace, the scheduler waits this long for the jobs it cancelled (bridge.services.jobs)."""


def _sections(text: str) -> dict[str, dict[str, list[str]]]:
    """The unit as {section: {key: [values in order]}} (comments and blank lines left out)."""
    found: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = found.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return found


def _seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "min": 60.0}
    for suffix in ("ms", "min", "s"):
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * units[suffix]
    return float(value)


@pytest.fixture(scope="module")
def service() -> dict[str, list[str]]:
    return _sections(UNIT.read_text(encoding="utf-8"))["Service"]


def test_it_restarts_on_failure_and_stops_with_sigterm(service: dict[str, list[str]]) -> None:
    assert service["Restart"] == ["on-failure"]
    assert service["KillSignal"] == ["SIGTERM"]


def test_systemd_waits_longer_than_the_daemons_graceful_stop(service: dict[str, list[str]]) -> None:
    """SIGKILL only after the grace for calls in flight and the wait for cancelled jobs."""
    grace = Settings.model_fields["shutdown_grace_s"].default
    assert _seconds(service["TimeoutStopSec"][0]) > grace + CANCEL_WAIT_S


def test_it_runs_as_its_own_user_from_its_state_directory(service: dict[str, list[str]]) -> None:
    assert service["User"] == ["bridge"] and service["Group"] == ["bridge"]
    assert service["WorkingDirectory"] == ["/var/lib/storefront-bridge"]
    assert service["EnvironmentFile"] == ["/etc/storefront-bridge/env"]
    assert any("bridge run --config" in cmd for cmd in service["ExecStart"])


def test_the_secrets_file_is_installed_for_the_service_user_only() -> None:
    """The unit's install notes give the env file to the service user, mode 0400."""
    notes = [ln for ln in UNIT.read_text(encoding="utf-8").splitlines() if "/etc/storefront-bridge/env" in ln]
    assert any("-o bridge -g bridge -m 0400" in ln for ln in notes)


def test_the_sandbox_writes_only_the_sqlite_directory(service: dict[str, list[str]]) -> None:
    assert service["NoNewPrivileges"] == ["yes"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["ReadWritePaths"] == ["/var/lib/storefront-bridge"]
    assert service["CapabilityBoundingSet"] == [""]
    assert service["ProtectHome"] == ["yes"] and service["PrivateTmp"] == ["yes"]


def test_systemd_analyze_verify_accepts_it(tmp_path: Path) -> None:
    """The unit as systemd reads it, with the commands pointing at this tree's ``bridge``."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    here = Path(sys.executable).parent / "bridge"
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text(encoding="utf-8").replace("/opt/storefront-bridge/bin/bridge", str(here)))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert UNIT.name not in done.stderr, done.stderr
