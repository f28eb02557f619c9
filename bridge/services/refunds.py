"""Refunds and closures: what a trade's marketplace state means for its stored lines.

Before provisioning, a refund request stops it (HELD) and a completed refund or
closed trade cancels it (CANCELLED); a withdrawn refund resumes it. After
provisioning, the refund is recorded for CS (REVERSAL_PENDING, with a memo):
reversing credit is a person's decision.
"""

from __future__ import annotations

import structlog

from bridge.core.models import CLOSED_STATUSES, REFUND_OPEN, MemoFlag, Trade
from bridge.core.reasons import memo_text
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.refunds")
S = LineState

_BEFORE = (S.RECEIVED, S.READY, S.EXCEPTION, S.HELD)
_AFTER = (S.APPLIED, S.DELIVERED)


async def apply_trade_changes(deps: Deps, trade: Trade, stored: list[LineRecord]) -> None:
    by_oid = {line.oid: line for line in trade.lines}
    for line in stored:
        remote = by_oid.get(line.oid)
        refund = remote.refund_status if remote else line.refund_status
        closed = trade.status in CLOSED_STATUSES or refund == "SUCCESS"
        if closed or refund in REFUND_OPEN:
            await _refund_requested(deps, line, refund, closed)
        elif line.state is S.HELD:
            moved = await deps.store.move(
                line,
                S.RECEIVED,
                now=deps.clock(),
                actor=deps.owner,
                kind="refund_withdrawn",
                detail={"refund_status": refund},
            )
            if moved:
                log.info("refund_withdrawn", tid=line.tid, oid=line.oid)


async def _refund_requested(deps: Deps, line: LineRecord, refund: str, closed: bool) -> None:
    now = deps.clock()
    detail = {"refund_status": refund, "closed": closed}
    if line.state in _BEFORE:
        target = S.CANCELLED if closed else S.HELD
        if line.state is target:
            return
        if await deps.store.move(
            line,
            target,
            now=now,
            actor=deps.owner,
            kind="refund",
            frm=tuple(s for s in _BEFORE if s is not target),
            reason="REFUNDED" if closed else "REFUND_REQUESTED",
            detail=detail,
        ):
            log.info("provisioning_stopped", tid=line.tid, oid=line.oid, to=target.value)
    elif line.state in _AFTER:
        memo = (f"refund:{line.oid}", memo_text(line.oid, "REFUND_AFTER_DELIVERY"), MemoFlag.YELLOW.value)
        if await deps.store.move(
            line,
            S.REVERSAL_PENDING,
            now=now,
            actor=deps.owner,
            kind="refund",
            frm=_AFTER,
            reason="REFUND_AFTER_DELIVERY",
            detail=detail,
            memo=memo,
        ):
            log.warning("refund_after_provisioning", tid=line.tid, oid=line.oid)
