"""The retention: events and audit rows older than their time move to the archive, lines never.

``archive_due`` moves each kind of row written more than ``[retention]
events_days`` / ``audit_days`` ago, a batch (one transaction) at a time, until
none is left or the daemon stops; 0 days keeps that kind for ever. The store
makes a batch whole or nothing, and lets several instances move at once
without moving a row twice (``bridge.store.retention``), so this job needs no
lease. Lines, operations and trades are never touched, and whoever reads an
order's history reads the archive too: an old order's timeline and audit
entries are still on its page.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from bridge.ports import ArchiveKind
from bridge.services.deps import Deps
from bridge.settings import RetentionSettings

log = structlog.get_logger("bridge.services.retention")


def cut_offs(retention: RetentionSettings, now: datetime) -> dict[ArchiveKind, datetime]:
    """Each kind of row kept for a limited time, and the moment before which it is archived."""
    days: dict[ArchiveKind, int] = {"events": retention.events_days, "audit": retention.audit_days}
    return {kind: now - timedelta(days=n) for kind, n in days.items() if n > 0}


async def archive_due(deps: Deps) -> dict[ArchiveKind, int]:
    """Move every row past its retention to the archive; how many of each kind moved."""
    moved: dict[ArchiveKind, int] = {}
    for kind, before in cut_offs(deps.settings.retention, deps.clock()).items():
        moved[kind] = await _move_all(deps, kind, before)
    return moved


async def archivable(deps: Deps) -> dict[ArchiveKind, int]:
    """How many rows of each kind the next run would move (``bridge archive --dry-run``)."""
    return {
        kind: await deps.store.retention.archivable(kind, before)
        for kind, before in cut_offs(deps.settings.retention, deps.clock()).items()
    }


async def _move_all(deps: Deps, kind: ArchiveKind, before: datetime) -> int:
    total = 0
    while not deps.runtime.stopping.is_set():
        count = await deps.store.retention.archive_batch(kind, before, deps.settings.retention.batch)
        if count == 0:
            break
        total += count
        deps.metrics.rows_archived(kind, count)
    if total:
        log.info("rows_archived", kind=kind, count=total, before=before.isoformat())
    return total
