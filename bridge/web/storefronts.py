"""Which storefront a row comes from, as the console shows and filters it.

A line or order is stored under its shop; the storefront it sells on is the
shop's setting (``[shops.NAME] storefront``), never a stored column, so the
console derives it here from the row's shop. Pages show it as a text badge
(``templates/_storefront.html``: 淘宝 / 拼多多), the queue filters by it.
"""

from __future__ import annotations

from bridge.services.deps import Deps
from bridge.settings import shop_storefront

__all__ = ["in_use", "shops_on", "storefront_of"]


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
