"""Reload changed SKU mappings without a restart; release lines parked for a missing mapping.

A broken file is refused loudly and the previous mappings stay in force.
"""

from __future__ import annotations

import structlog

from bridge.core.errors import ConfigError
from bridge.core.states import LineState
from bridge.services.deps import Deps
from bridge.services.mapping_check import reload_if_changed

log = structlog.get_logger("bridge.mappings")


async def reload_mappings(deps: Deps) -> bool:
    """Returns True when a new mapping set took effect."""
    try:
        fresh = reload_if_changed(deps.settings.mappings_dir, deps.mappings)
    except ConfigError as exc:
        deps.bump("mapping_reload_refused")
        log.error("mappings_refused", error=str(exc), keeping=deps.mappings.version)
        return False
    if fresh is None:
        return False
    old = deps.mappings.version
    deps.mappings = fresh
    log.info("mappings_reloaded", old=old, new=fresh.version)
    await release_parked(deps)
    return True


async def release_parked(deps: Deps) -> int:
    """Lines in EXCEPTION for an unmapped SKU that is now mapped go back to RECEIVED."""
    released = 0
    for line in await deps.store.lines_in([LineState.EXCEPTION], limit=100_000):
        if line.reason != "UNMAPPED_SKU" or deps.mappings.skus.get(line.outer_sku_id) is None:
            continue
        if await deps.store.release_parked(
            line, mapping_version=deps.mappings.version, now=deps.clock(), actor=deps.owner
        ):
            released += 1
    if released:
        log.info("parked_lines_released", count=released)
    return released
