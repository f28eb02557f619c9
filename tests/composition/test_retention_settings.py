"""``[retention]``: events kept 90 days and audit rows 400 in the hot tables by default; 0 keeps them for
ever; a value the dashboard's day could not live with is refused naming the file and the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.core.errors import ConfigError
from bridge.services.retention import cut_offs
from bridge.settings import Settings, load_settings
from tests.composition.test_settings import ENV, GOOD

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, ENV)


def test_events_stay_90_days_and_audit_rows_400_by_default(tmp_path: Path) -> None:
    """Unset, the job archives events after 90 days and audit rows after 400."""
    retention = _load(tmp_path, GOOD).retention
    expected = {"events": NOW - timedelta(days=90), "audit": NOW - timedelta(days=400)}
    assert cut_offs(retention, NOW) == expected


def test_zero_days_keeps_that_kind_for_ever(tmp_path: Path) -> None:
    """``audit_days = 0``: audit rows are never archived; events still are."""
    retention = _load(tmp_path, GOOD + "[retention]\naudit_days = 0\n").retention
    assert list(cut_offs(retention, NOW)) == ["events"]


@pytest.mark.parametrize(("key", "value"), [("events_days", 3), ("audit_days", 1), ("events_days", -1)])
def test_a_retention_shorter_than_a_week_is_refused_by_name(tmp_path: Path, key: str, value: int) -> None:
    """A retention of 1-6 days (or a negative one) stops the start, naming the file and the key."""
    with pytest.raises(ConfigError, match=rf"config\.toml: invalid configuration:\n  retention\.{key}: "):
        _load(tmp_path, GOOD + f"[retention]\n{key} = {value}\n")


def test_a_misspelt_retention_key_is_refused(tmp_path: Path) -> None:
    """``event_days`` (for ``events_days``) is an unknown key, not a silent default."""
    with pytest.raises(ConfigError, match=r"retention\.event_days: unknown key"):
        _load(tmp_path, GOOD + "[retention]\nevent_days = 30\n")
