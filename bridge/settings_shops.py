"""A shop's settings: ``[shops.NAME]``, with the keys of the storefront it sells on.

``storefront = "taobao"`` (the default, so a configuration written before there
was a choice keeps working) or ``"pinduoduo"``. Every shop has a card rule,
ceilings and deadlines; each storefront has its own keys, and a key of another
storefront is refused like any unknown key (``shops.NAME.app_key: unknown key``
for a Pinduoduo shop). Secrets never live in the file: each ``*_env`` key names the
environment variable that holds one (read by ``bridge.settings_loading``).

A third kind, ``ApiShopSettings`` (storefront ``api``), is never written under
``[shops]``: ``bridge.settings`` makes one of each ``[api.clients.NAME]`` when the
order API is on, so every lookup of a shop's settings finds the client too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    model_validator,
)

from bridge.settings_deadlines import ShopDeadlineSettings

__all__ = [
    "API_CARD_RULE",
    "STOREFRONTS",
    "ApiShopSettings",
    "CardRuleSettings",
    "CeilingSettings",
    "PinduoduoShopSettings",
    "ShopSettings",
    "TaobaoShopSettings",
    "storefront_tags",
]

_FROZEN = ConfigDict(extra="forbid", frozen=True)
STOREFRONTS = ("taobao", "pinduoduo")
"""The storefronts a shop may sell on (``[shops.NAME] storefront``)."""


class CardRuleSettings(BaseModel):
    model_config = _FROZEN
    sources: tuple[Literal["buyer_message", "customization"], ...] = ("buyer_message", "customization")
    lengths: tuple[int, ...] = (16,)
    prefixes: tuple[str, ...] = ()


class CeilingSettings(BaseModel):
    """Above these a paid line waits for an admin (``bridge.core.ceilings``); unset: the ``[ceilings]``
    table's, else derived from the live catalogue's largest product."""

    model_config = _FROZEN
    line_amount_fen: int | None = Field(None, ge=1)
    line_quantity: int | None = Field(None, ge=1)
    trade_amount_fen: int | None = Field(None, ge=1)
    trade_quantity: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _trade_holds_a_line(self) -> CeilingSettings:
        for what in ("amount_fen", "quantity"):
            line, trade = getattr(self, f"line_{what}"), getattr(self, f"trade_{what}")
            if line is not None and trade is not None and trade < line:
                raise ValueError(f"trade_{what} ({trade}) must not be below line_{what} ({line})")
        return self


API_CARD_RULE = CardRuleSettings(sources=("customization",))
"""An API client's card rule unless its table sets one: the line's ``card_no`` alone (the trade's
``customization``; an API order has no buyer message), of the lengths a shop's rule allows."""


class _Shop(BaseModel):
    """What every shop has, whatever it sells on."""

    model_config = _FROZEN
    timeout_s: float = Field(15.0, gt=0)
    card_rule: CardRuleSettings = CardRuleSettings()
    ceilings: CeilingSettings = CeilingSettings()  # unset keys: the [ceilings] table's
    deadlines: ShopDeadlineSettings = ShopDeadlineSettings()  # unset keys: the [deadlines] table's

    @property
    def access_expires_at(self) -> AwareDatetime | None:
        """When the shop's access to its storefront runs out (for the expiry alert), if configured."""
        return None

    @property
    def push_queue(self) -> tuple[str, str] | None:
        """The queue the shop's pushed messages come in (shops on one app share it); None: no push."""
        return None

    @property
    def message_seller(self) -> str:
        """The seller as the storefront's messages name it (to route a shared queue's messages)."""
        return ""


class TaobaoShopSettings(_Shop):
    """A Taobao/Tmall shop (Taobao Open Platform): ``storefront = "taobao"`` or unset."""

    storefront: Literal["taobao"] = "taobao"
    url: str = "https://gw.api.taobao.com/router/rest"
    app_key: str
    app_secret_env: str = "BRIDGE_SHOP_APP_SECRET"
    session_env: str = "BRIDGE_SHOP_SESSION"
    sign_method: Literal["md5", "hmac", "hmac-sha256"] = "hmac-sha256"
    page_size: int = Field(50, ge=1, le=100)
    seller_nick: str = ""  # the seller as messages name it (user_nick); needed when shops share an app
    session_expires_at: AwareDatetime | None = None  # when the session key runs out (for the expiry alert)
    app_secret: SecretStr = SecretStr("")  # from the variable app_secret_env names (see load_settings)
    session_key: SecretStr = SecretStr("")  # from the variable session_env names

    @property
    def access_expires_at(self) -> AwareDatetime | None:
        return self.session_expires_at

    @property
    def push_queue(self) -> tuple[str, str] | None:
        return self.url, self.app_key  # TMC: one queue per app

    @property
    def message_seller(self) -> str:
        return self.seller_nick

    def secrets(self) -> dict[str, str]:
        """Each secret field with the ``*_env`` key naming its variable."""
        return {"app_secret": "app_secret_env", "session_key": "session_env"}


class PinduoduoShopSettings(_Shop):
    """A Pinduoduo shop (open platform, docs/storefronts/pinduoduo.md): ``storefront = "pinduoduo"``."""

    storefront: Literal["pinduoduo"]
    url: str = "https://gw-api.pinduoduo.com/api/router"
    client_id: str
    client_secret_env: str = "BRIDGE_PDD_CLIENT_SECRET"
    access_token_env: str = "BRIDGE_PDD_ACCESS_TOKEN"
    logistics_id: int = Field(..., ge=1)  # the carrier id virtual deliveries name (the shop's own choice)
    page_size: int = Field(100, ge=1, le=100)
    access_token_expires_at: AwareDatetime | None = None  # when the token runs out (for the expiry alert)
    client_secret: SecretStr = SecretStr("")  # from the variable client_secret_env names
    access_token: SecretStr = SecretStr("")  # from the variable access_token_env names

    @property
    def access_expires_at(self) -> AwareDatetime | None:
        return self.access_token_expires_at

    def secrets(self) -> dict[str, str]:
        """Each secret field with the ``*_env`` key naming its variable."""
        return {"client_secret": "client_secret_env", "access_token": "access_token_env"}


class ApiShopSettings(_Shop):
    """A channel client of the order API as a shop (``[api.clients.NAME]``, made by ``bridge.settings``)."""

    storefront: Literal["api"] = "api"

    def secrets(self) -> dict[str, str]:
        """None: the client's signing secret is the API's (``[api.clients.NAME] secret_env``)."""
        return {}


def _storefront_of(value: Any) -> str:
    """Which model validates a shop's table: its ``storefront`` key, Taobao's when unset."""
    if isinstance(value, dict):
        named = value.get("storefront", "taobao")
        return named if named in STOREFRONTS else "unknown"  # no tag: the custom error below
    return str(getattr(value, "storefront", "taobao"))


ShopSettings = Annotated[
    Annotated[TaobaoShopSettings, Tag("taobao")]
    | Annotated[PinduoduoShopSettings, Tag("pinduoduo")]
    | Annotated[ApiShopSettings, Tag("api")],  # made from [api.clients], never read from [shops]
    Discriminator(
        _storefront_of,
        custom_error_type="storefront",
        custom_error_message=f"storefront must be one of {', '.join(repr(s) for s in STOREFRONTS)}",
    ),
]
"""A shop's settings, validated as its storefront's."""


def storefront_tags() -> frozenset[str]:
    """The tags pydantic puts in an error's location between ``shops.NAME`` and the key (dropped when
    the error is shown: a user writes ``shops.NAME.app_key``, not ``shops.NAME.taobao.app_key``)."""
    return frozenset(STOREFRONTS)
