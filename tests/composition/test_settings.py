"""Settings: a misspelt or invalid key stops the start naming the key; secrets come from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bridge.core.errors import ConfigError
from bridge.settings import PollingSettings, load_settings
from bridge.wiring import owner_id

GOOD = """
instance = "b1"
database = "sqlite+aiosqlite:///x.sqlite"
[billing]
base_url = "http://127.0.0.1:1"
api_key = "k"
[shops.main]
app_key = "app"
url = "http://127.0.0.1:2/router/rest"
"""
ENV = {"BRIDGE_BILLING_SECRET": "bsecret", "BRIDGE_SHOP_APP_SECRET": "asecret", "BRIDGE_SHOP_SESSION": "sess"}


def _load(tmp_path: Path, text: str, env: dict[str, str] = ENV) -> object:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env)


def test_good_config_loads_with_secrets_from_env(tmp_path: Path) -> None:
    settings = _load(tmp_path, GOOD)
    assert settings.billing.secret.get_secret_value() == "bsecret"  # type: ignore[attr-defined]
    assert "bsecret" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (GOOD + "\n[polling]\nintervall_s = 5\n", "polling.intervall_s: unknown key"),
        (GOOD.replace('instance = "b1"', 'instanse = "b1"'), "instanse: unknown key"),
        (GOOD + "\n[fulfilment]\nmax_in_flight = 0\n", "fulfilment.max_in_flight"),
        (GOOD.replace('app_key = "app"', 'app_key = "app"\nsign_method = "sha1"'), "shops.main.sign_method"),
        (GOOD.replace("[shops.main]", "[shops.'main shop']"), "must be 1-16 characters"),
        (GOOD + "\n[billing2]\n", "billing2: unknown key"),
        ("database = [", "not valid TOML"),
        (GOOD + "\n[fulfilment]\nsettle_s = 10.0\n", "settle_s (10.0) must be longer than billing.timeout_s"),
        (GOOD + "\n[fulfilment]\nlease_s = 12.0\n", "lease_s (12.0) must be longer than billing.timeout_s"),
        (GOOD + "\n[console]\nfigures_every_s = -1\n", "console.figures_every_s"),
        (GOOD + "\n[console]\nfigures_every_s = 3600\n", "console.figures_every_s"),
    ],
)
def test_bad_keys_are_named(tmp_path: Path, text: str, needle: str) -> None:
    """Each mistake gives a ConfigError that names the key (or the file) and the reason."""
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert needle in str(err.value)
    assert str(tmp_path / "config.toml") in str(err.value)


def test_missing_secret_names_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if k != "BRIDGE_SHOP_SESSION"}
    with pytest.raises(ConfigError, match="BRIDGE_SHOP_SESSION is not set"):
        _load(tmp_path, GOOD, env)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", ENV)


def test_each_process_gets_its_own_random_lease_owner(tmp_path: Path) -> None:
    """Not the pid (two containers both run as pid 1): the instance name and a random tag."""
    settings = load_settings(_write(tmp_path, GOOD), ENV)
    first, second = owner_id(settings), owner_id(settings)
    assert first != second
    assert first.startswith("b1:") and first != f"b1:{os.getpid()}"
    assert len(first) <= 80  # the lease_owner column


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_poller_lease_lasts_four_poll_intervals_unless_set() -> None:
    """A fast-polling instance hands a dead peer's shops over quickly; an explicit lease is kept."""
    assert PollingSettings().lease_s == 120.0
    assert PollingSettings(interval_s=1.0).lease_s == 4.0
    assert PollingSettings(interval_s=1.0, lease_s=30.0).lease_s == 30.0


def test_polling_is_a_slow_safety_net_with_push_and_the_intake_without(tmp_path: Path) -> None:
    """Push on (the default): polls every 300 s unless set; push off: every 30 s; a set interval is kept."""
    with_push = load_settings(_write(tmp_path, GOOD), ENV)
    polling = with_push.polling
    assert (with_push.push.enabled, polling.interval_s, polling.lease_s) == (True, 300.0, 120.0)
    without = load_settings(_write(tmp_path, GOOD + "\n[push]\nenabled = false\n"), ENV)
    assert (without.polling.interval_s, without.polling.lease_s) == (30.0, 120.0)
    text = GOOD + "\n[push]\nenabled = false\n[polling]\ninterval_s = 7\n"
    chosen = load_settings(_write(tmp_path, text), ENV)
    assert chosen.polling.interval_s == 7.0


def test_shops_sharing_an_app_must_name_their_sellers_for_push(tmp_path: Path) -> None:
    """One app's messages arrive in one queue: each shop on it needs its seller_nick to get its own."""
    second = '\n[shops.other]\napp_key = "app"\nurl = "http://127.0.0.1:2/router/rest"\n'
    with pytest.raises(ConfigError, match="share one app_key: with push on, set seller_nick for main, other"):
        _load(tmp_path, GOOD + second)
    first = GOOD.replace('app_key = "app"', 'app_key = "app"\nseller_nick = "a"')
    named = first + second + 'seller_nick = "b"\n'
    assert set(load_settings(_write(tmp_path, named), ENV).shops) == {"main", "other"}
    assert load_settings(_write(tmp_path, GOOD + second + "\n[push]\nenabled = false\n"), ENV).shops
