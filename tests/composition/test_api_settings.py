"""``[api]``: off by default, its own address, clients named like shops, secrets from the environment."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.core.errors import ConfigError
from bridge.settings import Settings, settings_from_dict

ENV = {
    "BRIDGE_BILLING_SECRET": "bsecret",
    "BRIDGE_SHOP_APP_SECRET": "asecret",
    "BRIDGE_SHOP_SESSION": "sess",
    "BRIDGE_API_HALL_SECRET": "hall-signing-secret",
}
HALL = {"key_id": "hall-1", "secret_env": "BRIDGE_API_HALL_SECRET"}


def _load(api: dict[str, Any], **top: Any) -> Settings:
    raw = {
        "mappings_dir": "mappings",
        "billing": {"base_url": "http://127.0.0.1:1", "api_key": "k"},
        "shops": {"main": {"app_key": "a"}},
        "api": api,
        **top,
    }
    return settings_from_dict(raw, ENV, source="bridge.toml")


def test_the_api_is_off_by_default_on_its_own_port() -> None:
    """Unset, the API is off and would listen apart from the console."""
    settings = _load({})
    assert (settings.api.enabled, settings.api.listen, settings.listen) == (
        False,
        "127.0.0.1:8790",
        "127.0.0.1:8780",
    )


def test_a_client_s_secret_comes_from_the_environment_and_never_shows() -> None:
    """The secret is read from the variable ``secret_env`` names; the settings' text never holds it."""
    settings = _load({"enabled": True, "clients": {"hall": HALL}})
    assert settings.api.clients["hall"].secret.get_secret_value() == "hall-signing-secret"
    assert "hall-signing-secret" not in repr(settings)


def test_a_missing_secret_variable_is_refused_naming_the_client() -> None:
    """An enabled API whose client's variable is unset does not start."""
    with pytest.raises(ConfigError, match=r"bridge\.toml: api\.clients\.hall: environment variable NOPE"):
        _load({"enabled": True, "clients": {"hall": {**HALL, "secret_env": "NOPE"}}})


@pytest.mark.parametrize("listen", ["127.0.0.1:8780", "0.0.0.0:8780"])
def test_the_api_is_refused_on_the_console_s_address(listen: str) -> None:
    """The API never listens where the console does (a wildcard host takes the console's port too)."""
    with pytest.raises(ConfigError, match=r"api\.listen .* must not be the console's listen"):
        _load({"enabled": True, "listen": listen})


def test_an_unknown_api_key_is_refused_naming_it() -> None:
    """A misspelt key under [api.clients.NAME] stops the start, file and key named."""
    with pytest.raises(ConfigError, match=r"bridge\.toml: .*\n  api\.clients\.hall\.rate: unknown key"):
        _load({"clients": {"hall": {**HALL, "rate": 3}}})


def test_a_client_name_follows_the_shop_name_rule() -> None:
    """A client's name becomes its orders' shop: 1-16 plain characters."""
    with pytest.raises(ConfigError, match="client name 'the-online-business-hall' must be 1-16"):
        _load({"clients": {"the-online-business-hall": HALL}})


def test_two_clients_cannot_share_a_key_id() -> None:
    """A key id names one client."""
    with pytest.raises(ConfigError, match="clients hall and app share key_id 'hall-1'"):
        _load({"clients": {"hall": HALL, "app": {**HALL, "secret_env": "OTHER"}}})


def test_a_client_cannot_take_a_shop_s_name() -> None:
    """The client's orders will carry its name as their shop: it must not be a marketplace shop's."""
    with pytest.raises(ConfigError, match=r"api\.clients\.main: a shop is named 'main' already"):
        _load({"clients": {"main": HALL}})


def test_the_clients_shops_are_named_only_while_the_api_is_on() -> None:
    """The store learns the clients' shops (their orders get callbacks) from an enabled API only."""
    on = _load({"enabled": True, "clients": {"hall": HALL}})
    off = _load({"clients": {"hall": HALL}})
    assert (on.api.client_shops(), off.api.client_shops()) == (frozenset({"hall"}), frozenset())
