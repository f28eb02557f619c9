"""config.example.toml documents every setting, with its default, and loads as it is."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bridge.settings import Settings, load_settings
from bridge.settings_api import ApiClientSettings
from bridge.settings_shops import PinduoduoShopSettings, TaobaoShopSettings

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
_SECRETS = {
    "secret",
    "app_secret",
    "session_key",
    "webhook_url",
    "client_secret",
    "access_token",
}  # resolved from the environment, never written in the file
ENV = {
    "BRIDGE_BILLING_SECRET": "b",
    "BRIDGE_SHOP_APP_SECRET": "a",
    "BRIDGE_SHOP_SESSION": "s",
    "BRIDGE_PDD_CLIENT_SECRET": "c",
    "BRIDGE_PDD_ACCESS_TOKEN": "t",
}


def _keys(model: type[BaseModel], prefix: str) -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        if name in _SECRETS:
            continue
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            keys |= _keys(kind, f"{prefix}{name}.")
        elif name not in ("shops", "clients"):  # tables of their own, by name
            keys.add(prefix + name)
    return keys


def _flatten(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for name, value in data.items():
        keys |= _flatten(value, f"{prefix}{name}.") if isinstance(value, dict) else {prefix + name}
    return keys


def test_every_setting_is_documented() -> None:
    """Each key of the settings model appears in the example (a Taobao shop's in the [shops.main] table,
    a Pinduoduo shop's in [shops.pdd])."""
    documented = _flatten(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    expected = _keys(Settings, "") | _keys(TaobaoShopSettings, "shops.main.")
    pdd = _keys(PinduoduoShopSettings, "shops.pdd.")  # its ceilings and deadlines: as [shops.main]'s
    expected |= {k for k in pdd if not k.startswith(("shops.pdd.ceilings.", "shops.pdd.deadlines."))}
    assert expected - documented == set()


def test_the_api_client_table_is_documented_commented_out() -> None:
    """The example's API client, commented out (the API is off), names every key of a client's table."""
    text = EXAMPLE.read_text(encoding="utf-8")
    block = re.findall(r"^# (\[api\.clients\.[\w.]+\].*|[a-z_]+ = .*)$", text, flags=re.MULTILINE)
    documented = _flatten(tomllib.loads("\n".join(block)))
    expected = _keys(ApiClientSettings, "api.clients.hall.")
    expected -= {f"api.clients.hall.deadlines.{other}_s" for other in ("taobao", "pinduoduo")}  # not its own
    assert expected - documented == set()


def test_every_documented_line_has_a_comment() -> None:
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\s*[a-z_]+\s*=", line):
            assert "#" in line, line


def test_defaults_in_the_example_are_the_real_defaults() -> None:
    """Where the example shows a default, it is the model's default (required keys excepted)."""
    settings = load_settings(EXAMPLE, ENV)
    defaults = Settings.model_fields
    assert settings.push.model_dump() == type(settings.push)().model_dump()
    assert settings.polling.model_dump() == type(settings.polling)().model_dump()
    assert settings.fulfilment.model_dump() == type(settings.fulfilment)().model_dump()
    assert settings.writeback.model_dump() == type(settings.writeback)().model_dump()
    assert settings.store.model_dump() == type(settings.store)().model_dump()
    assert settings.alerts.model_dump() == type(settings.alerts)().model_dump()
    assert settings.api.model_dump() == type(settings.api)().model_dump()
    assert settings.instance == defaults["instance"].default
    assert settings.log_format == defaults["log_format"].default
