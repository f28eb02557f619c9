"""Write-back: tell the marketplace a trade is delivered, and write seller memos for CS.

A trade is written back once every line is settled and one was applied. The
trade is re-read first (the marketplace is the final word): already shipped
counts as delivered; closed after provisioning goes to CS as a refund after
delivery. A failed write-back stays visible ("credited, not yet shown
delivered") and is retried with backoff.
"""

from __future__ import annotations

import asyncio
import random

import structlog

from bridge.core.backoff import retry_at
from bridge.core.errors import Ambiguous, BridgeError, Permanent, Retryable
from bridge.core.models import CLOSED_STATUSES, SHIPPED_STATUSES, DeliveryOutcome, MemoFlag
from bridge.core.reasons import memo_for
from bridge.core.records import LineRecord, MemoRecord, TradeRecord
from bridge.core.states import LineState
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.delivery")
_rng = random.Random()
_MEMO_BYTES = 1000


def delivery_codes(lines: list[LineRecord]) -> dict[int, list[str]]:
    """Card serials and PINs issued for card-delivery lines, by oid, for the buyer to redeem."""
    codes: dict[int, list[str]] = {}
    for line in lines:
        for op in line.operations:
            for card in (op.result or {}).get("cards", []):
                codes.setdefault(line.oid, []).append(f"{card['serial']}:{card['pin']}")
    return codes


async def write_back_due(deps: Deps) -> int:
    cfg = deps.settings.writeback
    trades = await deps.store.claim_trades(
        deps.owner, deps.clock(), deps.settings.fulfilment.lease_s, cfg.max_in_flight * 4
    )
    sem = asyncio.Semaphore(cfg.max_in_flight)

    async def _one(trade: TradeRecord) -> None:
        async with sem:
            await write_back_trade(deps, trade)

    await asyncio.shield(asyncio.gather(*(_one(t) for t in trades)))
    return len(trades)


async def write_back_trade(deps: Deps, trade: TradeRecord) -> None:
    market = deps.shops[trade.shop]
    with structlog.contextvars.bound_contextvars(shop=trade.shop, tid=trade.tid):
        try:
            try:
                lines = await deps.store.trade_lines(trade.id)
                outcome = await market.mark_delivered(trade.tid, delivery_codes(lines) or None)
            except Permanent:  # refused: the trade's own state says why (closed after provisioning?)
                current = await market.get_trade(trade.tid)
                if current.status in CLOSED_STATUSES:
                    await _closed_after_provisioning(deps, trade)
                    return
                if current.status not in SHIPPED_STATUSES:
                    raise
                outcome = DeliveryOutcome.ALREADY_SHIPPED
        except Exception as exc:  # BridgeError or a bug: stay visible, re-read the trade next time
            if not isinstance(exc, BridgeError):
                log.exception("writeback_crashed")
            # refused for good: a person may need to look, so wait longer; no answer: normal backoff
            retry_after = (
                exc.retry_after
                if isinstance(exc, Retryable)
                else (None if isinstance(exc, Ambiguous) else 300.0)
            )
            cfg = deps.settings.writeback
            next_at = retry_at(
                deps.clock(),
                trade.delivery_attempts,
                base_s=cfg.backoff_base_s,
                max_s=cfg.backoff_max_s,
                retry_after=retry_after,
                rng=_rng,
            )
            await deps.store.trade_delivery_failed(
                trade,
                error=f"{type(exc).__name__}: {exc}",
                actor=deps.owner,
                now=deps.clock(),
                next_at=next_at,
            )
            log.warning("writeback_failed", error=str(exc), attempts=trade.delivery_attempts + 1)
            return
        await deps.store.trade_delivered(trade, outcome=outcome.value, actor=deps.owner, now=deps.clock())
        deps.bump("delivered")
        log.info("delivered", outcome=outcome.value)


async def _closed_after_provisioning(deps: Deps, trade: TradeRecord) -> None:
    for line in await deps.store.trade_lines(trade.id):
        if line.state is LineState.APPLIED:
            await deps.store.refund_after_delivery(
                line,
                detail={"trade_status": "closed"},
                memo=memo_for(line.oid, "REFUND_AFTER_DELIVERY"),
                now=deps.clock(),
                actor=deps.owner,
                frm=(LineState.APPLIED,),
            )
    await deps.store.release_trade(trade, deps.owner)
    log.warning("trade_closed_after_provisioning")


def merge_memo(existing: str | None, line: str) -> str | None:
    """Append our line to the seller memo (CS notes are kept); None when it is already there."""
    existing = existing or ""
    if line in existing:
        return None
    merged = f"{existing}\n{line}" if existing else line
    data = merged.encode("utf-8")
    if len(data) > _MEMO_BYTES:  # keep the newest text: drop from the front, on a character boundary
        merged = data[-_MEMO_BYTES:].decode("utf-8", errors="ignore")
    return merged


async def write_memos_due(deps: Deps, limit: int = 20) -> int:
    # held for one lease, like lines and trades: a crash delays CS's memo by the lease, not a minute
    memos = await deps.store.claim_memos(deps.clock(), limit, hold_s=deps.settings.fulfilment.lease_s)
    for memo in memos:
        await _write_memo(deps, memo)
    return len(memos)


async def _write_memo(deps: Deps, memo: MemoRecord) -> None:
    market = deps.shops[memo.shop]
    try:
        trade = await market.get_trade(memo.tid)
        merged = merge_memo(trade.seller_memo, memo.text)
        if merged is not None:
            await market.set_memo(memo.tid, merged, MemoFlag(memo.flag))
    except BridgeError as exc:
        next_at = retry_at(
            deps.clock(),
            memo.attempts,
            base_s=10.0,
            max_s=1800.0,
            retry_after=exc.retry_after if isinstance(exc, Retryable) else None,
            rng=_rng,
        )
        await deps.store.memo_failed(memo, f"{type(exc).__name__}: {exc}", next_at)
        log.warning("memo_failed", tid=memo.tid, error=str(exc))
        return
    await deps.store.memo_done(memo, deps.owner, deps.clock())
