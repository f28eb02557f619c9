"""Write-back: tell the marketplace a trade is delivered.

A trade is written back once every line is settled and one was applied. The
trade is re-read first (the marketplace is the final word): already shipped
counts as delivered; closed after provisioning goes to CS as a refund after
delivery. A failed write-back stays visible ("credited, not yet shown
delivered") and is retried with backoff. What the marketplace answered is
recorded through ``record_after_call``: it lands even if the pass is cancelled,
and a cancelled pass lets its calls in flight finish and records them first.
"""

from __future__ import annotations

import asyncio

import structlog

from bridge.core.backoff import retry_at
from bridge.core.errors import Ambiguous, BridgeError, Permanent, Retryable
from bridge.core.reasons import memo_for
from bridge.core.records import LineRecord, TradeRecord
from bridge.core.states import LineState
from bridge.core.trades import SHIPPED_STATES, DeliveryOutcome, OrderState
from bridge.services.after_call import record_after_call
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.delivery")


def delivery_codes(lines: list[LineRecord]) -> dict[str, list[str]]:
    """Card serials and PINs issued for card-delivery lines, by oid, for the buyer to redeem."""
    codes: dict[str, list[str]] = {}
    for line in lines:
        for op in line.operations:
            for card in (op.result or {}).get("cards", []):
                codes.setdefault(line.oid, []).append(f"{card['serial']}:{card['pin']}")
    return codes


async def write_back_due(deps: Deps) -> int:
    """Write back the trades due: their lines read in one go, the calls a few at a time, and the
    trades the marketplace took recorded together once the batch's calls are over."""
    cfg = deps.settings.writeback
    trades = await deps.store.delivery.claim_trades(
        deps.owner, deps.clock(), deps.settings.fulfilment.lease_s, cfg.max_in_flight * 4
    )
    if not trades:
        return 0
    lines = await deps.store.delivery.lines_of_trades([t.id for t in trades])
    sem = asyncio.Semaphore(cfg.max_in_flight)
    delivered: list[tuple[TradeRecord, str]] = []

    async def _one(trade: TradeRecord) -> None:
        async with sem:
            outcome = await write_back_trade(deps, trade, lines.get(trade.id, []))
        if outcome is not None:
            delivered.append((trade, outcome.value))

    calls = asyncio.ensure_future(asyncio.gather(*(_one(t) for t in trades)))
    try:
        await asyncio.shield(calls)  # cancelled (shutdown): the calls in flight go on
    finally:  # what the marketplace took is recorded even if a sibling call failed
        await record_after_call(_record_delivered(deps, calls, delivered))
    return len(trades)


async def _record_delivered(
    deps: Deps, calls: asyncio.Future[list[None]], delivered: list[tuple[TradeRecord, str]]
) -> None:
    """Once the calls in flight are over, record the trades the marketplace took, together."""
    await asyncio.wait((calls,))
    now = deps.clock()
    await deps.store.delivery.trades_delivered(delivered, actor=deps.owner, now=now)
    for trade, _ in delivered:
        if trade.pay_time is not None:
            deps.metrics.delivered(max(0.0, (now - trade.pay_time).total_seconds()))


async def write_back_trade(deps: Deps, trade: TradeRecord, lines: list[LineRecord]) -> DeliveryOutcome | None:
    """Mark one trade delivered in the marketplace; the outcome to record, or None when there is
    nothing to record as delivered (a failure kept visible, or closed after provisioning)."""
    market = deps.shops[trade.shop]
    with structlog.contextvars.bound_contextvars(shop=trade.shop, tid=trade.tid):
        try:
            try:
                outcome = await market.deliver(trade.tid, delivery_codes(lines) or None)
            except Permanent:  # refused: the trade's own state says why (closed after provisioning?)
                current = await market.get_trade(trade.tid)
                if current.state is OrderState.CLOSED:
                    await record_after_call(_closed_after_provisioning(deps, trade))
                    return None
                if current.state not in SHIPPED_STATES:
                    raise
                outcome = DeliveryOutcome.ALREADY_SHIPPED
        except BridgeError as exc:  # refused, unreachable, the store's: stay visible, re-read next time
            await record_after_call(_failed(deps, trade, exc))
            return None
        except Exception as exc:  # a bug: logged with its traceback; the trade stays visible as not
            # written back and is tried again with backoff (the trade re-read first)
            log.exception("writeback_crashed")
            await record_after_call(_failed(deps, trade, exc))
            return None
        log.info("delivered", outcome=outcome.value)
        return outcome


async def _failed(deps: Deps, trade: TradeRecord, exc: Exception) -> None:
    # refused for good: a person may need to look, so wait longer; no answer: normal backoff
    retry_after = (
        exc.retry_after if isinstance(exc, Retryable) else (None if isinstance(exc, Ambiguous) else 300.0)
    )
    cfg = deps.settings.writeback
    next_at = retry_at(
        deps.clock(),
        trade.delivery_attempts,
        base_s=cfg.backoff_base_s,
        max_s=cfg.backoff_max_s,
        retry_after=retry_after,
        rng=deps.rng,
    )
    await deps.store.delivery.trade_delivery_failed(
        trade,
        error=f"{type(exc).__name__}: {exc}",
        actor=deps.owner,
        now=deps.clock(),
        next_at=next_at,
    )
    log.warning("writeback_failed", error=str(exc), attempts=trade.delivery_attempts + 1)


async def _closed_after_provisioning(deps: Deps, trade: TradeRecord) -> None:
    for line in await deps.store.delivery.trade_lines(trade.id):
        if line.state is LineState.APPLIED:
            await deps.store.moves.refund_after_delivery(
                line,
                detail={"trade_status": "closed"},
                memo=memo_for(line.oid, "REFUND_AFTER_DELIVERY"),
                now=deps.clock(),
                actor=deps.owner,
                frm=(LineState.APPLIED,),
            )
    await deps.store.delivery.release_trade(trade, deps.owner)
    log.warning("trade_closed_after_provisioning")
