"""The order API's settings: ``[api]`` and one ``[api.clients.NAME]`` table per channel client.

The API listens on its own address (``listen``, never the console's), off by
default. Each client signs its requests with a key id and a secret
(``bridge.core.api_signing``); the secret never lives in the file: ``secret_env``
names the environment variable that holds it (read by ``bridge.settings_loading``
when the API is enabled). A client's name is the shop name its orders will carry
through the pipeline, so it follows the shop-name rule (1-16 of ``A-Za-z0-9._-``), and
``shop()`` is its shop's settings: its card rule (the line's ``card_no``), ceilings and deadlines.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bridge.core.request_ids import is_shop_name
from bridge.settings_deadlines import ShopDeadlineSettings
from bridge.settings_shops import API_CARD_RULE, ApiShopSettings, CardRuleSettings, CeilingSettings

__all__ = ["ApiClientSettings", "ApiSettings", "same_address"]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class ApiClientSettings(BaseModel):
    """One channel client: its key id, the variable holding its secret, its rate limit."""

    model_config = _FROZEN
    key_id: str = Field(..., pattern=r"^[A-Za-z0-9._-]{1,64}$")
    secret_env: str
    rate_per_s: float = Field(5.0, gt=0, le=10_000)  # the token bucket's refill (per instance)
    burst: int = Field(20, ge=1, le=100_000)  # and its size
    callback_hosts: tuple[str, ...] = ()  # the only hosts its callback URLs may name (none: no callbacks)
    card_rule: CardRuleSettings = API_CARD_RULE  # where its lines' card numbers are read (card_no)
    ceilings: CeilingSettings = CeilingSettings()  # unset keys: the [ceilings] table's
    deadlines: ShopDeadlineSettings = ShopDeadlineSettings()  # unset keys: the [deadlines] table's (api_s)
    secret: SecretStr = SecretStr("")  # from the variable secret_env names (see load_settings)

    def secrets(self) -> dict[str, str]:
        """Each secret field with the ``*_env`` key naming its variable."""
        return {"secret": "secret_env"}

    def shop(self) -> ApiShopSettings:
        """The client as the shop of its orders' lines (storefront ``api``)."""
        return ApiShopSettings(card_rule=self.card_rule, ceilings=self.ceilings, deadlines=self.deadlines)


class ApiSettings(BaseModel):
    """The signed order API for the operator's own channels (docs/api.md)."""

    model_config = _FROZEN
    enabled: bool = False
    listen: str = Field("127.0.0.1:8790", pattern=r"^[^:\s]+:\d{1,5}$")
    max_body_bytes: int = Field(65536, ge=1024, le=10 * 1024 * 1024)
    max_lines: int = Field(100, ge=1, le=1000)
    skew_s: float = Field(300.0, gt=0, le=3600)  # a timestamp further off is refused; replays kept as long
    callback_every_s: float = Field(1.0, gt=0, le=60)  # how often the sender looks for due callbacks
    callback_timeout_s: float = Field(10.0, gt=0, le=120)  # one try's whole time; longer is no answer
    callback_concurrency: int = Field(8, ge=1, le=256)  # tries in flight at once, per instance
    callback_batch: int = Field(50, ge=1, le=1000)  # callbacks claimed per look
    callback_alert_after_s: float = Field(900.0, gt=0)  # a callback pending longer alerts (the rules)
    clients: dict[str, ApiClientSettings] = Field(default_factory=dict)

    @field_validator("clients")
    @classmethod
    def _client_names_and_keys(cls, clients: dict[str, ApiClientSettings]) -> dict[str, ApiClientSettings]:
        seen: dict[str, str] = {}
        for name, client in clients.items():
            # the client's name becomes the shop of its orders' lines (and so part of every request_id)
            if not is_shop_name(name):
                raise ValueError(f"client name {name!r} must be 1-16 characters of A-Z a-z 0-9 . _ -")
            if client.key_id in seen:
                raise ValueError(f"clients {seen[client.key_id]} and {name} share key_id {client.key_id!r}")
            seen[client.key_id] = name
        return clients

    def client_shops(self) -> frozenset[str]:
        """The shops the channel clients' orders carry (none while the API is off)."""
        return frozenset(self.clients) if self.enabled else frozenset()


_ANY_HOST = frozenset({"0.0.0.0", "::", "[::]", "*"})


def same_address(one: str, other: str) -> bool:
    """Whether two ``host:port`` listen addresses would take the same socket (a wildcard host takes
    every address of its port; port 0 is a free port each time)."""
    (host1, port1), (host2, port2) = one.rsplit(":", 1), other.rsplit(":", 1)
    if int(port1) != int(port2) or int(port1) == 0:
        return False
    return host1 == host2 or host1 in _ANY_HOST or host2 in _ANY_HOST
