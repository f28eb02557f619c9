"""The [reversal] settings: the approval threshold in fen, validated, a bad value naming its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.core.errors import ConfigError
from bridge.settings import Settings, load_settings
from tests.composition.test_settings import ENV, GOOD


def _load(tmp_path: Path, extra: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(GOOD + extra, encoding="utf-8")
    return load_settings(path, ENV)


def test_the_default_threshold_is_100_yuan(tmp_path: Path) -> None:
    assert _load(tmp_path, "").reversal.approval_threshold_fen == 10_000


def test_a_threshold_is_set_in_fen(tmp_path: Path) -> None:
    settings = _load(tmp_path, "[reversal]\napproval_threshold_fen = 0\ninterval_s = 2.5\n")
    assert (settings.reversal.approval_threshold_fen, settings.reversal.interval_s) == (0, 2.5)


@pytest.mark.parametrize(
    "value",
    ["-1", '"100元"', "1.5", "200000000"],
)
def test_a_bad_threshold_stops_the_start_naming_the_key(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, f"[reversal]\napproval_threshold_fen = {value}\n")
    assert "reversal.approval_threshold_fen" in str(refused.value)


def test_a_misspelt_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, "[reversal]\napproval_treshold_fen = 5000\n")
    assert "approval_treshold_fen" in str(refused.value)
