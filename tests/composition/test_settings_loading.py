"""Loading settings: the input left as it was, secrets read last, derived defaults following their field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bridge.core.errors import ConfigError
from bridge.settings import (
    POLL_INTERVAL_WITHOUT_PUSH_S,
    BillingSettings,
    PollingSettings,
    PushSettings,
    Settings,
    settings_from_dict,
)
from bridge.settings_shops import TaobaoShopSettings

ENV = {
    "BRIDGE_BILLING_SECRET": "bsecret",
    "BRIDGE_SHOP_APP_SECRET": "asecret",
    "BRIDGE_SHOP_SESSION": "sess",
    "ROBOT": "https://robot.example/send?access_token=abc",
}
INTERVAL = PollingSettings.model_fields["interval_s"].default
LONGEST_LEASE = PollingSettings.model_fields["lease_s"].default


def _raw(**sections: Any) -> dict[str, Any]:
    return {
        "mappings_dir": "mappings",
        "billing": {"base_url": "http://127.0.0.1:1", "api_key": "k"},
        "shops": {"main": {"app_key": "app", "session_env": "BRIDGE_SHOP_SESSION"}},
        **sections,
    }


def test_loading_leaves_the_dict_it_is_given_as_it_was() -> None:
    """Secrets, derived defaults and the mapping folder go into the settings, never into the input."""
    raw = _raw(
        push={"enabled": False}, polling={"window_s": 900}, alerts={"enabled": True, "webhook_env": "ROBOT"}
    )
    before = copy.deepcopy(raw)
    settings = settings_from_dict(raw, ENV, source="/etc/bridge/bridge.toml")
    assert raw == before
    assert settings.alerts.webhook_url.get_secret_value().endswith("abc")
    assert settings.polling.interval_s == POLL_INTERVAL_WITHOUT_PUSH_S
    assert settings.mappings_dir == Path("/etc/bridge/mappings")


def test_every_secret_is_read_from_the_variable_its_env_key_names_and_stays_secret() -> None:
    env = {**ENV, "OTHER_SESSION": "other"}
    shops = {"main": {"app_key": "a"}, "second": {"app_key": "b", "session_env": "OTHER_SESSION"}}
    settings = settings_from_dict(_raw(shops=shops, push={"enabled": False}), env, source="x")
    secrets = [settings.billing.secret] + [
        s for shop in settings.shops.values() for s in (shop.app_secret, shop.session_key)
    ]
    assert all(isinstance(s, SecretStr) for s in secrets)
    assert [s.get_secret_value() for s in secrets] == ["bsecret", "asecret", "sess", "asecret", "other"]
    assert not settings.alerts.enabled and settings.alerts.webhook_url.get_secret_value() == ""


def test_the_variables_default_names_are_the_fields_defaults() -> None:
    """A section that names no variable reads the one its ``*_env`` field defaults to."""
    for model, field in [
        (BillingSettings, "secret_env"),
        (TaobaoShopSettings, "app_secret_env"),
        (TaobaoShopSettings, "session_env"),
    ]:
        name = model.model_fields[field].default
        env = {k: v for k, v in ENV.items() if k != name}
        with pytest.raises(ConfigError, match=f"x: .*environment variable {name} is not set"):
            settings_from_dict(_raw(shops={"main": {"app_key": "a"}}), env, source="x")


def test_an_invalid_file_is_reported_before_any_missing_secret() -> None:
    """Secrets are read from the valid settings: a misspelt key is named even with no secret set."""
    with pytest.raises(ConfigError, match=r"billing\.timeout: unknown key"):
        settings_from_dict(_raw(billing={"base_url": "u", "api_key": "k", "timeout": 3}), {}, source="x")
    with pytest.raises(ConfigError, match=r"x: billing: the \*_env keys must name an environment variable"):
        settings_from_dict(_raw(billing={"base_url": "u", "api_key": "k", "secret_env": ""}), ENV, source="x")


@pytest.mark.parametrize(
    ("push", "polling", "interval", "lease"),
    [
        (True, {}, INTERVAL, min(4 * INTERVAL, LONGEST_LEASE)),  # 300 s, a two-minute lease
        (False, {}, POLL_INTERVAL_WITHOUT_PUSH_S, min(4 * POLL_INTERVAL_WITHOUT_PUSH_S, LONGEST_LEASE)),
        (True, {"interval_s": 10.0}, 10.0, 40.0),
        (False, {"interval_s": 7.0}, 7.0, 28.0),
        (False, {"lease_s": 50.0}, POLL_INTERVAL_WITHOUT_PUSH_S, 50.0),
        (False, {"interval_s": 1000.0, "lease_s": 5.0}, 1000.0, 5.0),
    ],
)
def test_the_poll_interval_follows_push_and_the_lease_the_interval_unless_set(
    push: bool, polling: dict[str, float], interval: float, lease: float
) -> None:
    settings = settings_from_dict(_raw(push={"enabled": push}, polling=polling), ENV, source="x")
    assert (settings.polling.interval_s, settings.polling.lease_s) == (interval, lease)
    assert settings.polling.model_fields_set == set(polling)  # a derived default stays unset


def test_the_default_interval_and_lease_are_their_fields_defaults() -> None:
    """With push on, nothing overrides the fields: a changed default in the field takes effect."""
    assert INTERVAL == 300.0 and LONGEST_LEASE == 120.0
    assert (PollingSettings().interval_s, PollingSettings().lease_s) == (INTERVAL, LONGEST_LEASE)
    assert PollingSettings(interval_s=1.0).lease_s == 4.0


def test_a_polling_section_given_as_a_model_is_not_changed() -> None:
    """The interval without push goes into a copy: the caller's own PollingSettings keeps its values."""
    mine = PollingSettings(window_s=900)
    settings = Settings(
        billing=BillingSettings(base_url="u", api_key="k"),
        shops={"main": TaobaoShopSettings(app_key="a")},
        push=PushSettings(enabled=False),
        polling=mine,
    )
    assert settings.polling.interval_s == POLL_INTERVAL_WITHOUT_PUSH_S and settings.polling.window_s == 900
    assert (mine.interval_s, mine.model_fields_set) == (INTERVAL, {"window_s"})


def test_a_shop_without_push_is_polled_every_30_s_even_with_push_on() -> None:
    """A Pinduoduo shop has no push: with push on for the Taobao shop, polling left unset would be
    the 300 s safety net and its orders would wait minutes; it is the intake's 30 s instead. Set, it
    stays as set."""
    pdd = {"storefront": "pinduoduo", "client_id": "c", "logistics_id": 1}
    shops = {"main": {"app_key": "app", "session_env": "BRIDGE_SHOP_SESSION"}, "pdd": pdd}
    env = {**ENV, "BRIDGE_PDD_CLIENT_SECRET": "s", "BRIDGE_PDD_ACCESS_TOKEN": "t"}
    settings = settings_from_dict(_raw(shops=shops), env, source="x")
    assert (settings.push.enabled, settings.polling.interval_s) == (True, POLL_INTERVAL_WITHOUT_PUSH_S)
    chosen = settings_from_dict(_raw(shops=shops, polling={"interval_s": 120.0}), env, source="x")
    assert chosen.polling.interval_s == 120.0
