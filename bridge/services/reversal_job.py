"""Reversals after delivery, the job: claim REVERSING lines with a lease and undo each part.

Undoing a part: a part whose call went out with no answer recorded (SENT: the
answer was lost, or the bridge died with the call in flight) is looked up
first (``GET /v1/operations/{request_id}``): "reversed" is recorded and never
sent again; still "applied" is sent again only once the last send has settled
(``bridge.core.reversals.after_lookup``), because an older billing core that
does not deduplicate reverses a repeated reversal twice. SENT is committed
before each call under the line's lease, so a crash anywhere resumes from the
store. REVERSAL_NOT_ALLOWED sends the line back to CS with the billing core's
reason; the last part reversed moves the line to REVERSED (its memo follows).
Every write after a billing call goes through ``record_after_call``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog

from bridge.core.backoff import retry_at
from bridge.core.errors import Ambiguous, BridgeError, Permanent, Retryable, StoreUnavailable
from bridge.core.inflight import settles_at
from bridge.core.records import LineRecord
from bridge.core.reversals import (
    Lookup,
    PartState,
    ReversalPart,
    after_lookup,
    reversal_reason,
)
from bridge.core.states import LineState
from bridge.services.after_call import record_after_call
from bridge.services.deps import Deps
from bridge.services.leases import kept_leased, needed_for_call_s

log = structlog.get_logger("bridge.services.reversal_job")
S = LineState
P = PartState
_LOOKUP_AGAIN_S = 5.0


async def reverse_due(deps: Deps) -> int:
    """Claim the REVERSING lines that are due and undo their parts; how many lines were claimed."""
    if deps.runtime.stopping.is_set():
        return 0
    settings = deps.settings
    claimed = await deps.store.lines.claim_lines(
        deps.owner,
        deps.clock(),
        settings.fulfilment.lease_s,
        settings.reversal.max_per_pass,
        states=(S.REVERSING,),
    )
    for line in claimed:
        try:
            await _reverse_line(deps, line)
        except asyncio.CancelledError:
            raise
        except StoreUnavailable as exc:  # one line's trouble never stops the others; its lease runs out
            log.warning("reversal_store_unavailable", line_id=line.id, error=str(exc), error_kind=exc.code)
        except Exception as exc:  # a bug: logged with its traceback; the line stays REVERSING, its lease
            # runs out and a later pass takes it again (a part it sent is looked up before any resend)
            log.exception("reversal_failed", line_id=line.id, error=repr(exc))
    return len(claimed)


async def _reverse_line(deps: Deps, line: LineRecord) -> None:
    """Undo each part not yet done; give the line back (not due before a moment) when one must wait."""
    log_line = log.bind(line_id=line.id, tid=line.tid, oid=line.oid)
    for part in await deps.store.reversals.reversal_parts(line.id):
        if part.state not in (P.PENDING, P.SENT):
            continue
        wait_until = await _undo(deps, line, part)
        if wait_until is None:
            return  # the line moved on (refused, fenced out): nothing more on this lease
        if isinstance(wait_until, datetime):
            log_line.info("reversal_waits", request_id=part.request_id, until=wait_until.isoformat())
            await deps.store.lines.release(line, next_at=wait_until)
            return
    # every part done: the last one moved the line to REVERSED


Step = datetime | bool | None
"""What became of a part: True done, a moment to come back at, None the line left this worker."""


async def _undo(deps: Deps, line: LineRecord, part: ReversalPart) -> Step:
    """One part: looked up first when a call may have landed, sent when it surely has not."""
    while True:
        if part.state is P.SENT:
            looked = await _look_up(deps, line, part)
            if not isinstance(looked, Lookup):
                return looked
        sent = await _send(deps, line, part)
        if not isinstance(sent, Lookup):
            return sent
        part = ReversalPart(part.id, part.line_id, part.part, part.request_id, P.SENT, part.sent)


async def _look_up(deps: Deps, line: LineRecord, part: ReversalPart) -> Step | Lookup:
    """Ask the billing core how the part stands; done, wait, or RESEND (the last send settled)."""
    settle_s = deps.settings.fulfilment.settle_s
    asked_at = deps.clock()
    try:
        async with kept_leased(deps, line):
            found = await deps.billing.find(part.request_id)
    except BridgeError as exc:
        log.warning("reversal_lookup_failed", request_id=part.request_id, error=str(exc))
        return asked_at + timedelta(seconds=_LOOKUP_AGAIN_S)
    operation = next((op for op in line.operations if op.request_id == part.request_id), None)
    # re-read the part: the send marker that decides is the one stored now
    stored = next((p for p in await deps.store.reversals.reversal_parts(line.id) if p.id == part.id), part)
    step = after_lookup(found, stored, operation, settle_s=settle_s, asked_at=asked_at)
    if step is Lookup.REVERSED:
        assert found is not None
        return await _done(deps, line, stored, P.REVERSED, found.operation_id, "found_reversed")
    if step is Lookup.NOT_APPLIED:
        return await _done(deps, line, stored, P.NOT_APPLIED, None, "never_applied")
    if step is Lookup.WAIT:
        until = settles_at(stored.sent, settle_s)
        later = asked_at + timedelta(seconds=_LOOKUP_AGAIN_S)
        return until if until is not None and until > later else later
    return Lookup.RESEND


async def _send(deps: Deps, line: LineRecord, part: ReversalPart) -> Step | Lookup:
    """SENT committed on a lease that outlasts the call, then the call; its answer decides
    (``Lookup.WAIT``: the answer was lost, look the part up at once)."""
    store, now = deps.store, deps.clock()
    need = needed_for_call_s(deps)
    if not await store.lines.renew_lease(line, now, deps.settings.fulfilment.lease_s):
        log.warning("lease_lost_before_reversal", line_id=line.id)
        return None
    if not await store.reversals.reversal_sent(line, part, now, deps.owner, need_s=need):
        log.warning("reversal_fenced_out", line_id=line.id)
        return None
    return await _called(deps, line, part)


async def _called(deps: Deps, line: LineRecord, part: ReversalPart) -> Step | Lookup:
    """The reversal call itself (SENT is committed) and what its answer means."""
    store = deps.store
    try:
        async with kept_leased(deps, line):
            result = await deps.billing.reverse(part.request_id, reversal_reason(line))
    except Ambiguous as exc:
        log.warning("reversal_answer_lost", request_id=part.request_id, error=str(exc))
        if not await record_after_call(store.reversals.reversal_gave_up(line, part, str(exc), deps.clock())):
            return None
        return Lookup.WAIT
    except Permanent as exc:
        if exc.code == "OPERATION_NOT_FOUND":  # never applied as far as it knows: a lookup decides
            gave_up = store.reversals.reversal_gave_up(line, part, str(exc), deps.clock())
            if not await record_after_call(gave_up):
                return None
            return Lookup.WAIT
        code = exc.code or "BILLING_REJECTED"
        log.warning("reversal_refused", request_id=part.request_id, code=code)
        await record_after_call(
            store.reversals.reversal_refused(
                line, part, code=code, message=exc.message, now=deps.clock(), actor=deps.owner
            )
        )
        return None
    except Retryable as exc:  # refused at the door (429, 503, 500): nothing changed
        log.warning("reversal_not_sent", request_id=part.request_id, error=str(exc))
        if not await record_after_call(store.reversals.reversal_not_sent(line, part, str(exc), deps.clock())):
            return None
        return retry_at(
            deps.clock(),
            1,
            base_s=deps.settings.fulfilment.backoff_base_s,
            max_s=deps.settings.fulfilment.backoff_max_s,
            retry_after=exc.retry_after,
            rng=deps.rng,
        )
    except BridgeError as exc:  # configuration: a person must fix it; the lease runs out meanwhile
        log.error("reversal_call_failed", request_id=part.request_id, error=str(exc))
        return None
    if result.status != "reversed":  # an answer that says otherwise: look it up before anything else
        if not await record_after_call(
            store.reversals.reversal_gave_up(line, part, "answer not reversed", deps.clock())
        ):
            return None
        return Lookup.WAIT
    return await _done(deps, line, part, P.REVERSED, result.operation_id, "reversed")


async def _done(
    deps: Deps, line: LineRecord, part: ReversalPart, state: PartState, operation_id: str | None, how: str
) -> bool | None:
    after = await record_after_call(
        deps.store.reversals.part_done(
            line, part, state, operation_id=operation_id, how=how, now=deps.clock(), actor=deps.owner
        )
    )
    if after is None:
        log.warning("reversal_outcome_refused_lease_moved_on", line_id=line.id)
        return None
    if after is S.REVERSED:
        log.info("line_reversed", line_id=line.id, tid=line.tid, oid=line.oid)
    return True
