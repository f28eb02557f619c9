"""When a new mapping set must not take over by itself: it drops too much, or what is in flight.

A SKU file truncated by a bad copy or a half-finished edit is still valid TOML
and passes every check, yet it would park every paid order of the SKUs it lost.
So a reload that drops more than half the SKUs in force, or drops any SKU with
a paid line still on its way (received, ready, submitted, outcome unknown), is
refused until a person confirms it. Adding or changing SKUs is never refused.
"""

from __future__ import annotations

from collections.abc import Collection

from bridge.core.mapping.checked import MappingSet

_SHOWN = 10  # dropped SKUs named in a refusal


def refusal(current: MappingSet, fresh: MappingSet, in_flight: Collection[str]) -> str | None:
    """Why ``fresh`` must wait for a person's confirmation, or None when it may take over."""
    dropped = sorted(set(current.skus.rules) - set(fresh.skus.rules))
    if not dropped:
        return None
    before = len(current.skus.rules)
    if 2 * len(dropped) > before:
        return f"drops {len(dropped)} of {before} SKUs: {_names(dropped)}"
    busy = [sku for sku in dropped if sku in in_flight]
    if busy:
        return f"drops {len(busy)} SKU(s) with paid lines in flight: {_names(busy)}"
    return None


def _names(skus: list[str]) -> str:
    more = f" (+{len(skus) - _SHOWN} more)" if len(skus) > _SHOWN else ""
    return ", ".join(skus[:_SHOWN]) + more
