"""The only place that builds adapters and the store from settings."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import aiohttp

from adapters.billing_core.client import BillingClient
from adapters.taobao.client import TaobaoClient
from bridge.logs import register_secret
from bridge.ports import MarketplacePort
from bridge.services.deps import Deps
from bridge.services.mapping_check import load_mapping_set
from bridge.settings import Settings
from bridge.store import open_store


def owner_id(settings: Settings) -> str:
    """Lease owner: this instance and this process (a restarted process is a new owner)."""
    return f"{settings.instance}:{os.getpid()}"


@asynccontextmanager
async def build_deps(settings: Settings) -> AsyncIterator[Deps]:
    """Store → HTTP sessions → adapters → mappings; torn down in reverse order."""
    for secret in (
        settings.billing.secret,
        *(s.app_secret for s in settings.shops.values()),
        *(s.session_key for s in settings.shops.values()),
    ):
        register_secret(secret.get_secret_value())
    mappings = load_mapping_set(settings.mappings_dir)  # refuse to start on a broken mapping
    async with AsyncExitStack() as stack:
        store = await open_store(settings.database)
        stack.push_async_callback(store.close)
        billing_http = await stack.enter_async_context(
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=settings.fulfilment.max_in_flight * 2))
        )
        market_http = await stack.enter_async_context(aiohttp.ClientSession())
        b = settings.billing
        billing = BillingClient(
            billing_http,
            base_url=b.base_url,
            api_key=b.api_key,
            secret=b.secret.get_secret_value(),
            timeout_s=b.timeout_s,
        )
        shops: dict[str, MarketplacePort] = {
            name: TaobaoClient(
                market_http,
                url=s.url,
                app_key=s.app_key,
                app_secret=s.app_secret.get_secret_value(),
                session_key=s.session_key.get_secret_value(),
                sign_method=s.sign_method,
                page_size=s.page_size,
                timeout_s=s.timeout_s,
            )
            for name, s in settings.shops.items()
        }
        yield Deps(
            settings=settings,
            store=store,
            billing=billing,
            shops=shops,
            mappings=mappings,
            owner=owner_id(settings),
        )
