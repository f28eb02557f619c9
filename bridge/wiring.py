"""The only place that builds adapters and the store from settings (the CLI's one-shot commands too)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp

from adapters.billing_core.client import BillingClient
from adapters.callbacks.client import CallbackClient
from adapters.chat_robot.client import ChatRobotClient
from adapters.pinduoduo.client import PinduoduoClient
from adapters.taobao.client import TaobaoClient
from bridge.core.masking import register_secret
from bridge.ports import BillingPort, ChatRobotPort, MappingFilesPort, MetricsPort, StorefrontPort
from bridge.ports.callbacks import CallbackPosterPort
from bridge.services.api_shop import ApiShop
from bridge.services.clock import DatabaseClock
from bridge.services.deps import Deps, Runtime
from bridge.services.mappings import load_mapping_set
from bridge.services.metering import MeteredBilling, MeteredMarketplace, NoMetrics
from bridge.settings import BillingSettings, Settings
from bridge.settings_shops import ApiShopSettings, PinduoduoShopSettings, ShopSettings
from bridge.store import MappingDir, open_store


def owner_id(settings: Settings) -> str:
    """Lease owner: this instance and a random tag drawn per process.

    Not the pid: two containers with the same instance name both run as pid 1,
    and a restarted process must never pass for the one that died.
    """
    return f"{settings.instance}:{secrets.token_hex(8)}"


def mapping_files(directory: Path) -> MappingFilesPort:
    """The mapping files kept in ``directory``."""
    return MappingDir(directory)


def billing_client(http: aiohttp.ClientSession, b: BillingSettings) -> BillingPort:
    """The billing core's client over ``http``, as the settings describe it."""
    return BillingClient(
        http,
        base_url=b.base_url,
        api_key=b.api_key,
        secret=b.secret.get_secret_value(),
        timeout_s=b.timeout_s,
    )


@asynccontextmanager
async def billing_only(settings: Settings) -> AsyncIterator[BillingPort]:
    """The billing core's client alone, for one-shot commands (``bridge mappings check``)."""
    register_secret(settings.billing.secret.get_secret_value())
    async with aiohttp.ClientSession() as http:
        yield billing_client(http, settings.billing)


def _register_secrets(settings: Settings) -> None:
    for secret in (
        settings.billing.secret,
        *(getattr(s, secret) for s in settings.shops.values() for secret in s.secrets()),
        settings.alerts.webhook_url,
        *(client.secret for client in settings.api.clients.values()),
    ):
        register_secret(secret.get_secret_value())


@asynccontextmanager
async def build_deps(
    settings: Settings, shift: Callable[[], float] | None = None, metrics: MetricsPort | None = None
) -> AsyncIterator[Deps]:
    """Mappings → store → its clock → HTTP sessions → adapters; torn down in reverse order.

    With ``metrics`` (the daemon's), every billing and marketplace call is
    recorded through it (``bridge.services.metering``).

    The clock is the database's (``bridge.services.clock``); ``shift`` moves it
    forward by that many seconds (the lab's way of letting time pass).
    """
    _register_secrets(settings)
    files = mapping_files(settings.mappings_dir)
    mappings = load_mapping_set(files)  # refuse to start on a broken mapping
    async with AsyncExitStack() as stack:
        store = await open_store(settings.database, settings.store, api_shops=settings.api.client_shops())
        stack.push_async_callback(store.close)
        clock = DatabaseClock(store.database_time, shift=shift)
        await clock.anchor()
        billing_http = await stack.enter_async_context(
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=settings.fulfilment.max_in_flight * 2))
        )
        market_http = await stack.enter_async_context(aiohttp.ClientSession())
        recorder: MetricsPort = NoMetrics() if metrics is None else metrics
        runtime = Runtime(mappings)
        group = settings.push.group if settings.push.enabled else None
        shops: dict[str, StorefrontPort] = {
            name: MeteredMarketplace(
                storefront_client(market_http, shop, group), recorder, runtime.messages_consumed
            )
            for name, shop in settings.shops.items()
            if not isinstance(shop, ApiShopSettings)
        }
        for name in settings.shops.keys() & settings.api.clients.keys():  # the order API's clients
            shops[name] = ApiShop(name, store.api_orders, clock, lambda: runtime.mappings)
        billing = MeteredBilling(
            billing_client(billing_http, settings.billing), recorder, runtime.billing_called
        )
        robot: ChatRobotPort | None = None
        callbacks: CallbackPosterPort | None = None
        if settings.api.enabled:  # its own session: a slow channel never holds the marketplaces' connections
            limit = settings.api.callback_concurrency
            callback_http = await stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit))
            )
            callbacks = CallbackClient(callback_http)
        if settings.alerts.enabled:
            url = settings.alerts.webhook_url.get_secret_value()
            robot = ChatRobotClient(market_http, url, settings.alerts.kind)
        yield Deps(
            settings=settings,
            store=store,
            billing=billing,
            shops=shops,
            mapping_files=files,
            owner=owner_id(settings),
            runtime=runtime,
            clock=clock,
            metrics=recorder,
            robot=robot,
            callbacks=callbacks,
        )


def storefront_client(http: aiohttp.ClientSession, s: ShopSettings, tmc_group: str | None) -> StorefrontPort:
    """The client of the storefront the shop sells on (``[shops.NAME] storefront``)."""
    if isinstance(s, ApiShopSettings):  # no remote client: its orders are in the store (``ApiShop``)
        raise ValueError("an order API client's shop is built by build_deps, not as a storefront client")
    if isinstance(s, PinduoduoShopSettings):
        return PinduoduoClient(
            http,
            url=s.url,
            client_id=s.client_id,
            client_secret=s.client_secret.get_secret_value(),
            access_token=s.access_token.get_secret_value(),
            logistics_id=s.logistics_id,
            page_size=s.page_size,
            timeout_s=s.timeout_s,
        )
    return TaobaoClient(
        http,
        url=s.url,
        app_key=s.app_key,
        app_secret=s.app_secret.get_secret_value(),
        session_key=s.session_key.get_secret_value(),
        sign_method=s.sign_method,
        page_size=s.page_size,
        timeout_s=s.timeout_s,
        tmc_group=tmc_group,
    )
