"""The notifier's thresholds are the rules file's, and [alerts] needs its webhook only when enabled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge.core.alerting import Thresholds
from bridge.core.errors import ConfigError
from bridge.services.alerts import thresholds
from bridge.settings import AlertSettings, StoreSettings, settings_from_dict
from bridge.settings_deadlines import DeadlineSettings

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "bridge-rules.yml"


def _rules() -> dict[str, str]:
    """Each alert's block of the rules file, by name."""
    blocks = re.split(r"\n\s*- alert: ", RULES.read_text(encoding="utf-8"))[1:]
    return {block.split("\n", 1)[0].strip(): block for block in blocks}


def test_the_rules_and_the_notifier_share_their_thresholds() -> None:
    a = AlertSettings()
    rules = _rules()
    expected = {
        "BridgePollingStale": f"> {a.watermark_age_s:.0f}\n",
        "BridgeExceptionBacklog": f"> {a.exception_backlog}\n",
        "BridgeExceptionTooOld": f"> {a.exception_age_s:.0f}\n",
        "BridgeBillingUnavailable": f"for: {a.billing_unavailable_s / 60:.0f}m\n",
        "BridgeWriteBackFailing": f"for: {a.writeback_failing_s / 60:.0f}m\n",
        "BridgeMarketplaceSessionExpiring": f"< {a.session_expiry_s / 86400:.0f} * 86400\n",
    }
    for name, text in expected.items():
        assert text in rules[name], name
    start, end = (h - a.utc_offset_h for h in a.business_hours)
    assert f"> {a.no_paid_orders_s:.0f} and on () (hour() >= {start} < {end})" in rules["BridgeNoPaidOrders"]
    assert len(rules) == 14


def test_the_deadline_near_rule_fires_within_the_default_margin() -> None:
    """The rule's threshold is [deadlines] margin_s's default: Prometheus and the robot warn alike."""
    margin = DeadlineSettings().margin_s
    assert (
        f"(bridge_deadline_seconds_remaining) < {margin:.0f} > 0\n" in _rules()["BridgeDeliveryDeadlineNear"]
    )


def test_the_disk_rule_fires_under_the_health_check_s_default() -> None:
    """BridgeStoreDiskLow's threshold is [store] min_free_mb's default: the alert and /healthz agree."""
    mb = StoreSettings().min_free_mb
    assert f"(bridge_store_disk_free_bytes) < {mb:.0f} * 1024 * 1024\n" in _rules()["BridgeStoreDiskLow"]


def test_the_core_defaults_are_the_settings_defaults() -> None:
    assert thresholds(AlertSettings()) == Thresholds()


def _raw(alerts: dict[str, object]) -> dict[str, object]:
    return {
        "billing": {"base_url": "http://127.0.0.1:1", "api_key": "k"},
        "shops": {"main": {"app_key": "1"}},
        "alerts": alerts,
    }


ENV = {"BRIDGE_BILLING_SECRET": "b", "BRIDGE_SHOP_APP_SECRET": "a", "BRIDGE_SHOP_SESSION": "s"}


def test_an_enabled_notifier_needs_its_webhook_from_the_environment() -> None:
    with pytest.raises(ConfigError, match="BRIDGE_ALERT_WEBHOOK"):
        settings_from_dict(_raw({"enabled": True}), ENV, source="bridge.toml")
    env = {**ENV, "ROBOT": "https://oapi.dingtalk.com/robot/send?access_token=abc"}
    settings = settings_from_dict(
        _raw({"enabled": True, "webhook_env": "ROBOT", "kind": "wecom"}), env, source="x"
    )
    assert settings.alerts.webhook_url.get_secret_value().endswith("abc")
    assert not settings_from_dict(_raw({}), ENV, source="bridge.toml").alerts.enabled


def test_business_hours_must_be_an_ordered_pair_of_hours() -> None:
    with pytest.raises(ConfigError, match=r"alerts\.business_hours"):
        settings_from_dict(_raw({"business_hours": [21, 9]}), ENV, source="bridge.toml")
