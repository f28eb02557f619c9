"""Which storefront a row comes from, as the console shows and filters it.

A line or order is stored under its shop; the storefront it sells on is the
shop's setting (``[shops.NAME] storefront``), never a stored column, so the
console derives it here from the row's shop. Pages show it as a text badge
(``templates/_storefront.html``: 淘宝 / 拼多多), the queue filters by it.
"""

from __future__ import annotations

from collections.abc import Iterable

from bridge.services.deps import Deps
from bridge.settings import shop_storefront

__all__ = ["in_use", "of_shops", "shops_on", "sku_came_from", "storefront_of"]


def storefront_of(deps: Deps, shop: str) -> str:
    """The storefront ``shop`` sells on ("" for a shop no longer configured)."""
    settings = deps.settings.shops.get(shop)
    return shop_storefront(settings) if settings is not None else ""


def shops_on(deps: Deps, storefront: str) -> tuple[str, ...]:
    """The configured shops that sell on ``storefront``, by name."""
    return tuple(sorted(name for name in deps.settings.shops if storefront_of(deps, name) == storefront))


def in_use(deps: Deps) -> list[str]:
    """The storefronts the configured shops sell on, by name."""
    return sorted({storefront_of(deps, name) for name in deps.settings.shops})


def of_shops(deps: Deps, shops: Iterable[str]) -> list[str]:
    """The storefronts ``shops`` sell on, each once, by name (e.g. where an unmapped SKU code came from)."""
    return sorted({sf for sf in (storefront_of(deps, shop) for shop in shops) if sf})


async def sku_came_from(deps: Deps, outer_sku_id: str) -> list[str]:
    """The storefronts of the lines waiting for a mapping of ``outer_sku_id`` (none once it is mapped)."""
    inbox = await deps.store.console.unmapped_inbox() if outer_sku_id else []
    return of_shops(deps, (shop for u in inbox if u.outer_sku_id == outer_sku_id for shop in u.shops))
