"""The deadlines' settings: [deadlines] for all shops, [shops.NAME.deadlines] for one, a bad value named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bridge.core.deadlines import DeadlineRule
from bridge.core.errors import ConfigError
from bridge.settings import Settings, load_settings
from tests.composition.test_settings import ENV, GOOD


def _load(tmp_path: Path, extra: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(GOOD + extra, encoding="utf-8")
    return load_settings(path, ENV)


def test_nothing_set_gives_a_day_from_payment_and_two_hours_margin(tmp_path: Path) -> None:
    """Without either table every shop is a Taobao shop on the defaults."""
    assert _load(tmp_path, "").deadline_rule("main") == DeadlineRule(
        "taobao", timedelta(hours=24), timedelta(hours=2)
    )


def test_a_shops_key_wins_and_its_unset_keys_follow_the_table(tmp_path: Path) -> None:
    """[shops.main.deadlines] margin_s is the shop's; its deadline is still [deadlines]' taobao_s."""
    extra = "[shops.main.deadlines]\nmargin_s = 600\n[deadlines]\ntaobao_s = 3600\nmargin_s = 900\n"
    rule = _load(tmp_path, extra).deadline_rule("main")
    assert rule.deadline == timedelta(hours=1) and rule.margin == timedelta(minutes=10)


def test_a_shops_own_deadline_replaces_the_tables(tmp_path: Path) -> None:
    """A shop's taobao_s is its deadline; the margin stays the table's."""
    rule = _load(tmp_path, "[shops.main.deadlines]\ntaobao_s = 7200.5\n").deadline_rule("main")
    assert rule.deadline == timedelta(seconds=7200.5) and rule.margin == timedelta(hours=2)


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[deadlines]\ntaobao_s = 0\n", "deadlines.taobao_s"),
        ('[deadlines]\npinduoduo_s = "soon"\n', "deadlines.pinduoduo_s"),
        ("[deadlines]\nmargin_s = -1\n", "deadlines.margin_s"),
        ("[deadlines]\ntaobao = 3600\n", "deadlines.taobao"),
        ("[shops.main.deadlines]\nmargin_s = -5\n", "shops.main.deadlines.margin_s"),
        ("[shops.main.deadlines]\njd_s = 3600\n", "shops.main.deadlines.jd_s"),
        ("[shops.main.deadlines]\ninterval_s = 5\n", "shops.main.deadlines.interval_s"),
    ],
)
def test_a_bad_or_unknown_key_stops_the_start_naming_the_file_and_key(
    tmp_path: Path, extra: str, key: str
) -> None:
    """Values out of range, misspelt keys and keys a shop cannot set are refused with file and key."""
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, extra)
    assert key in str(refused.value) and "config.toml" in str(refused.value)


def test_a_margin_as_long_as_the_deadline_is_refused(tmp_path: Path) -> None:
    """A margin that reaches back to the payment would escalate every line at once: refused, shop named."""
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, "[deadlines]\ntaobao_s = 3600\n[shops.main.deadlines]\nmargin_s = 3600\n")
    assert "shop main" in str(refused.value) and "margin_s" in str(refused.value)
