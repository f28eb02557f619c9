"""``[reconcile]``: on by default at 04:30 local time; a wrong value is refused naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.core.errors import ConfigError
from bridge.settings import Settings, load_settings
from tests.composition.test_settings import ENV, GOOD


def _load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, ENV)


def test_reconciliation_is_on_by_default_at_half_past_four(tmp_path: Path) -> None:
    settings = _load(tmp_path, GOOD)
    assert (settings.reconcile.enabled, settings.reconcile.daily_at) == (True, "04:30")


@pytest.mark.parametrize("value", ['"4:30"', '"24:00"', '"04:60"', '"half past four"'])
def test_a_time_that_is_not_hh_mm_is_refused_by_name(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"reconcile\.daily_at: .*expected a local time written HH:MM"):
        _load(tmp_path, GOOD + f"[reconcile]\ndaily_at = {value}\n")


def test_a_misspelt_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"reconcile\.dialy_at: unknown key"):
        _load(tmp_path, GOOD + '[reconcile]\ndialy_at = "05:00"\n')
