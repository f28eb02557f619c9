"""Bulk actions on the exception queue: offered with a count, confirmed once, reported when settled.

    offer        count the filter's lines now (oldest first, at most ``BATCH_MAX``) and keep them
                 as a batch whose id is the confirmation token
    act          the confirmation: retry, resolve or cancel each counted line still waiting, one
                 audit entry per line plus a header, all under the batch id; a second submission
                 of the same token changes nothing. The header commits with the batch's start,
                 each line's entry with the line's own move
    report       the outcome so far (``core.batches.tally``): done, back with a person, gone, moving
    settle       ``report`` again until nothing is moving, or the time runs out
    retry_lines  the CLI's ``bridge exceptions retry`` of several ids: one batch too

The work on each line is the person's own action (``services.cs_actions``), so a
line that left the queue meanwhile is refused by its compare-and-set and counted
as gone, never touched twice.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from bridge.core.batches import BATCH_MAX, BULK_ACTIONS, Batch, Tally, tally
from bridge.core.records import AuditNote, QueueFilter
from bridge.services import cs_actions
from bridge.services.cs_actions import RESOLUTIONS, Outcome
from bridge.services.deps import Deps


class BatchRefused(ValueError):
    """The confirmation cannot act: ``code`` names why (a message key)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Acted:
    """The batch after a confirmation; ``fresh`` is False when it had already been acted on."""

    batch: Batch
    fresh: bool
    outcomes: list[Outcome] = field(default_factory=list)


async def offer(deps: Deps, actor: str, action: str, f: QueueFilter, shown: dict[str, str]) -> Batch:
    """Count ``f``'s lines now, kept as a batch to confirm (``shown``: the filter as the URL had it)."""
    if action not in BULK_ACTIONS:
        raise BatchRefused("bulk_unknown_action")
    batch = Batch(
        id=secrets.token_hex(16),
        action=action,
        actor=actor,
        created_at=deps.clock(),
        started_at=None,
        filter=shown,
        line_ids=tuple(await deps.store.queue.queue_ids(f, BATCH_MAX)),
    )
    await deps.store.queue.offer_batch(batch)
    return batch


def _check(action: str, resolution: str, note: str) -> None:
    if action == "resolve" and (resolution not in RESOLUTIONS or not note.strip()):
        raise BatchRefused("resolution_needed")


async def act(deps: Deps, actor: str, batch_id: str, *, note: str = "", resolution: str = "") -> Acted:
    """Act on the batch's counted lines once; raises ``BatchRefused`` (nothing done) when it cannot."""
    offered = await deps.store.queue.batch(batch_id)
    if offered is None:
        raise BatchRefused("bulk_unknown")
    if not offered.line_ids:
        raise BatchRefused("bulk_empty")
    _check(offered.action, resolution, note)
    detail = {"count": len(offered.line_ids), "filter": offered.filter, "code": f"bulk_{offered.action}"}
    if offered.action == "resolve":
        detail["resolution"] = resolution
    header = AuditNote(deps.clock(), actor, f"bulk_{offered.action}", "done", note or None, detail, batch_id)
    batch = await deps.store.queue.start_batch(batch_id, deps.clock(), header)
    if batch is None:
        return Acted(offered, fresh=False)
    outcomes = [await _one(deps, actor, batch, line_id, note, resolution) for line_id in batch.line_ids]
    return Acted(batch, fresh=True, outcomes=outcomes)


async def _one(deps: Deps, actor: str, batch: Batch, line_id: int, note: str, resolution: str) -> Outcome:
    if batch.action == "retry":
        return await cs_actions.retry(deps, actor, line_id, note, batch=batch.id)
    if batch.action == "resolve":
        return await cs_actions.resolve(deps, actor, line_id, resolution, note, batch=batch.id)
    return await cs_actions.cancel_refund(deps, actor, line_id, note, batch=batch.id)


async def report(deps: Deps, batch: Batch) -> Tally:
    """The batch's outcome now; lines not reached yet (or never, if unconfirmed) count as moving."""
    entries = (await deps.store.queue.audit_batches([batch.id]))[batch.id]
    acted = {e.line_id: (e.outcome, str((e.detail or {}).get("code", ""))) for e in entries if e.line_id}
    now = tally(batch.action, acted, await deps.store.queue.line_states(acted))
    waiting = len(set(batch.line_ids) - set(acted)) if batch.started_at is not None else 0
    return Tally(now.done, now.again, now.gone, now.moving + waiting)


async def settle(deps: Deps, batch: Batch, timeout_s: float, every_s: float = 0.5) -> Tally:
    """``report`` until nothing is moving or ``timeout_s`` has passed (bounded wait)."""
    deadline = time.monotonic() + timeout_s
    outcome = await report(deps, batch)
    while not outcome.settled and time.monotonic() < deadline:
        await asyncio.sleep(every_s)
        outcome = await report(deps, batch)
    return outcome


async def retry_lines(deps: Deps, actor: str, line_ids: Iterable[int], note: str = "") -> Acted:
    """Retry several lines by id as one batch (one audit batch), duplicates ignored."""
    ids = tuple(dict.fromkeys(line_ids))
    batch = Batch(
        id=secrets.token_hex(16),
        action="retry",
        actor=actor,
        created_at=deps.clock(),
        started_at=None,
        filter={"ids": " ".join(str(i) for i in ids)},
        line_ids=ids,
    )
    await deps.store.queue.offer_batch(batch)
    return await act(deps, actor, batch.id, note=note)
