"""Seller memos: the red flag and short Chinese note that send shop staff to the console.

A line that needs a person gets a memo row in the same transaction as its
move to EXCEPTION; this service writes it to the marketplace later, merged
into what the seller memo already says (CS notes are kept), and retries with
backoff when the marketplace does not take it.
"""

from __future__ import annotations

import structlog

from bridge.core.backoff import retry_at
from bridge.core.errors import BridgeError, Retryable
from bridge.core.models import MemoFlag
from bridge.core.reasons import merge_memo
from bridge.core.records import MemoRecord
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.memos")


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
            rng=deps.rng,
        )
        await deps.store.memo_failed(memo, f"{type(exc).__name__}: {exc}", next_at)
        log.warning("memo_failed", tid=memo.tid, error=str(exc))
        return
    await deps.store.memo_done(memo, deps.owner, deps.clock())
