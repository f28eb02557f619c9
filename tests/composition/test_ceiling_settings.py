"""The ceilings' settings: [ceilings] for all shops, [shops.NAME.ceilings] for one, a bad value named."""

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


def test_unset_ceilings_are_left_to_the_catalogue(tmp_path: Path) -> None:
    """Nothing set: every key unset, so planning derives them from the live catalogue."""
    settings = _load(tmp_path, "")
    assert settings.ceilings.model_dump(exclude_none=True) == {}
    assert settings.shops["main"].ceilings.model_dump(exclude_none=True) == {}


def test_a_shop_and_the_global_table_each_set_their_keys(tmp_path: Path) -> None:
    extra = "[shops.main.ceilings]\nline_quantity = 3\n[ceilings]\nline_amount_fen = 500\n"
    settings = _load(tmp_path, extra)
    assert settings.shops["main"].ceilings.line_quantity == 3
    assert settings.ceilings.line_amount_fen == 500


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[ceilings]\nline_amount_fen = 0\n", "ceilings.line_amount_fen"),
        ('[ceilings]\ntrade_quantity = "many"\n', "ceilings.trade_quantity"),
        ("[shops.main.ceilings]\nline_quantity = -1\n", "shops.main.ceilings.line_quantity"),
        ("[ceilings]\nline_amount_fen = 900\ntrade_amount_fen = 800\n", "trade_amount_fen (800)"),
        ("[ceilings]\nline_amonut_fen = 900\n", "line_amonut_fen"),
    ],
)
def test_a_bad_ceiling_stops_the_start_naming_the_file_and_key(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, extra)
    assert key in str(refused.value) and "config.toml" in str(refused.value)
