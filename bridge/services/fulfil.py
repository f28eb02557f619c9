"""Fulfilment: provision READY lines in the billing core, exactly once.

For each part of a line: a part that may have been applied (its call went out
and no answer was recorded: answer lost, a crash with the call in flight, a
409, an unreadable answer) is first looked up by its request_id, and re-sent
only when the lookup, started after the settle time had passed since the last
send, says it was never applied (``bridge.core.inflight``). Otherwise
SUBMITTED is committed together with the part marked SENT and the moment of
sending before the call, on a lease that outlasts the call and is renewed while
the call or a lookup is in flight (``bridge.services.leases``), and the answer decides:
applied, maybe applied (UNKNOWN: look up next time), refused at the door (retry
later; maintenance opens the breaker and costs no attempt), or refused for good
(EXCEPTION with the billing core's reason). A line out of attempts gets a final
lookup first. Once stop is asked no new part is started, and every write that
follows a call or a lookup goes through ``record_after_call``: it lands even if
the task is being cancelled. Every outcome write is fenced by the lease the
line was claimed with: one refused because another worker has taken the line
over is logged and left to it (the part stays SENT, so the new holder looks it
up before any resend).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Sequence
from datetime import timedelta

import structlog

from bridge.core.backoff import retry_at
from bridge.core.errors import (
    Ambiguous,
    BridgeError,
    Permanent,
    RateLimited,
    Retryable,
    StoreUnavailable,
    Unavailable,
)
from bridge.core.inflight import MAYBE_APPLIED, not_found_is_trusted, settles_at
from bridge.core.models import (
    IssueCards,
    Operation,
    OperationKind,
    OperationResult,
    Recharge,
    Subscribe,
)
from bridge.core.reasons import REASONS, memo_for, reason_text
from bridge.core.records import Applied, LineRecord, OperationRecord
from bridge.core.states import PROVISIONABLE, OperationState
from bridge.services.after_call import record_after_call
from bridge.services.applied_writer import AppliedWriter
from bridge.services.deps import Deps
from bridge.services.leases import kept_leased, submit_on_lease

log = structlog.get_logger("bridge.services.fulfil")


class _Lookup(enum.Enum):
    NEVER_APPLIED = "never_applied"  # a trusted 404: safe to send (again)
    WAITING = "waiting"  # not settled yet, or the lookup failed: rescheduled


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
    batch = max(1, limit // 4)  # claims take a batch: one claim per few finished lines, not one each
    inflight: set[asyncio.Task[None]] = set()
    writer = AppliedWriter(deps)  # the outcomes of calls that return together, recorded together
    done = 0
    try:
        while True:
            free = limit - len(inflight)
            if (
                (free >= batch or (free > 0 and len(inflight) < batch))
                and not deps.runtime.stopping.is_set()
                and not deps.runtime.breaker.is_open(deps.clock())
            ):
                for line in await deps.store.lines.claim_lines(
                    deps.owner, deps.clock(), deps.settings.fulfilment.lease_s, free
                ):
                    inflight.add(asyncio.create_task(provision_line(deps, line, writer)))
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


async def provision_line(deps: Deps, line: LineRecord, writer: AppliedWriter | None = None) -> None:
    """Provision each part of ``line`` not yet applied; applied parts are recorded through
    ``writer`` (grouped with other lines'), or one by one without it."""
    writer = writer or AppliedWriter(deps)
    with structlog.contextvars.bound_contextvars(shop=line.shop, tid=line.tid, oid=line.oid):
        if line.attempts >= deps.settings.fulfilment.max_attempts:
            await _out_of_attempts(deps, line)
            return
        for op in line.operations:
            if op.state == OperationState.APPLIED:
                continue
            with structlog.contextvars.bound_contextvars(request_id=op.request_id):
                fresh = await _provision_part(deps, line, op, writer)
            if fresh is None or fresh.state not in PROVISIONABLE:
                return  # this part did not go through (rescheduled, exception) or the line is done
            line = fresh


async def _out_of_attempts(deps: Deps, line: LineRecord) -> None:
    """No attempt left: a final lookup of every part that may have landed, then a person decides."""
    never: list[OperationRecord] = []
    for op in line.operations:
        if op.state not in MAYBE_APPLIED:
            continue
        with structlog.contextvars.bound_contextvars(request_id=op.request_id):
            checked = await _look_up(deps, line, op)
        if checked is _Lookup.WAITING:
            return
        if checked is _Lookup.NEVER_APPLIED:
            never.append(op)
        elif checked.state not in PROVISIONABLE:
            return  # the final lookup found the last part applied: the line is done
    message = f"{line.attempts} attempts without success"
    await _exception(deps, line, "RETRIES_EXHAUSTED", message, not_applied=never)


async def _look_up(deps: Deps, line: LineRecord, op: OperationRecord) -> LineRecord | _Lookup:
    """Ask the billing core about a part that may have been applied, before anything else."""
    settle_s = deps.settings.fulfilment.settle_s
    asked_at = deps.clock()  # the lookup must start after the settle time for its 404 to count
    try:
        async with kept_leased(deps, line):
            found = await deps.billing.find(op.request_id)
    except Retryable as exc:
        await _retry_later(deps, line, op, exc, count=False)
        return _Lookup.WAITING
    except Permanent as exc:  # the part stays maybe-applied: a person decides, never a resend
        await _exception(deps, line, _reason(exc), exc.message)
        return _Lookup.WAITING
    except BridgeError as exc:  # ConfigError: credentials wrong; keep it due
        await _retry_later(deps, line, op, Retryable(str(exc), retry_after=60.0), count=False)
        log.error("billing_config_error", error=str(exc))
        return _Lookup.WAITING
    if found is not None:
        log.info("reconciled_applied")
        write = deps.store.operations.record_applied(
            line, op, found, deps.owner, deps.clock(), how="reconciled"
        )
        fresh = await record_after_call(write)
        _warn_unless_written(fresh is not None)
        return _Lookup.WAITING if fresh is None else fresh
    if not_found_is_trusted(op.result, settle_s, asked_at):
        return _Lookup.NEVER_APPLIED
    settled = settles_at(op.result, settle_s) or asked_at
    log.info("not_found_yet_settling", settles_at=settled.isoformat())
    why = "not found yet: waiting for the settle time"
    retry = deps.store.operations.record_retry(
        line, op, error=why, actor=deps.owner, now=deps.clock(), next_at=settled, count_attempt=False
    )
    _warn_unless_written(await record_after_call(retry))
    return _Lookup.WAITING


async def _provision_part(
    deps: Deps, line: LineRecord, op: OperationRecord, writer: AppliedWriter
) -> LineRecord | None:
    """One part; the line as it now is, or None when this part did not go through."""
    store = deps.store
    try:
        if op.state in MAYBE_APPLIED:
            checked = await _look_up(deps, line, op)
            if checked is not _Lookup.NEVER_APPLIED:
                return checked if isinstance(checked, LineRecord) else None
        if deps.runtime.stopping.is_set():  # shutting down: no new call (a lookup was harmless)
            await store.lines.release(line)
            log.info("stopping_before_part")
            return None
        if not await submit_on_lease(deps, line, op):
            return None
        async with kept_leased(deps, line):
            result = await _apply(deps, op)
    except StoreUnavailable:  # the store's, not the billing core's: it says nothing of a call (a part
        # looked up and found applied must never be taken as refused); the lease runs out, the next
        # holder reads the store again
        raise
    except Ambiguous as exc:
        next_at = deps.clock() + timedelta(seconds=1)
        write = store.operations.record_unknown(
            line, op, error=str(exc), actor=deps.owner, now=deps.clock(), next_at=next_at
        )
        _warn_unless_written(await record_after_call(write))
        log.warning("outcome_unknown", error=str(exc))
        return None
    except Retryable as exc:
        await _retry_later(deps, line, op, exc, refused=True)
        return None
    except Permanent as exc:
        await _exception(deps, line, _reason(exc), exc.message, not_applied=(op,))
        return None
    except BridgeError as exc:  # ConfigError: credentials wrong; stop this line, keep it due
        config = Retryable(str(exc), retry_after=60.0)
        await _retry_later(deps, line, op, config, count=False, refused=True)
        log.error("billing_config_error", error=str(exc))
        return None
    log.info("applied", operation_id=result.operation_id)
    fresh = await record_after_call(writer.record(Applied(line, op, result)))
    _warn_unless_written(fresh is not None)
    return fresh


def _warn_unless_written(written: bool) -> None:
    """Log an outcome write the store refused: the line's lease moved on (its new holder decides)."""
    if not written:
        log.warning("outcome_refused_lease_moved_on")


async def _apply(deps: Deps, op: OperationRecord) -> OperationResult:
    """The billing call; anything unexpected after SUBMITTED is an unknown outcome, never a guess."""
    try:
        return await deps.billing.apply(to_operation(op))
    except BridgeError:
        raise
    except Exception as exc:  # a client bug: the call may have gone out
        log.exception("billing_call_crashed")
        raise Ambiguous(f"unexpected error during the call: {exc!r}") from exc


def _reason(exc: Permanent) -> str:
    return exc.code if exc.code in REASONS else "BILLING_REJECTED"


async def _retry_later(
    deps: Deps,
    line: LineRecord,
    op: OperationRecord,
    exc: Retryable,
    *,
    count: bool | None = None,
    refused: bool = False,
) -> None:
    """Try again later (after a call or a lookup); ``refused``: this call was refused, so the part
    is as if never sent."""
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
    write = deps.store.operations.record_retry(
        line,
        op,
        error=str(exc),
        actor=deps.owner,
        now=now,
        next_at=next_at,
        count_attempt=counted,
        refused=refused,
    )
    _warn_unless_written(await record_after_call(write))


async def _exception(
    deps: Deps, line: LineRecord, reason: str, message: str, not_applied: Sequence[OperationRecord] = ()
) -> None:
    """A person decides (after a call or a lookup)."""
    write = deps.store.operations.record_exception(
        line,
        reason=reason,
        message=f"{reason_text(reason, 'en')}: {message}",
        actor=deps.owner,
        now=deps.clock(),
        memo=memo_for(line.oid, reason),
        not_applied=not_applied,
    )
    if await record_after_call(write):
        log.warning("line_exception", reason=reason)
    else:  # the lease moved on (or the line did): the new holder decides
        log.warning("exception_not_recorded", reason=reason)
