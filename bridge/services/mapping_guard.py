"""A mapping reload refused for dropping too much, taken over once an admin confirms it (audited).

``services.mappings`` refuses a new set that drops more than half the SKUs in
force, or a SKU with paid lines in flight (``core.mapping.guard``), keeps the
reason and the set's version in ``runtime`` and logs it loudly on every reload
until the files are put back or a person decides. ``accept_pending`` is that
decision: it takes the very version that was refused (a file changed again
since is refused anew, never accepted unseen) and writes its audit entry.
"""

from __future__ import annotations

import structlog

from bridge.services.deps import Deps
from bridge.services.mappings import reload_mappings

log = structlog.get_logger("bridge.services.mapping_guard")


async def accept_pending(deps: Deps, actor: str) -> bool:
    """Take the refused set in force; False (audited as refused) when nothing waits or the files
    no longer hold the version that was refused."""
    pending, why, before = deps.runtime.mappings_pending, deps.runtime.mappings_refused, deps.runtime.mappings
    taken = pending is not None and await reload_mappings(deps, accept=pending)
    after = deps.runtime.mappings
    dropped = len(set(before.skus.rules) - set(after.skus.rules))
    await deps.store.console.add_audit(
        at=deps.clock(),
        actor=actor,
        action="mapping_accept",
        outcome="done" if taken else "refused",
        before=before.version,
        after=after.version if taken else pending,
        detail={"refused_for": why or "", "pending": pending or "", "dropped": dropped},
    )
    log.warning("mappings_accepted" if taken else "mappings_accept_refused", actor=actor, version=pending)
    return taken
