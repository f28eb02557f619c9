"""Seller memos: the section of the memo each line has, following the line until it is settled.

Shop staff work from the marketplace's back office: a line that needs a person
gets a red section in its trade's seller memo (why, and "请到客服台处理"), and
when the line leaves that state by any route (delivered after a fix, resolved,
cancelled, refunded) its section is replaced by a short note ("已开通 12-01
10:32", "已退款…") and the flag turns green once nothing is left for CS
(``bridge.core.memos`` renders the sections and decides the flag).

A memo row is queued in the same transaction as the move it follows; it only
says "this trade's memo has something to follow". The writer renders every
section from the lines' states as stored when it writes, so rows written late,
retried or out of order never bring back an older state. A row whose line is
still moving after a fix waits (re-queued a few seconds later, no attempt
counted) until the line settles.

Read-merge-write: the current memo and mark are read from the storefront
(fullinfo) right before the write, and CS's own text in it is kept verbatim.
The marketplace offers no compare-and-set, so an edit CS saves in the round
trip between that read and the write is lost; the window is one call long and
the write is skipped when nothing would change, so the bridge never rewrites a
memo it has nothing to add to. What the marketplace answered is recorded for
all the trade's rows through ``record_after_call``: it lands even if the pass
is cancelled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta

import structlog

from bridge.core.backoff import retry_at
from bridge.core.errors import BridgeError, Retryable
from bridge.core.memos import KEPT, Followed, follow, line_of_key, waits_to_settle
from bridge.core.records import MemoRecord
from bridge.services.after_call import record_after_call
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.memos")

WAIT_S = 5.0
"""How long a memo waits for its line, still moving after a fix, before it looks again."""


async def write_memos_due(deps: Deps, limit: int = 20) -> int:
    # held for one lease, like lines and trades: a crash delays CS's memo by the lease, not a minute
    memos = await deps.store.delivery.claim_memos(
        deps.clock(), limit, hold_s=deps.settings.fulfilment.lease_s
    )
    trades: dict[tuple[str, str], list[MemoRecord]] = {}
    for memo in memos:
        trades.setdefault((memo.shop, memo.tid), []).append(memo)
    for rows in trades.values():
        await _write_trade(deps, rows)
    return len(memos)


async def _write_trade(deps: Deps, rows: Sequence[MemoRecord]) -> None:
    """One trade's memo, rendered once for all its rows claimed together."""
    shop, tid = rows[0].shop, rows[0].tid
    lines = await deps.store.delivery.lines_of_tid(shop, tid)
    moving = {line.oid for line in lines if waits_to_settle(line)}
    later = [m for m in rows if line_of_key(m.key) in moving]
    for memo in later:
        await deps.store.delivery.memo_later(memo, deps.clock() + timedelta(seconds=WAIT_S))
    due = [m for m in rows if m not in later]
    if not due:
        return
    market = deps.shops[shop]
    try:
        trade = await market.get_trade(tid)
        wanted = follow(trade.note, trade.note_severity, lines, market.notes)
        if (wanted.memo, wanted.flag) != (trade.note or "", trade.note_severity):
            await market.annotate(tid, wanted.memo, wanted.flag)
    except BridgeError as exc:
        await record_after_call(_all_failed(deps, due, exc))
        log.warning("memo_failed", tid=tid, error=str(exc))
        return
    await record_after_call(_all_done(deps, due, wanted))


async def _all_done(deps: Deps, due: Sequence[MemoRecord], wanted: Followed) -> None:
    for memo in due:  # the event records what the memo says now
        written = dataclasses.replace(memo, text=wanted.memo, flag=wanted.flag.value if wanted.flag else KEPT)
        await deps.store.delivery.memo_done(written, deps.owner, deps.clock())


async def _all_failed(deps: Deps, due: Sequence[MemoRecord], exc: BridgeError) -> None:
    for memo in due:
        await _failed(deps, memo, exc)


async def _failed(deps: Deps, memo: MemoRecord, exc: BridgeError) -> None:
    next_at = retry_at(
        deps.clock(),
        memo.attempts,
        base_s=10.0,
        max_s=1800.0,
        retry_after=exc.retry_after if isinstance(exc, Retryable) else None,
        rng=deps.rng,
    )
    await deps.store.delivery.memo_failed(memo, f"{type(exc).__name__}: {exc}", next_at)
