"""Refunds and closures: what a trade's marketplace state means for its stored lines.

Before provisioning, a refund request stops it (HELD) and a completed refund or
closed trade cancels it (CANCELLED); a withdrawn refund resumes it. After
provisioning, the refund is recorded for CS (REVERSAL_PENDING, with a memo):
reversing credit is a person's decision. A line waiting for a person (EXCEPTION,
HELD) whose billing call went out may have been credited (a part applied, or an
answer lost, a 409, a crash mid-call): it is never cancelled, its refund takes
the reversal path too. One still moving on its own first settles.
"""

from __future__ import annotations

import structlog

from bridge.core.inflight import may_be_applied
from bridge.core.memos import refunded_memo
from bridge.core.reasons import memo_for
from bridge.core.records import LineRecord
from bridge.core.states import CANCELLABLE, NOT_YET_PROVISIONED, PROVISIONED, LineState
from bridge.core.trades import REFUND_HOLDS, OrderState, RefundState, Trade
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.refunds")
S = LineState


async def apply_trade_changes(deps: Deps, trade: Trade, stored: list[LineRecord]) -> None:
    by_oid = {line.oid: line for line in trade.lines}
    for line in stored:
        remote = by_oid.get(line.oid)
        refund = remote.refund if remote else RefundState(line.refund_status)
        closed = trade.state is OrderState.CLOSED or refund is RefundState.REFUNDED
        if line.state is S.CANCELLED and line.reason == "REFUND_BY_CS" and refund is RefundState.REFUNDED:
            # CS cancelled it and asked for the refund: now done, its memo section says so
            await deps.store.delivery.queue_memo(line.shop, line.tid, refunded_memo(line.oid), deps.clock())
        elif closed or refund in REFUND_HOLDS:
            await _refund_requested(deps, line, refund, closed)
        elif line.state is S.HELD:
            moved = await deps.store.moves.release_hold(
                line, refund_status=refund, now=deps.clock(), actor=deps.owner
            )
            if moved:
                log.info("refund_withdrawn", tid=line.tid, oid=line.oid)


def _maybe_credited(line: LineRecord) -> bool:
    """A part of the line was sent to the billing core and may have been applied."""
    return any(may_be_applied(op.state) for op in line.operations)


async def _refund_requested(deps: Deps, line: LineRecord, refund: str, closed: bool) -> None:
    now = deps.clock()
    if line.state in NOT_YET_PROVISIONED and _maybe_credited(line):
        await _refund_maybe_credited(deps, line, refund, closed)
    elif line.state in NOT_YET_PROVISIONED:
        target = S.CANCELLED if closed else S.HELD
        if line.state is target:
            return
        stop = deps.store.moves.cancel_refunded if closed else deps.store.moves.hold
        if await stop(line, refund_status=refund, now=now, actor=deps.owner):
            log.info("provisioning_stopped", tid=line.tid, oid=line.oid, to=target.value)
    elif line.state in PROVISIONED and await deps.store.moves.refund_after_delivery(
        line,
        detail={"refund_status": refund, "closed": closed},
        memo=memo_for(line.oid, "REFUND_AFTER_DELIVERY"),
        now=now,
        actor=deps.owner,
    ):
        log.warning("refund_after_provisioning", tid=line.tid, oid=line.oid)


async def _refund_maybe_credited(deps: Deps, line: LineRecord, refund: str, closed: bool) -> None:
    """Never cancel what may have been credited: a person decides on a reversal (REVERSAL_PENDING)."""
    if line.state not in CANCELLABLE:
        return  # still moving (READY with a part to look up): it settles first
    if await deps.store.moves.refund_after_delivery(
        line,
        detail={"refund_status": refund, "closed": closed, "maybe_credited": True},
        memo=memo_for(line.oid, "REFUND_AFTER_DELIVERY"),
        now=deps.clock(),
        actor=deps.owner,
        frm=CANCELLABLE,
    ):
        log.warning("refund_of_maybe_credited_line", tid=line.tid, oid=line.oid, state=line.state.value)
