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


def test_a_client_cannot_take_a_shop_s_name_with_the_api_on() -> None:
    """Refused with the API on too, naming the file, the client's key and the shop's table."""
    with pytest.raises(
        ConfigError,
        match=r"(?s)bridge\.toml: .*api\.clients\.main: a shop is named 'main' already \(\[shops\.main\]\)",
    ):
        _load({"enabled": True, "clients": {"main": HALL}})


def test_with_the_api_on_each_client_is_a_shop_of_storefront_api() -> None:
    """The client ``hall`` is a shop beside ``main``: storefront api, its card number read from the
    line's card_no alone, its deadline [deadlines] api_s."""
    settings = _load({"enabled": True, "clients": {"hall": HALL}}, deadlines={"api_s": 3600, "margin_s": 600})
    hall = settings.shops["hall"]
    assert (sorted(settings.shops), hall.storefront) == (["hall", "main"], "api")
    assert hall.card_rule.sources == ("customization",)
    assert settings.deadline_rule("hall").deadline.total_seconds() == 3600


def test_a_client_s_own_card_rule_ceilings_and_deadlines_are_its_shop_s() -> None:
    """``[api.clients.NAME.card_rule]``, ``.ceilings`` and ``.deadlines`` are its shop's."""
    own = {
        **HALL,
        "card_rule": {"sources": ["customization"], "lengths": [12], "prefixes": ["8371"]},
        "ceilings": {"line_quantity": 3},
        "deadlines": {"api_s": 600, "margin_s": 60},
    }
    settings = _load({"enabled": True, "clients": {"hall": own}})
    hall = settings.shops["hall"]
    assert (hall.card_rule.lengths, hall.card_rule.prefixes, hall.ceilings.line_quantity) == (
        (12,),
        ("8371",),
        3,
    )
    assert settings.deadline_rule("hall").deadline.total_seconds() == 600


def test_with_the_api_off_clients_are_no_shops() -> None:
    """Off, the clients' tables are kept but nothing polls or plans for them."""
    assert sorted(_load({"clients": {"hall": HALL}}).shops) == ["main"]


def test_a_client_s_shop_does_not_quicken_the_polling() -> None:
    """Its orders are taken as posted: with push on, the marketplace shop's polling stays the safety net."""
    settings = _load({"enabled": True, "clients": {"hall": HALL}})
    assert settings.polling.interval_s == 300.0


def test_a_shop_table_cannot_name_the_api_storefront() -> None:
    """``storefront = "api"`` under [shops.NAME] is refused: clients are written under [api.clients]."""
    with pytest.raises(ConfigError, match=r"shops\.x: storefront must be one of 'taobao', 'pinduoduo'"):
        _load({}, shops={"main": {"app_key": "a"}, "x": {"storefront": "api"}})
