"""Settings: one frozen pydantic model loaded from TOML, secrets from the environment.

A misspelt or invalid key stops the start with a ``ConfigError`` naming the
file, the key and the reason (``extra="forbid"`` everywhere). Secrets never live
in the file: the file names the environment variable that holds each one, read
once the file is valid. Each default is written once, in its field; one that
follows another setting is filled in after validation where the user left the
field unset (``model_fields_set``). Loading never changes what it is given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bridge.core.deadlines import DeadlineRule
from bridge.core.errors import ConfigError
from bridge.core.inflight import CALL_MARGIN_S
from bridge.core.request_ids import is_shop_name
from bridge.settings_api import ApiSettings, same_address
from bridge.settings_deadlines import DeadlineSettings, resolve_rule
from bridge.settings_loading import describe, read_secrets, read_toml
from bridge.settings_shops import CeilingSettings, ShopSettings

_FROZEN = ConfigDict(extra="forbid", frozen=True)
RETENTION_MIN_DAYS = 7


def _fill_unset(model: BaseModel, **derived: Any) -> None:
    """Derived defaults for the fields of a model under validation that its user left unset (they stay
    unset in ``model_fields_set``): frozen keeps the model's users from changing it, not its validators."""
    model.__dict__.update({k: v for k, v in derived.items() if k not in model.model_fields_set})


class BillingSettings(BaseModel):
    model_config = _FROZEN
    base_url: str
    api_key: str
    secret_env: str = "BRIDGE_BILLING_SECRET"
    timeout_s: float = Field(10.0, gt=0)
    secret: SecretStr = SecretStr("")  # from the variable secret_env names (see load_settings)


POLL_INTERVAL_WITH_PUSH_S = 300.0
POLL_INTERVAL_WITHOUT_PUSH_S = 30.0


class PollingSettings(BaseModel):
    model_config = _FROZEN
    interval_s: float = Field(POLL_INTERVAL_WITH_PUSH_S, gt=0)  # unset and push off: 30 s (see Settings)
    window_s: int = Field(1800, ge=60, le=86400)
    overlap_s: int = Field(600, ge=0)
    initial_lookback_s: int = Field(86400, ge=60)
    lease_s: float = Field(120.0, gt=0)  # one poller per shop; unset: four intervals, at most this

    @model_validator(mode="after")
    def _with_derived_defaults(self) -> PollingSettings:
        self._lease_follows_the_interval()
        return self

    def _lease_follows_the_interval(self) -> None:
        """Unless set, the poller lease lasts four poll intervals, at most its default: it is renewed
        while a poll runs, so it need not outlast one, and a dead poller's shop is taken over soon."""
        longest = PollingSettings.model_fields["lease_s"].default
        _fill_unset(self, lease_s=min(4 * self.interval_s, longest))

    def polling_every(self, interval_s: float) -> PollingSettings:
        """A copy polling every ``interval_s`` unless an interval was set, its lease following unless set."""
        polling = self.model_copy()
        _fill_unset(polling, interval_s=interval_s)
        polling._lease_follows_the_interval()
        return polling


class PushSettings(BaseModel):
    """Intake by the marketplace's messages (TMC, HTTP consume/confirm); polling stays the safety net."""

    model_config = _FROZEN
    enabled: bool = True
    group: str = Field("default", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    batch: int = Field(100, ge=10, le=200)
    idle_sleep_s: float = Field(0.2, gt=0, le=60)


class FulfilmentSettings(BaseModel):
    model_config = _FROZEN
    interval_s: float = Field(1.0, gt=0)
    max_in_flight: int = Field(8, ge=1, le=256)
    lease_s: float = Field(60.0, gt=0)
    max_attempts: int = Field(8, ge=1)
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_max_s: float = Field(300.0, gt=0)
    op_cap_fen: int = Field(500_000, ge=1, le=500_000)
    settle_s: float = Field(60.0, gt=0)


class WritebackSettings(BaseModel):
    model_config = _FROZEN
    interval_s: float = Field(2.0, gt=0)
    max_in_flight: int = Field(4, ge=1, le=64)
    backoff_base_s: float = Field(5.0, gt=0)
    backoff_max_s: float = Field(600.0, gt=0)


class ReversalSettings(BaseModel):
    """Reversals after delivery: CS requests one; above the threshold an admin approves it first."""

    model_config = _FROZEN
    approval_threshold_fen: int = Field(10_000, ge=0, le=100_000_000)  # a line paying more needs an admin
    interval_s: float = Field(5.0, gt=0)  # how often decided reversals are looked for (and resumed)
    max_per_pass: int = Field(20, ge=1, le=500)  # lines reversed per pass


class StoreSettings(BaseModel):
    """The database connection's limits (PostgreSQL; SQLite has one connection and a busy timeout)."""

    model_config = _FROZEN
    pool_size: int = Field(10, ge=1, le=200)
    statement_timeout_s: float = Field(30.0, gt=0)
    lock_timeout_s: float = Field(10.0, gt=0)
    idle_in_transaction_timeout_s: float = Field(60.0, gt=0)
    failing_s: float = Field(
        20.0, gt=0
    )  # a job's store failure this old makes /healthz 503 (read-only, full: at once)
    # less free space than this on the SQLite file's disk makes /healthz 503 (0: never)
    min_free_mb: float = Field(64.0, ge=0)


class AlertSettings(BaseModel):
    """The group-chat notifier: deploy/prometheus/bridge-rules.yml's alerts, for shops without Prometheus.

    The thresholds' defaults are the rules file's (a test keeps them equal).
    """

    model_config = _FROZEN
    enabled: bool = False
    webhook_env: str = "BRIDGE_ALERT_WEBHOOK"
    kind: Literal["dingtalk", "wecom"] = "dingtalk"
    title: str = Field("storefront-bridge", min_length=1, max_length=60)
    interval_s: float = Field(60.0, gt=0)
    watermark_age_s: float = Field(1800.0, gt=0)
    exception_backlog: int = Field(20, ge=0)
    exception_age_s: float = Field(14400.0, gt=0)
    billing_unavailable_s: float = Field(1800.0, gt=0)
    no_paid_orders_s: float = Field(7200.0, gt=0)
    business_hours: tuple[int, int] = (9, 21)
    utc_offset_h: int = Field(8, ge=-12, le=14)
    writeback_failing_s: float = Field(900.0, ge=0)
    session_expiry_s: float = Field(259200.0, ge=0)
    webhook_url: SecretStr = SecretStr("")  # from the variable webhook_env names, when enabled

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, hours: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= hours[0] < hours[1] <= 24:
            raise ValueError("business_hours must be [start, end] local hours with 0 <= start < end <= 24")
        return hours


class ReconcileSettings(BaseModel):
    """The daily three-way reconciliation (shop, bridge, billing core) of yesterday."""

    model_config = _FROZEN
    enabled: bool = True
    daily_at: str = "04:30"  # local time (UTC+8), HH:MM
    settle_s: float = Field(3600.0, gt=0)  # applied this long ago and still not delivered: a disagreement
    scan_days: int = Field(3, ge=0, le=30)  # the shop is listed from the day's start to this many days after
    lease_s: float = Field(1800.0, gt=0)  # one instance reconciles a day at a time

    @field_validator("daily_at")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value) is None:
            raise ValueError('expected a local time written HH:MM (00:00-23:59), e.g. "04:30"')
        return value


class RetentionSettings(BaseModel):
    """How long events and audit rows stay in the hot tables before the archive takes them (0: for ever)."""

    model_config = _FROZEN
    events_days: int = Field(90, ge=0, le=36_500)  # a trade's timeline
    audit_days: int = Field(400, ge=0, le=36_500)  # the audit log (people's actions)
    interval_s: float = Field(3600.0, gt=0)  # how often old rows are looked for
    batch: int = Field(1000, ge=1, le=10_000)  # rows a transaction moves (at most what a statement takes)

    @field_validator("events_days", "audit_days")
    @classmethod
    def _a_week_at_least(cls, days: int) -> int:
        # the dashboard's day and the alerts read recent rows from the hot tables only
        if 0 < days < RETENTION_MIN_DAYS:
            raise ValueError(f"expected 0 (kept for ever) or at least {RETENTION_MIN_DAYS} days")
        return days


class ConsoleSettings(BaseModel):
    """The web console behind a reverse proxy (TLS ends there)."""

    model_config = _FROZEN
    trusted_proxies: tuple[IPvAnyNetwork, ...] = ()  # peers whose X-Forwarded-For / -Proto count
    # the dashboard's and /metrics' store figures are read at most this often (0: at each request)
    figures_every_s: float = Field(5.0, ge=0, le=300)


class Settings(BaseModel):
    model_config = _FROZEN
    instance: str = Field("bridge-1", pattern=r"^[A-Za-z0-9._-]{1,40}$")
    database: str = "sqlite+aiosqlite:///var/bridge.sqlite"
    mappings_dir: Path = Path("mappings")
    listen: str = Field("127.0.0.1:8780", pattern=r"^[^:\s]+:\d{1,5}$")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"
    mapping_reload_s: float = Field(5.0, gt=0)
    sweep_interval_s: float = Field(30.0, gt=0)
    clock_anchor_s: float = Field(60.0, gt=0)
    shutdown_grace_s: float = Field(15.0, gt=0)
    billing: BillingSettings
    shops: dict[str, ShopSettings]
    push: PushSettings = PushSettings()
    polling: PollingSettings = PollingSettings()
    fulfilment: FulfilmentSettings = FulfilmentSettings()
    writeback: WritebackSettings = WritebackSettings()
    store: StoreSettings = StoreSettings()
    alerts: AlertSettings = AlertSettings()
    reversal: ReversalSettings = ReversalSettings()
    reconcile: ReconcileSettings = ReconcileSettings()
    console: ConsoleSettings = ConsoleSettings()
    retention: RetentionSettings = RetentionSettings()
    ceilings: CeilingSettings = CeilingSettings()  # every shop's, unless its [shops.NAME.ceilings] says
    deadlines: DeadlineSettings = DeadlineSettings()  # every shop's, unless its [shops.NAME.deadlines] says
    api: ApiSettings = ApiSettings()  # the signed order API for the operator's own channels (docs/api.md)

    def deadline_rule(self, shop: str) -> DeadlineRule:
        """The deadline in force for ``shop``: its own table's key for its storefront, else [deadlines]'s."""
        return resolve_rule(self.deadlines, self.shops[shop].deadlines, shop_storefront(self.shops[shop]))

    @model_validator(mode="after")
    def _api_apart_from_the_console(self) -> Settings:
        # the API never shares the console's address (nor its cookies); its clients are shops
        if self.api.enabled and same_address(self.api.listen, self.listen):
            raise ValueError(
                f"api.listen ({self.api.listen}) must not be the console's listen ({self.listen})"
            )
        for name in self.api.clients:
            shop = self.shops.get(name)
            if shop is not None and shop != self.api.clients[name].shop():
                raise ValueError(f"api.clients.{name}: a shop is named {name!r} already ([shops.{name}])")
        return self

    @model_validator(mode="after")
    def _api_clients_as_shops(self) -> Settings:
        """With the API on, each client is a shop of storefront ``api``: every lookup of a shop's
        settings (card rule, ceilings, deadlines, the console's badge) finds it like any shop."""
        if self.api.enabled:
            clients = {name: client.shop() for name, client in self.api.clients.items()}
            self.__dict__["shops"] = {**self.shops, **clients}
        return self

    @model_validator(mode="after")
    def _margins_inside_deadlines(self) -> Settings:
        # a margin as long as the deadline would escalate every line the moment it is paid
        for name in self.shops:
            rule = self.deadline_rule(name)
            if rule.margin >= rule.deadline:
                raise ValueError(
                    f"shop {name}: deadlines.margin_s ({rule.margin.total_seconds():g}) must be shorter than "
                    f"its {rule.storefront}_s deadline ({rule.deadline.total_seconds():g})"
                )
        return self

    @model_validator(mode="after")
    def _poll_often_without_push(self) -> Settings:
        """Unless set, polling is the safety net with push on (its field's default), the intake off (30 s),
        and the intake too of a shop whose storefront has no push (Pinduoduo): polled every 30 s."""
        # an API client's orders are taken as they are posted: polling is only its safety net
        unpushed = any(shop.push_queue is None and shop.storefront != "api" for shop in self.shops.values())
        if not self.push.enabled or unpushed:  # a copy: the polling settings given may be the caller's own
            self.__dict__["polling"] = self.polling.polling_every(POLL_INTERVAL_WITHOUT_PUSH_S)
        return self

    @model_validator(mode="after")
    def _shared_apps_name_their_sellers(self) -> Settings:
        # one app's messages come in one queue: with several shops on it, each message goes to its seller's
        apps: dict[tuple[str, str], list[str]] = {}
        for name, shop in self.shops.items():
            if shop.push_queue is not None:
                apps.setdefault(shop.push_queue, []).append(name)
        for names in apps.values():
            unnamed = [n for n in names if not self.shops[n].message_seller]
            if self.push.enabled and len(names) > 1 and unnamed:
                raise ValueError(
                    f"shops {', '.join(names)} share one app_key: with push on, set seller_nick for "
                    f"{', '.join(unnamed)} (the seller's nick, as the marketplace's messages name it)"
                )
        return self

    @model_validator(mode="after")
    def _settle_after_timeout(self) -> Settings:
        # a "not found" is trusted only after the slowest apply could have landed
        if self.fulfilment.settle_s <= self.billing.timeout_s:
            raise ValueError(
                f"fulfilment.settle_s ({self.fulfilment.settle_s}) must be longer than "
                f"billing.timeout_s ({self.billing.timeout_s})"
            )
        # a billing call starts only on a lease that outlasts it and the outcome write after it
        if self.fulfilment.lease_s <= self.billing.timeout_s + CALL_MARGIN_S:
            raise ValueError(
                f"fulfilment.lease_s ({self.fulfilment.lease_s}) must be longer than "
                f"billing.timeout_s ({self.billing.timeout_s}) + {CALL_MARGIN_S} s, "
                "or no billing call could ever start"
            )
        return self

    @field_validator("shops")
    @classmethod
    def _shop_names(cls, shops: dict[str, ShopSettings]) -> dict[str, ShopSettings]:
        if not shops:
            raise ValueError("at least one [shops.NAME] table is required")
        for name in shops:
            # the shop name is part of every billing request_id: keep it short and plain
            if not is_shop_name(name):
                raise ValueError(f"shop name {name!r} must be 1-16 characters of A-Z a-z 0-9 . _ -")
        return shops


def shop_storefront(shop: ShopSettings) -> str:
    """The storefront a shop sells on (``[shops.NAME] storefront``)."""
    return shop.storefront


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file, validate it, read the secrets from ``env``; ``ConfigError`` on any problem."""
    return settings_from_dict(read_toml(path), os.environ if env is None else env, source=str(path))


def settings_from_dict(raw: dict[str, Any], env: Mapping[str, str], *, source: str) -> Settings:
    """Validate ``raw`` (left as it is), then read the secrets from ``env``; ``ConfigError`` if wrong."""
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc, source)) from None
    update = read_secrets(settings, env, source)
    if not settings.mappings_dir.is_absolute() and source != "<generated>":
        update["mappings_dir"] = Path(source).parent / settings.mappings_dir
    return settings.model_copy(update=update)
