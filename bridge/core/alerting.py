"""The alerts of ``deploy/prometheus/bridge-rules.yml``, evaluated from the store for the chat notifier.

``active`` tells which alerts hold now, each with how long it must hold
before it is told (the rules' ``for``); ``AlertBook`` remembers what was
already told, so each alert is posted once when it starts and once when it
resolves (a post that failed is tried again at the next evaluation). Pure:
the service (``bridge.services.alerts``) reads the figures and posts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.core.outcomes import SESSION_INVALID_CODE
from bridge.core.records import ShopFigures, StoreFigures

__all__ = ["Alert", "AlertBook", "Notice", "Observation", "Thresholds", "active", "render"]


@dataclass(frozen=True)
class Thresholds:
    watermark_age_s: float = 1800.0
    exception_backlog: int = 20
    exception_age_s: float = 14400.0
    billing_unavailable_s: float = 1800.0
    no_paid_orders_s: float = 7200.0
    business_hours: tuple[int, int] = (9, 21)
    utc_offset_h: int = 8
    writeback_failing_s: float = 900.0
    session_expiry_s: float = 259200.0


@dataclass(frozen=True)
class Observation:
    """What the alerts are decided from: the store's figures, this instance's breaker, the settings."""

    now: datetime
    figures: StoreFigures
    breaker_open: bool
    session_expiry: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Alert:
    name: str  # the rule's alertname
    shop: str  # "" for an alert about the whole bridge
    text: str  # what the message says (Chinese, then English)

    @property
    def key(self) -> tuple[str, str]:
        return self.name, self.shop


@dataclass(frozen=True)
class Notice:
    alert: Alert
    resolved: bool


def _age(since: datetime | None, now: datetime) -> float:
    return 0.0 if since is None else (now - since).total_seconds()


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def active(obs: Observation, th: Thresholds) -> list[tuple[Alert, float]]:
    """The alerts that hold now, each with the seconds it must hold before it is posted."""
    f, now = obs.figures, obs.now
    found: list[tuple[Alert, float]] = []
    waiting = sum(f.exceptions_by_reason.values())
    if waiting > th.exception_backlog:
        found.append(
            (Alert("BridgeExceptionBacklog", "", f"{waiting} 条订单待客服处理 / lines wait for CS"), 600)
        )
    oldest = _age(f.oldest_exception, now)
    if f.oldest_exception is not None and oldest > th.exception_age_s:
        text = f"最早的异常订单已等待 {_duration(oldest)} / oldest exception waiting"
        found.append((Alert("BridgeExceptionTooOld", "", text), 300))
    if obs.breaker_open:
        text = "计费系统不可用，开通暂停 / billing core unavailable, provisioning paused"
        found.append((Alert("BridgeBillingUnavailable", "", text), th.billing_unavailable_s))
    if f.writeback_failing:
        text = f"{f.writeback_failing} 笔已充值订单未能标记发货 / credited trades not shown delivered"
        found.append((Alert("BridgeWriteBackFailing", "", text), th.writeback_failing_s))
    for shop in f.shops:
        found.extend(_shop_alerts(shop, obs, th))
    return found


def _shop_alerts(shop: ShopFigures, obs: Observation, th: Thresholds) -> list[tuple[Alert, float]]:
    now, name = obs.now, shop.shop
    found: list[tuple[Alert, float]] = []
    age = _age(shop.watermark, now)
    if shop.watermark is not None and age > th.watermark_age_s:
        text = f"店铺 {name} 轮询停滞 {_duration(age)} / polling stale"
        found.append((Alert("BridgePollingStale", name, text), 300))
    quiet = _age(shop.last_paid, now)
    local_hour = (now + timedelta(hours=th.utc_offset_h)).hour
    start, end = th.business_hours
    if shop.last_paid is not None and quiet > th.no_paid_orders_s and start <= local_hour < end:
        text = f"店铺 {name} 已 {_duration(quiet)} 没有付款订单 / no paid orders"
        found.append((Alert("BridgeNoPaidOrders", name, text), 600))
    if SESSION_INVALID_CODE in (shop.poll_error or ""):
        text = f"店铺 {name} 的授权(SessionKey)无效或过期，请卖家重新授权 / session invalid"
        found.append((Alert("BridgeMarketplaceSessionInvalid", name, text), 0))
    expires = obs.session_expiry.get(name)
    if expires is not None and _age(now, expires) < th.session_expiry_s:
        text = f"店铺 {name} 的授权将于 {expires.isoformat()} 过期 / session expiring"
        found.append((Alert("BridgeMarketplaceSessionExpiring", name, text), 0))
    return found


@dataclass
class AlertBook:
    """What was told: an alert is posted once when it has held long enough, once when it resolves."""

    pending: dict[tuple[str, str], datetime] = field(default_factory=dict)
    posted: dict[tuple[str, str], Alert] = field(default_factory=dict)

    def due(self, holding: list[tuple[Alert, float]], now: datetime) -> list[Notice]:
        """The posts to make now; call ``sent`` for each one that went out."""
        keys = {alert.key for alert, _ in holding}
        self.pending = {k: since for k, since in self.pending.items() if k in keys}
        notices = [Notice(alert, resolved=True) for k, alert in self.posted.items() if k not in keys]
        for alert, for_s in holding:
            since = self.pending.setdefault(alert.key, now)
            if alert.key not in self.posted and (now - since).total_seconds() >= for_s:
                notices.append(Notice(alert, resolved=False))
        return notices

    def sent(self, notice: Notice) -> None:
        if notice.resolved:
            self.posted.pop(notice.alert.key, None)
        else:
            self.posted[notice.alert.key] = notice.alert


def render(notice: Notice) -> str:
    """The message text: firing or resolved, the alert's name and what it says."""
    head = "✅ 已恢复 / resolved" if notice.resolved else "🔴 告警 / firing"
    return f"{head}: {notice.alert.name}\n{notice.alert.text}"
