"""Fulfilment: provision READY lines in the billing core, exactly once.

For each part of a line: a part whose answer was lost is first looked up by its
request_id; otherwise SUBMITTED is committed (fenced by the line's lease) before
the call, and the answer decides: applied, answer lost (UNKNOWN), refused at the
door (retry later; maintenance opens the breaker and costs no attempt), or
refused for good (EXCEPTION with the billing core's reason).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from bridge.core.backoff import retry_at
from bridge.core.errors import Ambiguous, BridgeError, Permanent, RateLimited, Retryable, Unavailable
from bridge.core.models import (
    IssueCards,
    Operation,
    OperationKind,
    OperationResult,
    Recharge,
    Subscribe,
)
from bridge.core.reasons import REASONS, memo_for, reason_text
from bridge.core.records import LineRecord, OperationRecord
from bridge.core.states import PROVISIONABLE, OperationState
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.fulfil")


def to_operation(op: OperationRecord) -> Operation:
    p = op.payload
    kind = OperationKind(op.kind)
    if kind is OperationKind.RECHARGE:
        return Recharge(request_id=op.request_id, card_no=p["card_no"], amount_fen=int(p["amount_fen"]))
    if kind is OperationKind.SUBSCRIBE:
        return Subscribe(
            request_id=op.request_id,
            card_no=p["card_no"],
            product_code=p["product_code"],
            months=int(p["months"]),
        )
    return IssueCards(
        request_id=op.request_id, face_value_fen=int(p["face_value_fen"]), count=int(p["count"])
    )


async def fulfil_due(deps: Deps) -> int:
    """Provision due lines, keeping up to ``max_in_flight`` in flight, until none is due."""
    limit = deps.settings.fulfilment.max_in_flight
    inflight: set[asyncio.Task[None]] = set()
    done = 0
    try:
        while True:
            free = limit - len(inflight)
            if (
                free > 0
                and not deps.runtime.stopping.is_set()
                and not deps.runtime.breaker.is_open(deps.clock())
            ):
                for line in await deps.store.claim_lines(
                    deps.owner, deps.clock(), deps.settings.fulfilment.lease_s, free
                ):
                    inflight.add(asyncio.create_task(provision_line(deps, line)))
            if not inflight:
                return done
            finished, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                done += 1
                if task.exception() is not None:
                    log.error("provision_crashed", error=repr(task.exception()))
    finally:
        if inflight:  # cancelled (shutdown): let in-flight calls finish or time out
            await asyncio.shield(asyncio.gather(*inflight, return_exceptions=True))


async def provision_line(deps: Deps, line: LineRecord) -> None:
    with structlog.contextvars.bound_contextvars(shop=line.shop, tid=line.tid, oid=line.oid):
        if line.attempts >= deps.settings.fulfilment.max_attempts:
            await _exception(deps, line, "RETRIES_EXHAUSTED", f"{line.attempts} attempts without success")
            return
        for op in line.operations:
            if op.state == OperationState.APPLIED:
                continue
            with structlog.contextvars.bound_contextvars(request_id=op.request_id):
                fresh = await _provision_part(deps, line, op)
            if fresh is None or fresh.state not in PROVISIONABLE:
                return  # this part did not go through (rescheduled, exception) or the line is done
            line = fresh


async def _provision_part(deps: Deps, line: LineRecord, op: OperationRecord) -> LineRecord | None:
    """One part; the line as it now is, or None when this part did not go through."""
    store, now = deps.store, deps.clock()
    try:
        if op.state == OperationState.UNKNOWN:
            found = await deps.billing.find(op.request_id)
            if found is not None:
                log.info("reconciled_applied")
                return await store.record_applied(line, op, found, deps.owner, deps.clock(), how="reconciled")
        if not await store.begin_submit(line, op, deps.owner, now):
            log.warning("lease_lost_before_call")
            return None
        result = await _apply(deps, op)
    except Ambiguous as exc:
        await store.record_unknown(
            line,
            op,
            error=str(exc),
            actor=deps.owner,
            now=deps.clock(),
            next_at=deps.clock() + timedelta(seconds=1),
        )
        log.warning("answer_lost", error=str(exc))
        return None
    except Retryable as exc:
        await _retry_later(deps, line, op, exc)
        return None
    except Permanent as exc:
        reason = exc.code if exc.code in REASONS else "BILLING_REJECTED"
        await _exception(deps, line, reason, exc.message)
        return None
    except BridgeError as exc:  # ConfigError: credentials wrong; stop this line, keep it due
        await _retry_later(deps, line, op, Retryable(str(exc), retry_after=60.0), count=False)
        log.error("billing_config_error", error=str(exc))
        return None
    log.info("applied", operation_id=result.operation_id)
    return await store.record_applied(line, op, result, deps.owner, deps.clock())


async def _apply(deps: Deps, op: OperationRecord) -> OperationResult:
    """The billing call; anything unexpected after SUBMITTED is an unknown outcome, never a guess."""
    try:
        return await deps.billing.apply(to_operation(op))
    except BridgeError:
        raise
    except Exception as exc:  # a client bug: the call may have gone out
        log.exception("billing_call_crashed")
        raise Ambiguous(f"unexpected error during the call: {exc!r}") from exc


async def _retry_later(
    deps: Deps, line: LineRecord, op: OperationRecord, exc: Retryable, count: bool | None = None
) -> None:
    now = deps.clock()
    outage = isinstance(exc, (Unavailable, RateLimited))
    if isinstance(exc, Unavailable):
        deps.runtime.breaker.open(now + timedelta(seconds=exc.retry_after or 5.0), exc.code or "unavailable")
    f = deps.settings.fulfilment
    next_at = retry_at(
        now,
        line.attempts,
        base_s=f.backoff_base_s,
        max_s=f.backoff_max_s,
        retry_after=exc.retry_after,
        rng=deps.rng,
    )
    counted = (not outage) if count is None else count
    await deps.store.record_retry(
        line, op, error=str(exc), actor=deps.owner, now=now, next_at=next_at, count_attempt=counted
    )


async def _exception(deps: Deps, line: LineRecord, reason: str, message: str) -> None:
    await deps.store.record_exception(
        line,
        reason=reason,
        message=f"{reason_text(reason, 'en')}: {message}",
        actor=deps.owner,
        now=deps.clock(),
        memo=memo_for(line.oid, reason),
    )
    log.warning("line_exception", reason=reason)
