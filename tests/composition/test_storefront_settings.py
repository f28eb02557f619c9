"""Each shop names its storefront and has that storefront's keys, validated as every other table."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.core.errors import ConfigError
from bridge.settings import Settings, settings_from_dict, shop_storefront
from bridge.settings_shops import PinduoduoShopSettings, TaobaoShopSettings

ENV = {
    "BRIDGE_BILLING_SECRET": "bsecret",
    "BRIDGE_SHOP_APP_SECRET": "asecret",
    "BRIDGE_SHOP_SESSION": "sess",
    "BRIDGE_PDD_CLIENT_SECRET": "csecret",
    "BRIDGE_PDD_ACCESS_TOKEN": "token",
}
PDD = {"storefront": "pinduoduo", "client_id": "cid", "logistics_id": 7}


def _load(**shops: dict[str, Any]) -> Settings:
    raw = {
        "mappings_dir": "mappings",
        "billing": {"base_url": "http://127.0.0.1:1", "api_key": "k"},
        "shops": shops,
    }
    return settings_from_dict(raw, ENV, source="bridge.toml")


def test_a_shop_that_names_no_storefront_is_a_taobao_shop() -> None:
    """Configurations written before there was a choice keep working, unchanged."""
    shop = _load(main={"app_key": "a"}).shops["main"]
    assert isinstance(shop, TaobaoShopSettings)
    assert shop_storefront(shop) == "taobao"
    assert shop.app_secret.get_secret_value() == "asecret"


def test_a_pinduoduo_shop_has_its_own_keys_and_secrets() -> None:
    """Beside a Taobao shop: its client id, carrier and the secrets its own variables hold."""
    settings = _load(main={"app_key": "a"}, pdd=PDD)
    shop = settings.shops["pdd"]
    assert isinstance(shop, PinduoduoShopSettings)
    assert (shop_storefront(shop), shop.client_id, shop.logistics_id) == ("pinduoduo", "cid", 7)
    assert (shop.client_secret.get_secret_value(), shop.access_token.get_secret_value()) == (
        "csecret",
        "token",
    )
    assert shop.push_queue is None  # polling alone
    assert settings.shops["main"].push_queue is not None


def test_a_key_of_another_storefront_is_refused_naming_file_and_key() -> None:
    """A Taobao key in a Pinduoduo shop's table is an unknown key there, named as the file writes it."""
    with pytest.raises(ConfigError) as caught:
        _load(pdd={**PDD, "app_key": "a"})
    assert "bridge.toml" in str(caught.value)
    assert "shops.pdd.app_key: unknown key" in str(caught.value)


def test_an_unknown_storefront_is_refused_with_the_ones_there_are() -> None:
    with pytest.raises(ConfigError, match=r"shops\.jd: storefront must be one of 'taobao', 'pinduoduo'"):
        _load(jd={"storefront": "jd", "app_key": "a"})


def test_a_pinduoduo_shop_without_its_required_keys_is_refused_key_by_key() -> None:
    with pytest.raises(ConfigError) as caught:
        _load(pdd={"storefront": "pinduoduo"})
    assert "shops.pdd.client_id: Field required" in str(caught.value)
    assert "shops.pdd.logistics_id: Field required" in str(caught.value)


def test_a_pinduoduo_secret_missing_from_the_environment_names_its_variable() -> None:
    missing = r"shops\.pdd: environment variable BRIDGE_PDD_ACCESS_TOKEN is not set"
    with pytest.raises(ConfigError, match=missing):
        settings_from_dict(
            {
                "mappings_dir": "m",
                "billing": {"base_url": "http://127.0.0.1:1", "api_key": "k"},
                "shops": {"pdd": PDD},
            },
            {k: v for k, v in ENV.items() if k != "BRIDGE_PDD_ACCESS_TOKEN"},
            source="bridge.toml",
        )
